package git

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

type allowAll struct{}

func (allowAll) Evaluate(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "test"}, nil
}

// TestErrorCauseReachesAuditOnly: through a Gate, a failed git command
// shows the agent the public message, while the call's audit entry keeps
// the cause behind it, git's raw stderr.
func TestErrorCauseReachesAuditOnly(t *testing.T) {
	f := newFixture(t, Options{})
	var audited []ironcurtain.AuditEntry
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{ServerName: f.s},
		Policy:  allowAll{},
		Audit: ironcurtain.AuditorFunc(func(_ context.Context, e ironcurtain.AuditEntry) error {
			audited = append(audited, e)
			return nil
		}),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })

	res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: "git_show",
		Arguments: map[string]any{"path": f.repo, "object": "nosuchref"}})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Len(t, audited, 1)
	for _, os := range osErrorTexts {
		require.NotContains(t, res.Text(), os)
	}
	cause, ok := strings.CutPrefix(audited[0].Error, res.Text()+" (")
	require.True(t, ok, "the entry has the public text, then the cause: %s", audited[0].Error)
	require.Contains(t, cause, "fatal: ", "git's own stderr")
}
