package git

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestDotDotAfterSymlink: "sb/link/../secret", with link leading outside
// the roots, names what the kernel names: the secret beside link's
// target, outside the roots. Cleaned lexically first, it would name
// sb/secret, a different repository than the one git would open through
// the same path; both the tools and PrepareCall must resolve it as the
// kernel does.
func TestDotDotAfterSymlink(t *testing.T) {
	f := newFixture(t, Options{})
	outside, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "dir"), 0o755))
	newRepo(t, filepath.Join(outside, "secret"))
	newRepo(t, filepath.Join(f.root, "secret"))
	require.NoError(t, os.Symlink(filepath.Join(outside, "dir"), filepath.Join(f.root, "link")))
	p := f.root + "/link/../secret"

	for _, tool := range []string{"git_status", "git_log", "git_set_working_dir", "git_init"} {
		text := f.fail(tool, map[string]any{"path": p})
		require.Contains(t, text, "outside the directories this git server may use", tool)
	}
	// Relative to the working directory, too.
	f.fail("git_status", map[string]any{"path": "../link/../secret"})

	// PrepareCall hands the policy the path as the kernel will read it,
	// not a lexically cleaned one that names another directory.
	call, err := f.s.PrepareCall(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName,
		Tool: "git_status", Arguments: map[string]any{"path": "../link/../secret"}})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(outside, "secret"), call.Arguments["path"])
}

// TestDanglingSymlinkOutside: a symlink inside the roots to a directory
// that does not exist yet, outside them, is judged by where its target
// would be: git init through it would create the directory outside.
func TestDanglingSymlinkOutside(t *testing.T) {
	f := newFixture(t, Options{})
	outside, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	target := filepath.Join(outside, "created")
	require.NoError(t, os.Symlink(target, filepath.Join(f.root, "dangling")))

	f.fail("git_init", map[string]any{"path": filepath.Join(f.root, "dangling")})
	f.fail("git_init", map[string]any{"path": filepath.Join(f.root, "dangling", "deeper")})
	f.fail("git_set_working_dir", map[string]any{"path": filepath.Join(f.root, "dangling"), "initializeIfNotPresent": true})
	f.fail("git_worktree", map[string]any{"mode": "add", "worktreePath": filepath.Join(f.root, "dangling"), "branch": "wt"})
	_, err = os.Lstat(target)
	require.ErrorIs(t, err, os.ErrNotExist, "git created a directory outside the roots")
}
