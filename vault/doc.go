// Package vault holds credentials for an IronCurtain application: small
// implementations of [ironcurtain.CredentialVault] that keep real keys in the
// trusted process, hand them out as [ironcurtain.Secret]s, and list them all
// so that the audit log can redact them.
//
//	v := vault.FromEnv("ANTHROPIC_API_KEY", "GITHUB_TOKEN") // read once, now
//	file, err := vault.ReadFile("/etc/ironcurtain/credentials.json") // mode 0600
//	mem := vault.Map{"api": ironcurtain.NewSecret("...")}
//
// Each is a [Map]; combine them by copying one into another.
package vault
