package proxy

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// tablePolicy decides by qualified tool name; anything unlisted is allowed.
type tablePolicy map[string]ironcurtain.Verdict

func (p tablePolicy) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	v, ok := p[call.QualifiedName()]
	if !ok {
		v = ironcurtain.Allow
	}
	return ironcurtain.Decision{Verdict: v, Rule: "table", Reason: "the table says " + v.String()}, nil
}

// The proxy in front of the real Gate, with an upstream behind a Client:
// the Gate validates arguments against the schemas the Client passed
// through, the policy decides, and the proxy shows the agent what
// ironcurtain.AgentResult says.
func TestGateChain(t *testing.T) {
	up := startChild(t, "upstream", nil)
	var (
		mu      sync.Mutex
		audited []ironcurtain.AuditEntry
	)
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"up": up, "notes": notesServer()},
		Policy:  tablePolicy{"up__fail": ironcurtain.Deny, "notes__push": ironcurtain.Escalate},
		Audit: ironcurtain.AuditorFunc(func(_ context.Context, e ironcurtain.AuditEntry) error {
			mu.Lock()
			defer mu.Unlock()
			audited = append(audited, e)
			return nil
		}),
	})
	require.NoError(t, err)
	t.Cleanup(func() { gate.Close() })
	srv := newTestServer(t, gate, ServerConfig{Session: "chain", Watch: []ToolsNotifier{up}})
	cs := connectSDKStdio(t, srv, nil, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	ctx := testContext(t)

	tests := []struct {
		name   string
		tool   string
		args   map[string]any
		isErr  bool
		prefix string
	}{
		{"allowed", "up__echo", map[string]any{"text": "through the gate"}, false, "through the gate"},
		{"denied", "up__fail", nil, true, "DENIED: the table says deny"},
		{"escalated without approver", "notes__push", nil, true, "ESCALATION DENIED: the table says escalate"},
		{"wrong argument type", "up__echo", map[string]any{"text": 5}, true, "DENIED: "},
		{"oneOf violated", "up__pick", map[string]any{"path": "a", "url": "http://x"}, true, "DENIED: "},
		{"oneOf met", "up__pick", map[string]any{"path": "a"}, false, ""},
		{"oversized arguments", "up__echo", map[string]any{"text": strings.Repeat("x", 5<<20)}, true, "DENIED: the arguments are larger"},
		{"crash", "up__crash", nil, true, "ERROR: the tool server is not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tt.tool, Arguments: tt.args})
			require.NoError(t, err)
			text := sdkText(t, res)
			require.Equal(t, tt.isErr, res.IsError, text)
			require.True(t, strings.HasPrefix(text, tt.prefix), "%q does not start with %q", text, tt.prefix)
		})
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, audited, len(tests))
	require.Equal(t, "chain", audited[0].Session)
}
