package ironcurtain_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestGateAuditFailureStopsTheGate: a failed audit write withholds that
// call's result and denies every later call without running it.
func TestGateAuditFailureStopsTheGate(t *testing.T) {
	g, srv, audit := testGate(t, allowAll(), nil)
	_, err := g.Call(context.Background(), readCall("/a"))
	require.NoError(t, err)

	diskFull := errors.New("write audit.jsonl: no space left on device")
	audit.fail(diskFull)
	res, err := g.Call(context.Background(), readCall("/b"))
	requireDenied(t, res, err, ironcurtain.RuleAuditFailure)
	require.ErrorIs(t, err, diskFull)
	require.Len(t, srv.ran(), 2, "the tool ran, but its result is withheld")

	// The auditor recovers; the Gate stays stopped.
	audit.fail(nil)
	res, err = g.Call(context.Background(), readCall("/c"))
	requireDenied(t, res, err, ironcurtain.RuleAuditFailure)
	require.ErrorIs(t, err, diskFull)
	require.Len(t, srv.ran(), 2, "no tool runs once the audit log failed")
	require.Len(t, audit.all(), 1)
	require.Equal(t, "DENIED: the audit log cannot be written, so no tool calls can be made",
		ironcurtain.AgentResult(res, err).Text())
}

func TestGateAuditorPanicStopsTheGate(t *testing.T) {
	auditor := ironcurtain.AuditorFunc(func(context.Context, ironcurtain.AuditEntry) error { panic("disk driver bug") })
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{Servers: map[string]ironcurtain.ToolServer{"fs": newFakeServer()}, Policy: allowAll(), Audit: auditor})
	require.NoError(t, err)
	for range 2 {
		res, err := g.Call(context.Background(), readCall("/a"))
		requireDenied(t, res, err, ironcurtain.RuleAuditFailure)
	}
}

func TestGateAuditContextOutlivesCaller(t *testing.T) {
	var auditCtxErr error
	auditor := ironcurtain.AuditorFunc(func(ctx context.Context, _ ironcurtain.AuditEntry) error {
		auditCtxErr = ctx.Err()
		return nil
	})
	srv := newFakeServer()
	ctx, cancel := context.WithCancel(context.Background())
	srv.handle = func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		cancel() // the agent goes away while the tool runs
		return ironcurtain.TextResult("done"), nil
	}
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{Servers: map[string]ironcurtain.ToolServer{"fs": srv}, Policy: allowAll(), Audit: auditor})
	require.NoError(t, err)
	_, err = g.Call(ctx, readCall("/a"))
	require.NoError(t, err)
	require.NoError(t, auditCtxErr, "the entry is recorded even though the caller gave up")
}

// TestGateClose: Close closes the servers once (which ends their calls in
// flight), waits until the call in flight is audited, and refuses later
// calls.
func TestGateClose(t *testing.T) {
	srv, audit := newFakeServer(), &memAudit{}
	started, serverClosed := make(chan struct{}), make(chan struct{})
	srv.handle = func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		close(started)
		<-serverClosed
		return ironcurtain.Result{}, errors.New("server closed")
	}
	cs := &closingServer{fakeServer: srv, closed: serverClosed}
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{Servers: map[string]ironcurtain.ToolServer{"fs": cs}, Policy: allowAll(), Audit: audit})
	require.NoError(t, err)
	done := callInBackground(g, readCall("/a"))
	<-started
	require.NoError(t, g.Close())
	require.Len(t, audit.all(), 1, "Close returns after the call in flight is audited")
	require.Equal(t, ironcurtain.OutcomeError, audit.all()[0].Outcome)
	require.Error(t, <-done)
	require.NoError(t, g.Close(), "Close is idempotent")
	require.Equal(t, 1, srv.closed)

	res, err := g.Call(context.Background(), readCall("/a"))
	requireDenied(t, res, err, ironcurtain.RuleGateClosed)
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
	_, err = g.Tools(context.Background())
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
}

// callInBackground makes the call on a goroutine of its own; the channel
// receives the call's error when it returns.
func callInBackground(g *ironcurtain.Gate, c ironcurtain.ToolCall) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := g.Call(context.Background(), c)
		done <- err
	}()
	return done
}

// closingServer ends its calls in flight when closed.
type closingServer struct {
	*fakeServer
	closed chan struct{}
}

func (s *closingServer) Close() error {
	close(s.closed)
	return s.fakeServer.Close()
}

func TestGateCloseCancelsEscalation(t *testing.T) {
	asked := make(chan struct{})
	approver := ironcurtain.ApproverFunc(func(ctx context.Context, _ ironcurtain.Escalation) (ironcurtain.Approval, error) {
		close(asked)
		<-ctx.Done()
		return ironcurtain.Approval{}, ctx.Err()
	})
	g, _, audit := testGate(t, verdict(ironcurtain.Escalate, "e", "why"), func(c *ironcurtain.GateConfig) { c.Approver = approver })
	done := callInBackground(g, readCall("/a"))
	<-asked
	require.NoError(t, g.Close())
	require.ErrorIs(t, <-done, ironcurtain.ErrDenied)
	require.Len(t, audit.all(), 1)
}
