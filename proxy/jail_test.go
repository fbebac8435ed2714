package proxy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/jail"
)

// runReader serves one tool, read{path}, that returns a file's content:
// the upstream a compromised server would be.
func runReader() {
	s := server.NewMCPServer("reader", "1.0.0")
	s.AddTool(mcp.NewTool("read", mcp.WithString("path", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			b, err := os.ReadFile(req.GetString("path", ""))
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			return mcp.NewToolResultText(string(b)), nil
		})
	_ = server.NewStdioServer(s).Listen(context.Background(), os.Stdin, os.Stdout)
}

func requireJail(t *testing.T) {
	t.Helper()
	if _, err := jail.Check(jail.Policy{}); err != nil {
		t.Skipf("no jail on this machine: %v", err)
	}
}

// TestStdioJail: a jailed upstream still serves its tools with exactly its
// configured environment, and cannot read what its jail does not grant,
// which the same upstream unjailed reads.
func TestStdioJail(t *testing.T) {
	requireJail(t)
	t.Parallel()
	dir := t.TempDir()
	granted := filepath.Join(dir, "granted")
	require.NoError(t, os.Mkdir(granted, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(granted, "f"), []byte("shared"), 0o600))
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("top secret"), 0o600))

	read := func(c *Client, path string) (string, bool) {
		res, err := c.Call(testContext(t), call("read", map[string]any{"path": path}))
		require.NoError(t, err)
		return res.Text(), res.IsError
	}
	plain := startChild(t, "reader", nil)
	text, isErr := read(plain, secret)
	require.False(t, isErr, "control: unjailed, the upstream reads it")
	require.Equal(t, "top secret", text)

	jailed := startChild(t, "reader", func(cfg *StdioConfig) {
		cfg.Jail = &jail.Policy{ReadOnly: []string{granted}}
	})
	text, isErr = read(jailed, secret)
	require.True(t, isErr)
	require.Contains(t, text, "permission denied")
	text, isErr = read(jailed, filepath.Join(granted, "f"))
	require.False(t, isErr, text)
	require.Equal(t, "shared", text)

	up := startChild(t, "upstream", func(cfg *StdioConfig) { cfg.Jail = &jail.Policy{} })
	res, err := up.Call(testContext(t), call("env", nil))
	require.NoError(t, err)
	require.Equal(t, []string{childEnvVar}, envNames(res.Text()), "the jail adds nothing to the environment")
}

// TestStdioJailRefused: a jail that would expose a credential store is
// refused before anything starts.
func TestStdioJailRefused(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	_, err = Stdio(testContext(t), StdioConfig{Command: exe, Env: map[string]string{childEnvVar: "reader"},
		Jail: &jail.Policy{ReadOnly: []string{"/"}}})
	require.ErrorIs(t, err, jail.ErrCredentialPath)
}
