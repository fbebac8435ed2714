package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestGitConfigReaderFailsClosed: a configuration git reads but the
// engine's reader does not must never let an explicit or default remote be
// judged without the configuration's rewrites.
func TestGitConfigReaderFailsClosed(t *testing.T) {
	evil := "[url \"https://evil.test/\"]\n\tinsteadOf = https://github.com/\n"
	cases := map[string]string{
		"UTF-8 BOM":         "\xef\xbb\xbf" + evil,
		"over the size cap": evil + "#" + strings.Repeat("x", 1<<20) + "\n",
		"unparsable tail":   evil + "[\n",
		"include from home": "[include]\n\tpath = ~/evil.cfg\n",
		"include of a FIFO": "[include]\n\tpath = fifo\n",
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			repo := w.p("sandbox/repo")
			gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n"+cfg)
			require.NoError(t, os.WriteFile(w.p("evil.cfg"), []byte(evil), 0o644))
			require.NoError(t, mkfifo(filepath.Join(repo, ".git", "fifo")))
			e := w.defaultEngine(t)
			for _, c := range []ironcurtain.ToolCall{
				call("git", "git_fetch", "path", repo, "remote", "https://github.com/alice/project"),
				call("git", "git_push", "path", repo, "remote", "https://github.com/alice/project"),
				call("git", "git_push", "path", repo, "remote", "origin"),
				call("git", "git_push", "path", repo),
			} {
				d := decide(t, e, c)
				require.NotEqual(t, ironcurtain.Allow, d.Verdict, "%s %v: %s (%s)", c.Tool, c.Arguments["remote"], d.Rule, d.Reason)
			}
		})
	}
}

// TestGitConfigLoadFailsClosed checks the reader itself, apart from the
// repository resolution that refuses most of these first.
func TestGitConfigLoadFailsClosed(t *testing.T) {
	w := newWorld(t)
	repo := w.p("sandbox/repo")
	var rc repoCache
	for name, cfg := range map[string]string{
		"over the size cap": "#" + strings.Repeat("x", maxConfigBytes) + "\n",
		"unparsable":        "[\n",
		"include from home": "[include]\n\tpath = ~/evil.cfg\n",
		"include of a FIFO": "[include]\n\tpath = fifo\n",
	} {
		gitRepo(t, repo, cfg)
		_ = os.Remove(filepath.Join(repo, ".git", "fifo"))
		require.NoError(t, mkfifo(filepath.Join(repo, ".git", "fifo")))
		_, _, err := rc.load(repo, w.home)
		require.Error(t, err, name)
	}
	gitRepo(t, repo, "\xef\xbb\xbf[remote \"origin\"]\n\turl = https://github.com/a/b\n")
	cfg, found, err := rc.load(repo, w.home)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []string{"https://github.com/a/b"}, cfg.remoteURLs("origin"))
}
