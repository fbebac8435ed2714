package git

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/sandbox/jail"
)

// TestRunAsMasks: git run as another user (Docker Mode) in a jail with a
// protected file inside the root still runs (as that user, in a private
// namespace whose root that user is), and still cannot read it.
func TestRunAsMasks(t *testing.T) {
	requireGit(t)
	requireJail(t)
	if os.Geteuid() != 0 {
		t.Skip("running git as another user needs root")
	}
	const uid, gid = 65534, 65534
	reachableTemp(t)
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	ws := filepath.Join(base, "ws")
	require.NoError(t, os.Mkdir(ws, 0o755))
	require.NoError(t, os.Chown(ws, uid, gid))
	secret := filepath.Join(ws, "secret.env")
	require.NoError(t, os.WriteFile(secret, []byte("TOPSECRET-c9\n"), 0o644))
	require.NoError(t, os.Chown(secret, uid, gid))
	s, err := New(Options{Roots: []string{ws}, DefaultDir: ws, Jail: &jail.Policy{Protected: []string{secret}}, RunAs: &User{UID: uid, GID: gid}})
	require.NoError(t, err)
	defer s.Close()
	call := func(tool string, args map[string]any) ironcurtain.Result {
		res, err := s.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tool, Arguments: args})
		require.NoError(t, err)
		return res
	}
	res := call("git_init", map[string]any{"path": ws})
	require.False(t, res.IsError, res.Text())
	fi, err := os.Stat(filepath.Join(ws, ".git", "HEAD"))
	require.NoError(t, err)
	require.EqualValues(t, uid, fi.Sys().(*syscall.Stat_t).Uid, "git ran as the user")
	require.EqualValues(t, gid, fi.Sys().(*syscall.Stat_t).Gid)
	res = call("git_diff", map[string]any{"path": ws, "includeUntracked": true})
	require.NotContains(t, res.Text(), "TOPSECRET")
	require.NotContains(t, res.Text(), "sandbox could not be applied")
}
