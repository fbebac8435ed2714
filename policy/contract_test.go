package policy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/policytest"
	"github.com/stretchr/testify/require"
)

// TestContract runs the PolicyEngine contract against the default policy
// on calls that reach each kind of rule: the sandbox, protected paths,
// paths outside, git on a real repository, remotes and URLs.
func TestContract(t *testing.T) {
	home := t.TempDir()
	sb := filepath.Join(home, "sb")
	repo := filepath.Join(sb, "repo")
	require.NoError(t, os.MkdirAll(repo, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sb, "notes.md"), []byte("hi"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".ssh", "id_rsa"), []byte("key"), 0o600))
	if _, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command("git", "init", "-q", repo).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	e, err := policy.Default(policy.Config{Home: home, Sandbox: sb,
		DomainAllowlists: map[string][]string{"git": {"github.com"}}})
	require.NoError(t, err)

	c := func(server, tool string, args map[string]any) ironcurtain.ToolCall {
		return ironcurtain.ToolCall{Server: server, Tool: tool, Arguments: args}
	}
	policytest.Run(t, e, []ironcurtain.ToolCall{
		c("filesystem", "read_text_file", map[string]any{"path": filepath.Join(sb, "notes.md")}),
		c("filesystem", "read_text_file", map[string]any{"path": "notes.md"}),
		c("filesystem", "read_text_file", map[string]any{"path": filepath.Join(home, ".ssh", "id_rsa")}),
		c("filesystem", "write_file", map[string]any{"path": filepath.Join(home, "x.txt"), "content": "x"}),
		c("filesystem", "write_file", map[string]any{"path": "/etc/cron.d/x", "content": "x"}),
		c("filesystem", "move_file", map[string]any{"source": filepath.Join(sb, "notes.md"), "destination": filepath.Join(home, "n.md")}),
		c("filesystem", "read_multiple_files", map[string]any{"paths": []any{filepath.Join(sb, "notes.md"), "/etc/passwd"}}),
		c("filesystem", "directory_tree", map[string]any{"path": home}),
		c("git", "git_status", map[string]any{"path": repo}),
		c("git", "git_push", map[string]any{"path": repo, "remote": "https://github.com/me/proj.git"}),
		c("git", "git_clone", map[string]any{"url": "https://evil.example/x.git", "path": filepath.Join(sb, "x")}),
		c("fetch", "http_fetch", map[string]any{"url": "https://example.org/?q=1"}),
		c("fetch", "http_fetch", map[string]any{"url": "file:///etc/passwd"}),
	})
}
