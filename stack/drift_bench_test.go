package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

type fixedTools []ironcurtain.Tool

func (f fixedTools) Tools(context.Context) ([]ironcurtain.Tool, error) { return f, nil }
func (f fixedTools) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.Result{}, nil
}

// BenchmarkDriftGuardTools is the guard's cost on every call to a server of
// 128 tools (the size of IronCurtain's Google Workspace server), once each
// tool has been judged.
func BenchmarkDriftGuardTools(b *testing.B) {
	a := policy.DefaultArtifacts()
	var tools fixedTools
	var ann []policy.ToolAnnotation
	for i := range 128 {
		name := fmt.Sprintf("tool_%d", i)
		tools = append(tools, ironcurtain.Tool{Name: name, InputSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"query":{"type":"string"}}}`)})
		ann = append(ann, policy.ToolAnnotation{ToolName: name, Args: policy.Args{
			{Name: "id", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}}},
			{Name: "query", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}}}}})
	}
	a.Annotations.Servers["workspace"] = policy.ServerAnnotations{Tools: ann}
	e, err := policy.New(a, policy.Config{Home: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	g := newDriftGuard("workspace", tools, e, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := g.Tools(ctx)
		if err != nil || len(got) != 128 {
			b.Fatal(len(got), err)
		}
	}
}
