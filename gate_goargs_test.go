package ironcurtain_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// TestGateNormalisesGoArguments: arguments built in Go with the types Go
// programs use (int, []string, map[string]string, json.Number) reach the
// policy and the server as the JSON values encoding/json would give, and
// the caller's map is left as it was.
func TestGateNormalisesGoArguments(t *testing.T) {
	var judged ironcurtain.ToolCall
	policy := policyFunc(func(_ context.Context, c ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		judged = c
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "ok"}, nil
	})
	g, srv, _ := testGate(t, policy, nil)
	args := map[string]any{"path": "/a", "head": 10}
	_, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: args})
	require.NoError(t, err)
	require.Equal(t, 10.0, judged.Arguments["head"], "the policy judges a JSON number")
	require.Equal(t, 10.0, srv.ran()[0].Arguments["head"], "the server gets a JSON number")
	require.Equal(t, 10, args["head"], "the caller's map is not changed")

	_, err = g.Call(context.Background(), ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{
		"names": []string{"a", "b"}, "env": map[string]string{"K": "V"}, "n": json.Number("2.5"),
		"u8": uint8(7), "f": float32(0.5), "nested": []any{map[string]any{"i": int64(-3)}},
	}})
	require.NoError(t, err)
	got, err := json.Marshal(srv.ran()[1].Arguments)
	require.NoError(t, err)
	require.JSONEq(t, `{"names":["a","b"],"env":{"K":"V"},"n":2.5,"u8":7,"f":0.5,"nested":[{"i":-3}]}`, string(got))
	require.IsType(t, []any{}, srv.ran()[1].Arguments["names"])
}

// TestGateRefusesGoValuesJSONHasNot: a value JSON cannot hold, or one that
// would change on the way (an integer too large for a float64), is refused
// with a message that says how to pass it; nothing runs.
func TestGateRefusesGoValuesJSONHasNot(t *testing.T) {
	g, srv, _ := testGate(t, allowAll(), nil)
	for name, v := range map[string]any{
		"struct":  struct{ A int }{1},
		"big int": int64(1) << 60,
		"chan":    make(chan int),
		"bytes":   []byte("x"),
		"bad num": json.Number("12abc"),
	} {
		res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{"v": v}})
		de := requireDenied(t, res, err, "invalid-arguments")
		require.Contains(t, de.Decision.Reason, `"v"`, name)
		require.Contains(t, de.Decision.Reason, "pass", "%s: the reason says how to pass it: %s", name, de.Decision.Reason)
	}
	require.Empty(t, srv.ran())
}
