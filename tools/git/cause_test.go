package git

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

// TestErrorCauseReachesAuditOnly: through a Gate, a failed git command
// shows the agent the public message, while the call's audit entry keeps
// the cause behind it, git's raw stderr.
func TestErrorCauseReachesAuditOnly(t *testing.T) {
	f := newFixture(t, Options{})
	g := toolsettest.Gate(t, ServerName, f.s)
	res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: "git_show",
		Arguments: map[string]any{"path": f.repo, "object": "nosuchref"}})
	require.NoError(t, err)
	require.True(t, res.IsError)
	for _, os := range osErrorTexts {
		require.NotContains(t, res.Text(), os)
	}
	audited := g.Audited()
	require.Len(t, audited, 1)
	cause, ok := strings.CutPrefix(audited[0].Error, res.Text()+" (")
	require.True(t, ok, "the entry has the public text, then the cause: %s", audited[0].Error)
	require.Contains(t, cause, "fatal: ", "git's own stderr")
}

// TestGatedSymlinkTargetNotShown: through a Gate, PrepareCall replaces a
// path by what it resolves to, so the tool receives the target of a
// symbolic link the agent made in its sandbox; an error must not tell the
// agent where that target is when it lies outside the roots.
func TestGatedSymlinkTargetNotShown(t *testing.T) {
	f := newFixture(t, Options{})
	hidden := filepath.Join(t.TempDir(), "hidden-host-dir")
	require.NoError(t, os.MkdirAll(filepath.Join(hidden, "repo"), 0o755))
	require.NoError(t, os.Symlink(hidden, filepath.Join(f.root, "link")))
	require.NoError(t, os.Symlink(filepath.Join(hidden, "gone"), filepath.Join(f.root, "dangling")))
	g := toolsettest.Gate(t, ServerName, f.s)
	for _, p := range []string{filepath.Join(f.root, "link", "repo"), filepath.Join(f.root, "dangling"), filepath.Join(f.root, "dangling", "x")} {
		for _, tool := range []string{"git_status", "git_log", "git_init", "git_add"} {
			args := map[string]any{"path": p}
			if tool == "git_add" {
				args["paths"] = []any{"a"}
			}
			res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tool, Arguments: args})
			require.NoError(t, err)
			require.True(t, res.IsError, "%s %s: %s", tool, p, res.Text())
			require.NotContains(t, res.Text(), "hidden-host-dir", "%s %s", tool, p)
			require.NotContains(t, res.Text(), filepath.Dir(hidden), "%s %s", tool, p)
		}
	}
}
