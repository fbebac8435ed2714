package codemode

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastschema/qjs"
	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// reportCPU reports the CPU time per operation since start, next to the
// wall time, which on a shared machine also counts time spent waiting.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if cpu := cpuTime() - start; cpu > 0 && ops > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(ops), "cpu-µs/op")
	}
}

// BenchmarkStart is a run after the first: a fresh runtime, the prelude,
// the transform and a one-line script. It also reports how long the
// process's one compilation of the engine took.
func BenchmarkStart(b *testing.B) {
	s := newTestSandbox(b, &fakeBackend{tools: testTools()}, Options{})
	_, err := runScript(b, s, "return 1")
	require.NoError(b, err)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := runScript(b, s, "return 1"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, b.N)
	b.ReportMetric(float64(warmDuration.Milliseconds()), "first-compile-ms")
}

// BenchmarkStartParts splits a start into its parts.
func BenchmarkStartParts(b *testing.B) {
	require.NoError(b, Precompile())
	b.Run("engine", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			rt, err := newRuntime(context.Background(), &cappedMemory{limit: DefaultMemoryLimit}, io.Discard)
			require.NoError(b, err)
			_ = closeRuntime(rt)
		}
		reportCPU(b, cpu, b.N)
	})
	b.Run("engine+prelude", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			opts, _ := Options{}.withDefaults()
			r := newRun(context.Background(), opts, nil, bind(testTools()), "", nil)
			rt, err := newRuntime(r.ctx, r.mem, r.out)
			require.NoError(b, err)
			r.install(rt.Context())
			v, err := rt.Context().Eval("prelude.js", qjs.Bytecode(preludeBytecode))
			require.NoError(b, err)
			v.Free()
			_ = closeRuntime(rt)
			r.clock.stop()
			r.cancel(nil)
		}
		reportCPU(b, cpu, b.N)
	})
	b.Run("transform", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			_, err := compile("const x: number = 1;\nreturn x;")
			require.NoError(b, err)
		}
		reportCPU(b, cpu, b.N)
	})
}

// BenchmarkToolCall is one call from JavaScript to an in-process no-op
// tool and back, measured over b.N calls in one script: through a Gate
// (schema check, policy, breaker), and straight to a Caller.
func BenchmarkToolCall(b *testing.B) {
	noop := func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.TextResult("ok"), nil
	}
	backends := map[string]ironcurtain.Backend{
		"gate":   newGate(b, allowAll, nil, noop),
		"caller": &fakeBackend{tools: testTools(), fn: noop},
	}
	for _, name := range []string{"gate", "caller"} {
		b.Run(name, func(b *testing.B) {
			s := newTestSandbox(b, backends[name], Options{MaxToolCalls: 1 << 30, Timeout: time.Hour})
			src := "const n = " + strconv.Itoa(b.N) + ";\nfor (let i = 0; i < n; i++) filesystem.read_file({ path: \"a.txt\" });\nreturn n;"
			require.NoError(b, Precompile())
			b.ReportAllocs()
			cpu := cpuTime()
			b.ResetTimer()
			rep, err := runScript(b, s, src)
			b.StopTimer()
			require.NoError(b, err)
			require.Len(b, rep.Calls, b.N)
			reportCPU(b, cpu, b.N)
		})
	}
}

// BenchmarkIdleMemory holds 32 runtimes open, each blocked in a tool call,
// and reports the Go heap and the resident memory each costs.
func BenchmarkIdleMemory(b *testing.B) {
	const n = 32
	release := make(chan struct{})
	entered := make(chan struct{}, n)
	backend := &fakeBackend{tools: testTools(), fn: func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		entered <- struct{}{}
		<-release
		return ironcurtain.TextResult("ok"), nil
	}}
	s := newTestSandbox(b, backend, Options{})
	require.NoError(b, Precompile())
	var heap, rss float64
	for b.Loop() {
		heap0, rss0 := memNow()
		done := make(chan error, n)
		for range n {
			go func() {
				_, err := runScript(b, s, `return filesystem.read_file({ path: "a" });`)
				done <- err
			}()
		}
		for range n {
			<-entered
		}
		heap1, rss1 := memNow()
		heap += float64(heap1-heap0) / n
		rss += float64(rss1-rss0) / n
		for range n {
			release <- struct{}{}
		}
		for range n {
			require.NoError(b, <-done)
		}
	}
	b.ReportMetric(heap/float64(b.N)/1024, "heap-KiB/runtime")
	b.ReportMetric(rss/float64(b.N)/1024, "rss-KiB/runtime")
}

// memNow returns the live Go heap after a collection, and the resident
// set size where the system tells it.
func memNow() (heap, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap = int64(ms.HeapAlloc)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		var size, res int64
		if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &size, &res); err == nil {
			rss = res * int64(os.Getpagesize())
		}
	}
	return heap, rss
}
