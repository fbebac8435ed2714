package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

type echoServer struct{}

func (echoServer) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{Name: "fetch", InputSchema: json.RawMessage(
		`{"type":"object","properties":{"url":{"type":"string"},"headers":{"type":"object","additionalProperties":{"type":"string"}}}}`)}}, nil
}

func (echoServer) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if call.Arguments["url"] == "fail" {
		return ironcurtain.Result{}, errors.New("upstream said: bad key " + realKey)
	}
	return ironcurtain.TextResult("ok"), nil
}

const realKey = "sk-live-0123456789abcdefghij-real"

// TestGateAuditEndToEnd: a Gate writing through an audit.Log keeps the chain
// intact and keeps the vault's secrets out of the file, wherever they turn
// up: in arguments the agent sends, in a tool's error, in a policy error.
func TestGateAuditEndToEnd(t *testing.T) {
	ctx := context.Background()
	v := vault.Map{"API_KEY": ironcurtain.NewSecret(realKey), "DB": ironcurtain.NewSecret("correct-horse-battery")}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(ctx, path, audit.Options{Vault: v, NoSync: true})
	require.NoError(t, err)
	policy := policyFunc(func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		if call.Arguments["url"] == "policy-fails" {
			return ironcurtain.Decision{}, errors.New("lookup of correct-horse-battery failed")
		}
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow"}, nil
	})
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"web": echoServer{}},
		Policy:  policy,
		Audit:   log,
	})
	require.NoError(t, err)

	calls := []map[string]any{
		{"url": "https://api.example/?key=" + realKey},
		{"url": "https://x", "headers": map[string]any{"X-Token": "prefix " + realKey}},
		{"url": "fail"},
		{"url": "policy-fails"},
		{"url": 3.0, "note": realKey}, // refused by the schema, recorded raw
	}
	for _, args := range calls {
		_, _ = gate.Call(ctx, ironcurtain.ToolCall{Server: "web", Tool: "fetch", Arguments: args})
	}
	require.NoError(t, gate.Close())
	require.NoError(t, log.Close())

	data := mustRead(t, path)
	require.NotContains(t, string(data), realKey)
	require.NotContains(t, string(data), "correct-horse-battery")
	require.Contains(t, string(data), "[REDACTED]")
	rep, err := audit.Verify(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, len(calls), rep.Calls)
	require.True(t, rep.Sealed)
}

type policyFunc func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error)

func (f policyFunc) Evaluate(ctx context.Context, c ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return f(ctx, c)
}
