//go:build unix

package git

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// A workspace that belongs to another user (Docker Mode's agent): git in
// its jail, run as root without capabilities, cannot create a repository
// there; run as that user it can, and what it makes is that user's. The
// jail still holds: a file outside the roots stays out of reach.
func TestRunAs(t *testing.T) {
	requireGit(t)
	requireJail(t)
	if os.Geteuid() != 0 {
		t.Skip("running git as another user needs root")
	}
	const uid, gid = 65534, 65534
	reachableTemp(t)
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		require.NoError(t, os.Chmod(d, 0o755)) // the user reaches its workspace
	}
	ws := filepath.Join(base, "ws")
	require.NoError(t, os.Mkdir(ws, 0o755))
	require.NoError(t, os.Chown(ws, uid, gid))
	secret := filepath.Join(base, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("top secret\n"), 0o644))

	init := func(s *Server, dir string) ironcurtain.Result {
		res, err := s.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: "git_init", Arguments: map[string]any{"path": dir}})
		require.NoError(t, err)
		return res
	}
	asRoot, err := New(Options{Roots: []string{ws}, Jail: &jail.Policy{}})
	require.NoError(t, err)
	defer asRoot.Close()
	res := init(asRoot, filepath.Join(ws, "r0"))
	require.True(t, res.IsError, "control: jailed root git cannot write in the user's directory")
	require.Contains(t, res.Text(), "Permission denied")

	s, err := New(Options{Roots: []string{ws}, Jail: &jail.Policy{}, RunAs: &User{UID: uid, GID: gid}})
	require.NoError(t, err)
	defer s.Close()
	res = init(s, filepath.Join(ws, "r"))
	require.False(t, res.IsError, res.Text())
	filepath.Walk(filepath.Join(ws, "r"), func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		require.EqualValues(t, uid, fi.Sys().(*syscall.Stat_t).Uid, p)
		return nil
	})
	out, err := s.exec(context.Background(), invocation{dir: filepath.Join(ws, "r"), ceiling: ws,
		args: []string{"diff", "--no-index", "--", "/dev/null", secret}})
	require.NoError(t, err)
	require.NotContains(t, string(out.stdout), "top secret")

	_, err = New(Options{Roots: []string{ws}, RunAs: &User{UID: 0, GID: 0}})
	require.Error(t, err, "RunAs root is refused")

	// A protected file inside the root is masked, which takes a private
	// namespace: git still runs there as the user, and cannot read it.
	masked := filepath.Join(ws, "r", "secret.env")
	require.NoError(t, os.WriteFile(masked, []byte("TOPSECRET-c9\n"), 0o644))
	sm, err := New(Options{Roots: []string{ws}, Jail: &jail.Policy{Protected: []string{masked}}, RunAs: &User{UID: uid, GID: gid}})
	require.NoError(t, err)
	defer sm.Close()
	res = init(sm, filepath.Join(ws, "r2"))
	require.False(t, res.IsError, res.Text())
	fi, err := os.Stat(filepath.Join(ws, "r2", ".git", "HEAD"))
	require.NoError(t, err)
	require.EqualValues(t, uid, fi.Sys().(*syscall.Stat_t).Uid)
	res, err = sm.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: "git_diff",
		Arguments: map[string]any{"path": filepath.Join(ws, "r"), "includeUntracked": true}})
	require.NoError(t, err)
	require.NotContains(t, res.Text(), "TOPSECRET")
	require.Contains(t, res.Text(), "secret.env\"): Permission denied", "git meets the mask")
}
