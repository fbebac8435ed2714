package codemode

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// TestParallel runs many sandboxes at once, each on its own goroutine,
// with different memory limits, tool calls, timeouts and crashes mixed in;
// run it with -race.
func TestParallel(t *testing.T) {
	g := newGate(t, allowAll, nil, func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.TextResult(fmt.Sprint(call.Arguments["path"])), nil
	})
	type job struct {
		opts  Options
		src   string
		check func(t *testing.T, rep ironcurtain.Report, err error)
	}
	ok := func(want string) func(t *testing.T, rep ironcurtain.Report, err error) {
		return func(t *testing.T, rep ironcurtain.Report, err error) {
			require.NoError(t, err)
			require.JSONEq(t, want, string(rep.Value))
		}
	}
	jobs := []job{
		{Options{MemoryLimit: 8 << 20}, `let n = 0; for (let i = 0; i < 20; i++) n += filesystem.read_file({ path: "p" + i }).length; return n;`, ok("50")},
		{Options{MemoryLimit: 16 << 20}, `console.log("x"); return [1, 2, 3].map((v) => v * 2);`, ok("[2,4,6]")},
		{Options{MemoryLimit: 8 << 20, Timeout: 200 * time.Millisecond}, `while (true) {}`, func(t *testing.T, _ ironcurtain.Report, err error) {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}},
		{Options{MemoryLimit: 8 << 20}, `const a: Uint8Array[] = []; for (;;) a.push(new Uint8Array(1 << 20));`, func(t *testing.T, _ ironcurtain.Report, err error) {
			require.ErrorIs(t, err, ironcurtain.ErrLimit)
		}},
		{Options{}, `function f(n: number): number { return f(n + 1) + 1 } return f(0);`, func(t *testing.T, _ ironcurtain.Report, err error) {
			require.ErrorIs(t, err, ErrCrashed)
		}},
		{Options{MemoryLimit: 24 << 20}, `await new Promise((r) => setTimeout(r, 5)); return git.git_status({});`, ok(`"<nil>"`)},
		{Options{MemoryLimit: 12 << 20}, `throw new Error("nope")`, func(t *testing.T, _ ironcurtain.Report, err error) {
			asScriptError(t, err)
		}},
		{Options{MemoryLimit: 4 << 20}, `return "small"`, ok(`"small"`)},
	}
	var wg sync.WaitGroup
	for round := range 2 {
		for i, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.opts.Backend = g
				s, err := New(j.opts)
				require.NoError(t, err)
				rep, err := s.Run(context.Background(), ironcurtain.Job{Source: j.src, Session: fmt.Sprint(round, i)})
				t.Run(fmt.Sprintf("%d-%d", round, i), func(t *testing.T) { j.check(t, rep, err) })
			}()
		}
	}
	wg.Wait()
}
