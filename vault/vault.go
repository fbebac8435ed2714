package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ironcurtain-go/ironcurtain"
)

// Map is a [ironcurtain.CredentialVault] held in memory: credential names to
// values. Reads are safe for concurrent use; do not modify a Map once it is
// in use.
type Map map[string]ironcurtain.Secret

// Credential returns the credential of the given name, or an error
// satisfying errors.Is(err, ironcurtain.ErrNoCredential). An empty value
// counts as absent.
func (m Map) Credential(_ context.Context, name string) (ironcurtain.Secret, error) {
	s, ok := m[name]
	if !ok || s.IsZero() {
		return ironcurtain.Secret{}, fmt.Errorf("vault: %w: %q", ironcurtain.ErrNoCredential, name)
	}
	return s, nil
}

// Secrets returns every non-empty value, ordered by name.
func (m Map) Secrets(context.Context) ([]ironcurtain.Secret, error) {
	names := make([]string, 0, len(m))
	for name, s := range m {
		if !s.IsZero() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]ironcurtain.Secret, len(names))
	for i, name := range names {
		out[i] = m[name]
	}
	return out, nil
}

// FromEnv reads the named environment variables once, now, and returns them
// as a Map under their own names. Variables that are unset or empty are left
// out; asking for one later reports ErrNoCredential.
func FromEnv(names ...string) Map {
	m := make(Map, len(names))
	for _, name := range names {
		if v := os.Getenv(name); v != "" {
			m[name] = ironcurtain.NewSecret(v)
		}
	}
	return m
}

// maxFile bounds a credentials file.
const maxFile = 1 << 20

// ReadFile reads credentials from a JSON file holding one object of names to
// string values, {"ANTHROPIC_API_KEY": "sk-ant-..."}. The file must be a
// regular file that neither its group nor others may read or write (mode
// 0600 or stricter); ReadFile refuses any other, so that a credential file
// left open to others is noticed, not used.
func ReadFile(path string) (Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	defer f.Close()
	info, err := f.Stat() // of the file opened, not of the name: no race
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("vault: %s has mode %04o; credentials files must be 0600 or stricter (chmod 600 %s)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("vault: %s is larger than %d bytes", path, maxFile)
	}
	var values map[string]string
	if err := json.Unmarshal(data, &values); err != nil {
		// The decoder's message may quote the file; keep it out.
		return nil, fmt.Errorf("vault: %s is not a JSON object of strings", path)
	}
	m := make(Map, len(values))
	for name, v := range values {
		m[name] = ironcurtain.NewSecret(v)
	}
	return m, nil
}
