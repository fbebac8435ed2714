// Package testvault provides a credential vault for tests that hands out
// exactly what it holds, empty values included, so that a test can check
// how a tool treats a credential a real vault would refuse to give.
package testvault

import (
	"context"

	"github.com/ironcurtain-go/ironcurtain"
)

// Map is an [ironcurtain.CredentialVault] over credential names and
// values. Unlike vault.Map it returns an empty value as it is.
type Map map[string]string

// Credential returns the value of name, or an error satisfying
// errors.Is(err, ironcurtain.ErrNoCredential) when m has none.
func (m Map) Credential(_ context.Context, name string) (ironcurtain.Secret, error) {
	s, ok := m[name]
	if !ok {
		return ironcurtain.Secret{}, ironcurtain.ErrNoCredential
	}
	return ironcurtain.NewSecret(s), nil
}

// Secrets returns every value, in no particular order.
func (m Map) Secrets(context.Context) ([]ironcurtain.Secret, error) {
	out := make([]ironcurtain.Secret, 0, len(m))
	for _, s := range m {
		out = append(out, ironcurtain.NewSecret(s))
	}
	return out, nil
}
