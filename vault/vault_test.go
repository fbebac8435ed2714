package vault_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

var _ ironcurtain.CredentialVault = vault.Map{}

func TestMap(t *testing.T) {
	ctx := context.Background()
	m := vault.Map{"b": ironcurtain.NewSecret("2"), "a": ironcurtain.NewSecret("1"), "empty": {}}
	s, err := m.Credential(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "1", s.Reveal())
	_, err = m.Credential(ctx, "empty")
	require.ErrorIs(t, err, ironcurtain.ErrNoCredential)
	_, err = m.Credential(ctx, "nope")
	require.ErrorIs(t, err, ironcurtain.ErrNoCredential)
	all, err := m.Secrets(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, "1", all[0].Reveal())
	require.Equal(t, "2", all[1].Reveal())
}

func TestFromEnvReadsOnce(t *testing.T) {
	t.Setenv("IC_TEST_KEY", "sk-value")
	t.Setenv("IC_TEST_EMPTY", "")
	m := vault.FromEnv("IC_TEST_KEY", "IC_TEST_EMPTY", "IC_TEST_UNSET")
	t.Setenv("IC_TEST_KEY", "changed")
	s, err := m.Credential(context.Background(), "IC_TEST_KEY")
	require.NoError(t, err)
	require.Equal(t, "sk-value", s.Reveal())
	require.Len(t, m, 1)
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		return testtree.WriteMode(t, dir, name, content, mode)
	}
	m, err := vault.ReadFile(write("ok.json", `{"GITHUB_TOKEN":"ghp_x","K":"v"}`, 0o600))
	require.NoError(t, err)
	s, err := m.Credential(context.Background(), "GITHUB_TOKEN")
	require.NoError(t, err)
	require.Equal(t, "ghp_x", s.Reveal())
	_, err = vault.ReadFile(write("strict.json", `{}`, 0o400))
	require.NoError(t, err)

	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644, 0o666} {
		_, err := vault.ReadFile(write(fmt.Sprintf("loose%o.json", mode), `{"K":"v"}`, mode))
		require.ErrorContains(t, err, "0600 or stricter", "mode %o", mode)
	}
	_, err = vault.ReadFile(write("bad.json", `{"K": 1, "secret-looking": "sk-ant-leak"}`, 0o600))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "sk-ant-leak")
	_, err = vault.ReadFile(dir)
	require.Error(t, err)
	_, err = vault.ReadFile(filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func ExampleMap() {
	v := vault.Map{"ANTHROPIC_API_KEY": ironcurtain.NewSecret("sk-ant-real-key")}
	key, err := v.Credential(context.Background(), "ANTHROPIC_API_KEY")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key) // a Secret prints redacted; Reveal it at the point of use
	// Output: [redacted]
}
