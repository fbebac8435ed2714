// Package credpaths lists, once, the places in a home directory where
// credentials live. The policy engine protects them from tool calls and the
// jail refuses to grant them to tool servers; both read this list.
package credpaths

// paths are relative to the home directory ("~/...").
var paths = []string{
	"~/.ssh",
	"~/.gnupg",
	"~/.aws",
	"~/.azure",
	"~/.config/gcloud",
	"~/.kube",
	"~/.docker",
	"~/.netrc",
	"~/.git-credentials",
	"~/.config/git/credentials",
	"~/.config/gh",
	"~/.npmrc",
	"~/.pypirc",
	"~/.cargo/credentials",
	"~/.cargo/credentials.toml",
	"~/.password-store",
	"~/.local/share/keyrings",
	"~/.terraform.d/credentials.tfrc.json",
	"~/.config/ironcurtain",
	"~/.ironcurtain",
	"~/.cache/ironcurtain", // Code Mode's compiled code: the host runs it
}

// List returns a fresh copy of the credential paths, each starting with
// "~/".
func List() []string { return append([]string(nil), paths...) }
