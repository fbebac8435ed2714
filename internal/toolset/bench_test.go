package toolset

import (
	"context"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

var benchArgs = map[string]any{
	"path":    "src/main.go",
	"head":    20.0,
	"mode":    "a",
	"tags":    []any{"x", "y"},
	"edits":   []any{map[string]any{"a": "old", "b": 1.0}},
	"headers": map[string]any{"Accept": "text/plain"},
}

// BenchmarkTypedCall is one call of a Typed tool through a Set: the
// schema check, the strict decode and an empty handler.
func BenchmarkTypedCall(b *testing.B) {
	s := New(Typed(ironcurtain.Tool{Name: "t"}, func(context.Context, richArgs) (ironcurtain.Result, error) {
		return ironcurtain.Result{}, nil
	}))
	call := ironcurtain.ToolCall{Tool: "t", Arguments: benchArgs}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res, err := s.Call(ctx, call); err != nil || res.IsError {
			b.Fatal(err, res.Text())
		}
	}
}

// BenchmarkDecode is the strict decode alone, as tools did it before Typed.
func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode[richArgs](benchArgs); err != nil {
			b.Fatal(err)
		}
	}
}
