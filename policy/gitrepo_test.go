package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestGitRedirectionOutsideSandbox: every way a repository inside the
// sandbox can make git act on a git dir, common dir, object store or work
// tree outside it must keep the call from being allowed.
func TestGitRedirectionOutsideSandbox(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, w world, x string)
	}{
		{"absolute gitdir file", func(t *testing.T, w world, x string) {
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: "+w.p("outside/proj/.git")+"\n"), 0o644))
		}},
		{"relative gitdir file", func(t *testing.T, w world, x string) {
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: ../../outside/proj/.git"), 0o644))
		}},
		{"gitdir file with BOM-free CRLF", func(t *testing.T, w world, x string) {
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: "+w.p("outside/proj/.git")+"\r\n"), 0o644))
		}},
		{".git symlink", func(t *testing.T, w world, x string) {
			require.NoError(t, os.Symlink(w.p("outside/proj/.git"), filepath.Join(x, ".git")))
		}},
		{"commondir", func(t *testing.T, w world, x string) {
			gitRepo(t, x, "")
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git", "commondir"), []byte(w.p("outside/proj/.git")+"\n"), 0o644))
		}},
		{"linked worktree of an outside repository", func(t *testing.T, w world, x string) {
			wt := w.p("outside/proj/.git/worktrees/x")
			require.NoError(t, os.MkdirAll(wt, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(wt, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(wt, "commondir"), []byte("../..\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: "+wt+"\n"), 0o644))
		}},
		{"linked worktree in sandbox, commondir outside", func(t *testing.T, w world, x string) {
			wt := filepath.Join(w.sandbox, "meta", "wt")
			require.NoError(t, os.MkdirAll(wt, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(wt, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(wt, "commondir"), []byte("../../../outside/proj/.git\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: ../meta/wt\n"), 0o644))
		}},
		{"core.worktree", func(t *testing.T, w world, x string) {
			gitRepo(t, x, "[core]\n\tworktree = "+w.p("outside/proj")+"\n")
		}},
		{"core.worktree, odd spelling", func(t *testing.T, w world, x string) {
			gitRepo(t, x, "[CORE]\n  WorkTree=\""+w.p("outside/proj")+"\"\n")
		}},
		{"alternates", func(t *testing.T, w world, x string) {
			gitRepo(t, x, "")
			require.NoError(t, os.MkdirAll(filepath.Join(x, ".git", "objects", "info"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git", "objects", "info", "alternates"), []byte(w.p("outside/proj/.git/objects")+"\n"), 0o644))
		}},
		{"alternates, chained", func(t *testing.T, w world, x string) {
			gitRepo(t, x, "")
			mid := filepath.Join(w.sandbox, "mid", "objects")
			require.NoError(t, os.MkdirAll(filepath.Join(mid, "info"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(mid, "info", "alternates"), []byte(w.p("outside/proj/.git/objects")+"\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(x, ".git", "objects", "info"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git", "objects", "info", "alternates"), []byte("../../../mid/objects\n"), 0o644))
		}},
		{"gitdir inside sandbox through a symlink outside", func(t *testing.T, w world, x string) {
			require.NoError(t, os.Symlink(w.p("outside/proj"), filepath.Join(w.sandbox, "docs")))
			require.NoError(t, os.WriteFile(filepath.Join(x, ".git"), []byte("gitdir: ../docs/.git\n"), 0o644))
		}},
		{"FIFO as .git", func(t *testing.T, w world, x string) {
			require.NoError(t, mkfifo(filepath.Join(x, ".git")))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			gitRepo(t, w.p("outside/proj"), "")
			x := filepath.Join(w.sandbox, "x")
			require.NoError(t, os.MkdirAll(x, 0o755))
			tc.setup(t, w, x)
			e := w.defaultEngine(t)
			for _, c := range []ironcurtain.ToolCall{
				call("git", "git_commit", "path", x, "message", "m"),
				call("git", "git_branch", "path", x, "mode", "delete", "branchName", "main"),
				call("git", "git_status", "path", x),
			} {
				d := decide(t, e, c)
				require.NotEqual(t, ironcurtain.Allow, d.Verdict, "%s: %s (%s)", c.Tool, d.Rule, d.Reason)
			}
		})
	}
}

// TestGitRepoInsideSandboxStillAllowed: a plain repository, a linked
// worktree and alternates all inside the sandbox are judged as before.
func TestGitRepoInsideSandboxStillAllowed(t *testing.T) {
	w := newWorld(t)
	x := filepath.Join(w.sandbox, "x")
	gitRepo(t, x, "")
	require.NoError(t, os.MkdirAll(filepath.Join(x, ".git", "objects", "info"), 0o755))
	other := filepath.Join(w.sandbox, "other")
	gitRepo(t, other, "")
	require.NoError(t, os.WriteFile(filepath.Join(x, ".git", "objects", "info", "alternates"), []byte(filepath.Join(other, ".git", "objects")+"\n"), 0o644))
	e := w.defaultEngine(t)
	d := decide(t, e, call("git", "git_status", "path", x))
	require.Equal(t, ironcurtain.Allow, d.Verdict, "%s: %s", d.Rule, d.Reason)
	d = decide(t, e, call("git", "git_commit", "path", filepath.Join(x, "sub"), "message", "m"))
	require.Equal(t, ironcurtain.Allow, d.Verdict, "%s: %s", d.Rule, d.Reason)
}
