//go:build unix

package policy

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestNeverBlocksOnAgentFIFOs puts a named pipe wherever the engine reads a
// file the agent controls while judging a call. Each decision must come back
// promptly, and must not be an allow: a repository that cannot be read cannot
// be judged. An open(2) of a FIFO with no writer would block for ever.
func TestNeverBlocksOnAgentFIFOs(t *testing.T) {
	for _, where := range []string{
		".git/config", ".git/config.worktree", ".git/HEAD", ".git/commondir",
		".git/objects/info/alternates", ".git",
	} {
		t.Run(where, func(t *testing.T) {
			w := newWorld(t)
			repo := w.p("sandbox/repo")
			gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n")
			p := filepath.Join(repo, filepath.FromSlash(where))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.RemoveAll(p))
			require.NoError(t, mkfifo(p))
			e := w.defaultEngine(t)
			for _, c := range []ironcurtain.ToolCall{
				call("git", "git_push", "path", repo, "remote", "origin"),
				call("git", "git_fetch", "path", repo, "remote", "https://github.com/alice/project"),
				call("git", "git_status", "path", repo),
			} {
				done := make(chan ironcurtain.Decision, 1)
				go func() {
					d, err := e.Evaluate(context.Background(), c)
					if err != nil {
						d = ironcurtain.Decision{Verdict: ironcurtain.Deny, Reason: err.Error()}
					}
					done <- d
				}()
				select {
				case d := <-done:
					if where == ".git/config.worktree" && c.Tool == "git_status" {
						continue // not read for a call that names no remote
					}
					require.NotEqual(t, ironcurtain.Allow, d.Verdict, "%s: %s (%s)", c.Tool, d.Rule, d.Reason)
				case <-time.After(10 * time.Second):
					f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0) // unblock the reader, so the test can end
					if err == nil {
						f.Close()
					}
					t.Fatalf("%s blocked on the FIFO at %s", c.Tool, where)
				}
			}
		})
	}
}
