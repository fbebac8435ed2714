package git

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRepositoryStaysInItsOwnRoot: with two roots (the sandbox and a
// directory the policy only lets the agent read, say), a repository in one
// may not keep its git dir, common dir, work tree or objects in the other:
// the policy judged the call for the root its path is in.
func TestRepositoryStaysInItsOwnRoot(t *testing.T) {
	requireGit(t)
	base, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	sandbox, docs := filepath.Join(base, "sandbox"), filepath.Join(base, "docs")
	require.NoError(t, os.MkdirAll(sandbox, 0o755))
	proj := newRepo(t, filepath.Join(docs, "proj"))
	s, err := New(Options{Roots: []string{sandbox, docs}})
	require.NoError(t, err)
	defer s.Close()
	f := &fixture{t: t, s: s, root: sandbox}

	cases := map[string]func(x string){
		"gitdir file": func(x string) {
			writeFile(t, filepath.Join(x, ".git"), "gitdir: "+filepath.Join(proj, ".git")+"\n")
		},
		".git symlink": func(x string) {
			require.NoError(t, os.MkdirAll(x, 0o755))
			require.NoError(t, os.Symlink(filepath.Join(proj, ".git"), filepath.Join(x, ".git")))
		},
		"core.worktree": func(x string) {
			newRepo(t, x)
			rawGit(t, x, "config", "core.worktree", proj)
		},
		"alternates": func(x string) {
			newRepo(t, x)
			writeFile(t, filepath.Join(x, ".git", "objects", "info", "alternates"), filepath.Join(proj, ".git", "objects")+"\n")
		},
		"commondir": func(x string) {
			newRepo(t, x)
			writeFile(t, filepath.Join(x, ".git", "commondir"), filepath.Join(proj, ".git")+"\n")
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			x := filepath.Join(sandbox, name)
			setup(x)
			f.t = t
			f.fail("git_status", map[string]any{"path": x})
			f.fail("git_log", map[string]any{"path": x})
		})
	}
	t.Run("a repository of its own root still works", func(t *testing.T) {
		f.t = t
		x := newRepo(t, filepath.Join(sandbox, "ok"))
		f.ok("git_status", map[string]any{"path": x})
	})
}
