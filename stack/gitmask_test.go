package stack_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
)

// TestGitJailGetsProtectedPaths: a path the policy protects inside the
// sandbox is masked in git's jail, so the git server, called directly
// (without the Gate and its policy), cannot read it.
func TestGitJailGetsProtectedPaths(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	if e, err := jail.Check(jail.Policy{ReadWrite: []string{dir}, Masked: []string{filepath.Join(dir, "x")}}); err != nil || !e.Masked {
		t.Skipf("paths cannot be masked here: %v", err)
	}
	sandbox, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	out, err := exec.Command("git", "init", "-q", sandbox).CombinedOutput()
	require.NoError(t, err, "%s", out)
	secret := filepath.Join(sandbox, "secret.env")
	require.NoError(t, os.WriteFile(secret, []byte("TOPSECRET-b41\n"), 0o600))
	st, err := stack.New(context.Background(), stack.Options{Sandbox: sandbox, Protected: []string{secret},
		Builtins: []string{stack.Git}, Git: git.Options{Jail: &jail.Policy{}}})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	res, err := st.Servers[stack.Git].Call(context.Background(), ironcurtain.ToolCall{Server: stack.Git, Tool: "git_diff",
		Arguments: map[string]any{"includeUntracked": true}})
	require.NoError(t, err)
	require.False(t, strings.Contains(res.Text(), "TOPSECRET"), "%s", res.Text())
}
