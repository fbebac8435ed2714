package ironcurtain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// notes is a tiny in-process tool server with one tool.
type notes map[string]string

func (notes) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{
		Name:        "read_note",
		Description: "Read a note by name.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`),
	}}, nil
}

func (n notes) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	name, _ := call.Arguments["name"].(string)
	text, ok := n[name]
	if !ok {
		return ironcurtain.ErrorResult("no note named " + name), nil
	}
	return ironcurtain.TextResult(text), nil
}

// privateNotes is a policy: notes whose name starts with "private-" are off
// limits.
type privateNotes struct{}

func (privateNotes) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	if name, _ := call.Arguments["name"].(string); strings.HasPrefix(name, "private-") {
		return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-private-notes", Reason: "private notes are off limits"}, nil
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-notes"}, nil
}

func ExampleGate() {
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{
			"notes": notes{"todo": "buy milk", "private-diary": "dear diary"},
		},
		Policy: privateNotes{},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gate.Close()

	ctx := context.Background()
	for _, args := range []map[string]any{
		{"name": "todo"},
		{"name": "private-diary"},
		{"name": 42.0}, // decoded JSON numbers are float64
	} {
		res, err := gate.Call(ctx, ironcurtain.ToolCall{Server: "notes", Tool: "read_note", Arguments: args})
		// What the agent is shown: the result, or the reason it was refused.
		fmt.Println(ironcurtain.AgentResult(res, err).Text())
	}
	// Output:
	// buy milk
	// DENIED: private notes are off limits
	// DENIED: argument "name" must be a string
}
