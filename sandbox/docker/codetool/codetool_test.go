package codetool_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/sandbox/docker/codetool"
	"github.com/stretchr/testify/require"
)

type notes struct{}

func (notes) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{Name: "read_note", Description: "Read a note.", InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)}}, nil
}

func (notes) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.TextResult("note " + call.Arguments["name"].(string)), nil
}

type privatePolicy struct{}

func (privatePolicy) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	if strings.HasPrefix(call.Arguments["name"].(string), "private") {
		return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-private", Reason: "private notes are off limits"}, nil
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "ok"}, nil
}

func newBackend(t *testing.T) *codetool.Backend {
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{Servers: map[string]ironcurtain.ToolServer{"notes": notes{}}, Policy: privatePolicy{}})
	require.NoError(t, err)
	t.Cleanup(func() { gate.Close() })
	cm, err := codemode.New(codemode.Options{Backend: gate})
	require.NoError(t, err)
	return codetool.New(cm)
}

func TestExecuteCode(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	tools, err := b.Tools(ctx)
	require.NoError(t, err)
	require.Len(t, tools, 1)
	require.Equal(t, "code", tools[0].Server)
	require.Equal(t, "execute_code", tools[0].Tool.Name)
	require.Contains(t, tools[0].Tool.Description, "read_note", "the declarations are in the description")

	call := func(code string) ironcurtain.Result {
		res, err := b.Call(ctx, ironcurtain.ToolCall{Server: codetool.Server, Tool: codetool.Tool, Arguments: map[string]any{"code": code}})
		require.NoError(t, err)
		return res
	}
	res := call(`console.log("hi"); return notes.read_note({ name: "todo" });`)
	require.False(t, res.IsError, res.Text())
	require.JSONEq(t, `{"result":"note todo","output":["hi"]}`, res.Text())

	res = call(`return notes.read_note({ name: "private-diary" });`)
	require.True(t, res.IsError)
	require.Contains(t, res.Text(), "private notes are off limits")

	res = call(`this is not typescript`)
	require.True(t, res.IsError)

	res, err = b.Call(ctx, ironcurtain.ToolCall{Server: codetool.Server, Tool: codetool.Tool, Arguments: map[string]any{}})
	require.NoError(t, err)
	require.True(t, res.IsError)

	_, err = b.Call(ctx, ironcurtain.ToolCall{Server: "notes", Tool: "read_note"})
	require.ErrorIs(t, err, ironcurtain.ErrDenied)
}
