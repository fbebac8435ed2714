package ironcurtain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// TestGateToolErrorCause: a tool error built from a public message and a
// cause reaches the caller with the public message only, in every form the
// caller can turn the result into, while the audit entry of the call keeps
// the cause: bounded, and inert (no escape sequence, no forged line).
func TestGateToolErrorCause(t *testing.T) {
	_, lstat := os.Lstat("/nonexistent-host-dir/alice/.ssh/id_ed25519")
	require.Error(t, lstat)
	cause := fmt.Errorf("%w\x1b[2J\nforged line%s", lstat, strings.Repeat("x", 100_000))
	srv := toolset.New(toolset.Tool{
		Def: ironcurtain.Tool{Name: "read_file", InputSchema: json.RawMessage(readFileSchema)},
		Handle: func(context.Context, map[string]any) (ironcurtain.Result, error) {
			return ironcurtain.Result{}, toolset.Wrapf(cause, "cannot read %s: no such file or directory", "notes.txt")
		},
	})
	audit := &memAudit{}
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"fs": srv},
		Policy:  allowAll(),
		Audit:   audit,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })

	res, err := g.Call(context.Background(), readCall("notes.txt"))
	require.NoError(t, err)
	require.True(t, res.IsError)
	const public = "cannot read notes.txt: no such file or directory"
	require.Equal(t, public, res.Text())
	require.Equal(t, ironcurtain.ErrorResult(public), res, "nothing of the cause travels with the result")
	agent := ironcurtain.AgentResult(res, err)
	wire, jerr := json.Marshal(agent)
	require.NoError(t, jerr)
	for _, seen := range []string{res.Text(), agent.Text(), string(wire), fmt.Sprintf("%+v %#v", res, agent)} {
		require.NotContains(t, seen, "nonexistent-host-dir")
		require.NotContains(t, seen, "lstat")
	}

	entries := audit.all()
	require.Len(t, entries, 1)
	e := entries[0]
	require.Equal(t, ironcurtain.OutcomeError, e.Outcome)
	require.Contains(t, e.Error, "lstat /nonexistent-host-dir/alice/.ssh/id_ed25519: no such file or directory")
	require.Contains(t, e.Error, public, "the record says what the model was told, too")
	require.NotContains(t, e.Error, "\x1b")
	require.NotContains(t, e.Error, "\n")
	require.Contains(t, e.Error, `\u001b[2J\nforged line`)
	require.LessOrEqual(t, len(e.Error), 8192, "the cause is bounded in the record")
}

// TestAgentResultDropsCause: a result carrying a cause that reaches
// AgentResult without passing a Gate still shows the public text only.
func TestAgentResultDropsCause(t *testing.T) {
	res := ironcurtain.ErrorResultWithCause("cannot read a.txt", fmt.Errorf("open /srv/host/a.txt: EIO"))
	require.Equal(t, "cannot read a.txt", res.Text())
	got := ironcurtain.AgentResult(res, nil)
	require.Equal(t, ironcurtain.ErrorResult("cannot read a.txt"), got)
	require.NotContains(t, fmt.Sprintf("%#v", got), "/srv/host")
}
