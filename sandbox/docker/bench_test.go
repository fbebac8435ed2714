package docker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// firstCallBackend notes when the first tool call arrives.
type firstCallBackend struct {
	ironcurtain.Backend
	once sync.Once
	at   time.Time
}

func (f *firstCallBackend) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	f.once.Do(func() { f.at = time.Now() })
	return f.Backend.Call(ctx, call)
}

// BenchmarkContainerStartToFirstMCPCall measures, with the image already
// built, the time from Run to the agent's first tool call reaching the
// Gate: run directory and sockets, container create and start, the bridge,
// MCP initialize and tools/list, then tools/call (reported as
// first-call-ms). ns/op is the whole run, removal included.
func BenchmarkContainerStartToFirstMCPCall(b *testing.B) {
	w := newWorld(b)
	testImage(b)
	var total time.Duration
	n := 0
	for b.Loop() {
		fb := &firstCallBackend{Backend: w.gate}
		sb := standinSandbox(b, w, "first-call", func(o *Options) { o.Tools = fb })
		start := time.Now()
		if _, err := sb.Run(context.Background(), ironcurtain.Job{Source: "first call"}); err != nil {
			b.Fatal(err)
		}
		if fb.at.IsZero() {
			b.Fatal("no tool call arrived")
		}
		total += fb.at.Sub(start)
		n++
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "first-call-ms")
}
