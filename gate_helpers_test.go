package ironcurtain_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// policyFunc is a PolicyEngine made of a function.
type policyFunc func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error)

func (f policyFunc) Evaluate(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return f(ctx, call)
}

func allowAll() policyFunc {
	return func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-all", Reason: "everything is allowed"}, nil
	}
}

func verdict(v ironcurtain.Verdict, rule, reason string) policyFunc {
	return func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		return ironcurtain.Decision{Verdict: v, Rule: rule, Reason: reason}, nil
	}
}

// fakeServer is an in-memory ToolServer that records the calls it runs.
type fakeServer struct {
	mu     sync.Mutex
	tools  []ironcurtain.Tool
	calls  []ironcurtain.ToolCall
	handle func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error)
	closed int
}

const readFileSchema = `{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"integer","minimum":1}},"required":["path"]}`

func newFakeServer() *fakeServer {
	return &fakeServer{
		tools: []ironcurtain.Tool{
			{Name: "read_file", InputSchema: json.RawMessage(readFileSchema)},
			{Name: "list", InputSchema: json.RawMessage(`{"type":"object"}`)},
		},
		handle: func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
			return ironcurtain.TextResult("ran " + call.Tool), nil
		},
	}
}

func (s *fakeServer) Tools(context.Context) ([]ironcurtain.Tool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tools), nil
}

func (s *fakeServer) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	h := s.handle
	s.mu.Unlock()
	return h(ctx, call)
}

func (s *fakeServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

func (s *fakeServer) ran() []ironcurtain.ToolCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// memAudit is an Auditor that keeps entries in memory.
type memAudit struct {
	mu      sync.Mutex
	entries []ironcurtain.AuditEntry
	err     error // returned by every Record when set
}

func (a *memAudit) Record(_ context.Context, e ironcurtain.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.entries = append(a.entries, e)
	return nil
}

func (a *memAudit) all() []ironcurtain.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.entries)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testGate builds a Gate over one fake server named "fs" with an in-memory
// audit log; mod adjusts the configuration.
func testGate(t *testing.T, policy ironcurtain.PolicyEngine, mod func(*ironcurtain.GateConfig)) (*ironcurtain.Gate, *fakeServer, *memAudit) {
	t.Helper()
	srv := newFakeServer()
	audit := &memAudit{}
	cfg := ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"fs": srv},
		Policy:  policy,
		Audit:   audit,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := ironcurtain.NewGate(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	return g, srv, audit
}

func readCall(path string) ironcurtain.ToolCall {
	return ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": path}}
}

// requireDenied checks that err is a denial by rule and returns it.
func requireDenied(t *testing.T, res ironcurtain.Result, err error, rule string) *ironcurtain.DeniedError {
	t.Helper()
	require.ErrorIs(t, err, ironcurtain.ErrDenied)
	de, ok := asDenied(err)
	require.True(t, ok)
	require.Equal(t, rule, de.Decision.Rule)
	require.Empty(t, res.Content, "a refused call returns a zero Result")
	return de
}
