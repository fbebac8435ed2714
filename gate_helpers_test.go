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
	"github.com/ironcurtain-go/ironcurtain/internal/fakeclock"
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
	calls  recorded[ironcurtain.ToolCall]
	mu     sync.Mutex
	tools  []ironcurtain.Tool
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
	s.calls.add(call)
	s.mu.Lock()
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

func (s *fakeServer) ran() []ironcurtain.ToolCall { return s.calls.all() }

// recorded is a list that goroutines add to while a test reads it.
type recorded[T any] struct {
	mu    sync.Mutex
	items []T
}

func (r *recorded[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, v)
}

// all returns a copy of what has been added so far.
func (r *recorded[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.items)
}

// memAudit is an Auditor that keeps entries in memory.
type memAudit struct {
	recorded[ironcurtain.AuditEntry]
	errMu sync.Mutex
	err   error // returned by every Record when set
}

// fail makes every later Record return err (nil: succeed again).
func (a *memAudit) fail(err error) {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.err = err
}

func (a *memAudit) Record(_ context.Context, e ironcurtain.AuditEntry) error {
	a.errMu.Lock()
	err := a.err
	a.errMu.Unlock()
	if err != nil {
		return err
	}
	a.add(e)
	return nil
}

func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
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
