package ironcurtain_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// BenchmarkGateOverhead measures what the Gate adds to a call: the same no-op
// tool called directly and through a Gate whose policy allows everything at
// once (so the difference is the Gate's own time, beyond the policy's).
//
//	go test -run '^$' -bench GateOverhead -benchmem .
//
// Subtract direct from gate for the overhead; gate+audit adds an Auditor that
// discards entries (the cost of building the entry, not of writing it).
func BenchmarkGateOverhead(b *testing.B) {
	srv := newFakeServer()
	srv.handle = func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.Result{Content: []ironcurtain.Content{}}, nil
	}
	noop := &noopServer{fakeServer: srv}
	args := map[string]any{"path": "/home/user/project/src/main.go", "head": 20.0}
	call := ironcurtain.ToolCall{ID: "c1", Server: "fs", Tool: "read_file", Arguments: args}
	ctx := context.Background()

	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := noop.Call(ctx, call); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct {
		name  string
		audit ironcurtain.Auditor
	}{
		{"gate", nil},
		{"gate+audit", ironcurtain.AuditorFunc(func(context.Context, ironcurtain.AuditEntry) error { return nil })},
	} {
		g, err := ironcurtain.NewGate(ironcurtain.GateConfig{
			Servers: map[string]ironcurtain.ToolServer{"fs": noop},
			Policy:  allowAll(),
			Audit:   tc.audit,
			// The breaker is part of the overhead, but a benchmark repeats
			// one call far more often than any window admits: a clock that
			// moves 10s per reading keeps the default window from filling.
			Now: steppingClock(),
		})
		require.NoError(b, err)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Call(ctx, call); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := g.Call(ctx, call); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		require.NoError(b, g.Close())
	}
}

// noopServer answers at once and does not record calls.
type noopServer struct{ *fakeServer }

func (s *noopServer) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.Result{Content: []ironcurtain.Content{}}, nil
}

func steppingClock() func() time.Time {
	var ticks atomic.Int64
	base := time.Now()
	return func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * 10 * time.Second) }
}
