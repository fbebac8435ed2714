package git

import (
	"context"
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
