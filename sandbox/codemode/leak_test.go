package codemode

import (
	"context"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// quietBackend answers every call and keeps nothing.
type quietBackend struct{}

func (quietBackend) Tools(context.Context) ([]ironcurtain.ServerTool, error) { return testTools(), nil }

func (quietBackend) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.TextResult("ok"), nil
}

// TestNoLeak runs scripts that end every way a run can end and checks that
// nothing of them stays on the heap: qjs alone keeps every runtime's host
// modules, and the whole memory of a runtime that panicked, for ever.
func TestNoLeak(t *testing.T) {
	s := newTestSandbox(t, quietBackend{}, Options{Timeout: 50 * time.Millisecond, MemoryLimit: 8 << 20})
	scripts := []string{
		`return filesystem.read_file({ path: "a" })`,
		`while (true) {}`,
		`function f(n: number): number { return f(n + 1) + 1 } return f(0);`,
		`const a: Uint8Array[] = []; for (;;) a.push(new Uint8Array(1 << 20));`,
		`throw new Error("x")`,
	}
	run := func(n int) {
		for i := range n {
			_, _ = runScript(t, s, scripts[i%len(scripts)])
		}
	}
	run(10)
	before, _ := memNow()
	const n = 100
	run(n)
	after, _ := memNow()
	require.Less(t, after-before, int64(n*20<<10), "the heap grew by %d KiB over %d runs", (after-before)>>10, n)
}
