package toolsettest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// Gated is a Gate over one tool server that allows every call and keeps
// the audit entries in memory: for tests of what a tool's failure shows
// the agent and what it leaves in the audit log.
type Gated struct {
	*ironcurtain.Gate
	mu      sync.Mutex
	entries []ironcurtain.AuditEntry
}

// Gate returns a Gated serving srv under name, closed when the test ends.
func Gate(t testing.TB, name string, srv ironcurtain.ToolServer) *Gated {
	t.Helper()
	g := &Gated{}
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{name: srv},
		Policy:  allowAll{},
		Audit:   ironcurtain.AuditorFunc(g.record),
	})
	if err != nil {
		t.Fatalf("toolsettest: NewGate: %v", err)
	}
	t.Cleanup(func() { _ = gate.Close() })
	g.Gate = gate
	return g
}

// Audited returns the audit entries recorded so far, in order.
func (g *Gated) Audited() []ironcurtain.AuditEntry {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.entries)
}

func (g *Gated) record(_ context.Context, e ironcurtain.AuditEntry) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = append(g.entries, e)
	return nil
}

type allowAll struct{}

func (allowAll) Evaluate(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "toolsettest-allow-all"}, nil
}
