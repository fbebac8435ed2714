package codemode

import (
	"context"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// newSpareTestSandbox is a Sandbox for quietBackend whose first spare
// engine (made by New, without the prelude) is dropped, so that the spares
// the tests ask for are made for their tools.
func newSpareTestSandbox(t *testing.T, opts Options) *Sandbox {
	t.Helper()
	require.NoError(t, Precompile())
	s := newTestSandbox(t, quietBackend{}, opts)
	t.Cleanup(func() { _ = s.Close() })
	<-s.spare.refill(nil, nil)
	e := s.spare.take(toolTable(nil))
	require.NotNil(t, e, "New made a spare")
	require.False(t, e.preluded)
	e.close()
	return s
}

// startOnSpare waits for s's spare engine and starts src on it, checking
// that the run did get the spare (and so that the test tests it).
func startOnSpare(t *testing.T, ctx context.Context, s *Sandbox, src string) *run {
	t.Helper()
	<-s.spare.refill(bind(testTools()), nil) // the tools quietBackend has
	s.spare.mu.Lock()
	spare := s.spare.ready
	s.spare.mu.Unlock()
	require.NotNil(t, spare, "a spare engine is ready")
	r, err := s.start(ctx, ironcurtain.Job{Source: src})
	require.NoError(t, err)
	require.Same(t, spare, r.eng, "the run took the spare engine")
	require.True(t, r.eng.preluded, "the prelude ran in the spare")
	return r
}

// TestSpareIsFreshRealm: whatever a script does to its realm (globals,
// built-in prototypes, the prelude's own functions, pending timers), the
// next run, on the engine made ready while the first one ran or after it,
// sees none of it.
func TestSpareIsFreshRealm(t *testing.T) {
	s := newSpareTestSandbox(t, Options{})
	poison := `globalThis.poisoned = "step 1";
Object.prototype.evil = "step 1";
Array.prototype.push = function () { return -1 };
JSON.stringify = () => '"step 1"';
try { (globalThis as any).filesystem.read_file = () => "step 1" } catch (e) { globalThis.tried = e }
setTimeout(() => { globalThis.late = "step 1" }, 0);
return 1;`
	r := startOnSpare(t, context.Background(), s, poison)
	r.wait()
	require.NoError(t, r.outcome())
	check := `const a: number[] = []; a.push(7);
return [typeof (globalThis as any).poisoned, typeof (globalThis as any).late, ({} as any).evil === undefined, a.length,
  filesystem.read_file({ path: "a" })];`
	for range 2 { // and the engine made while that one ran
		r = startOnSpare(t, context.Background(), s, check)
		r.wait()
		require.NoError(t, r.outcome())
		require.JSONEq(t, `["undefined", "undefined", true, 1, "ok"]`, string(r.report().Value))
	}
}

// TestSpareLimits: a run on a spare engine is held to the memory cap, the
// time limit and its caller's context like any other.
func TestSpareLimits(t *testing.T) {
	const limit = 16 << 20
	s := newSpareTestSandbox(t, Options{MemoryLimit: limit, Timeout: 2 * time.Second})

	r := startOnSpare(t, context.Background(), s, "const a: Uint8Array[] = []; for (;;) a.push(new Uint8Array(1 << 20));")
	r.wait()
	require.ErrorIs(t, r.outcome(), ironcurtain.ErrLimit)
	require.LessOrEqual(t, r.mem.peak, uint64(limit))
	require.True(t, r.mem.refused.Load())

	r = startOnSpare(t, context.Background(), s, "while (true) {}")
	r.wait()
	require.ErrorIs(t, r.outcome(), context.DeadlineExceeded)

	ctx, cancel := context.WithCancelCause(context.Background())
	r = startOnSpare(t, ctx, s, `return filesystem.read_file({ path: "a" }) + (() => { for (;;) {} })();`)
	stopped := make(chan struct{})
	go func() { defer close(stopped); r.wait() }()
	cause := context.Canceled
	cancel(cause)
	<-stopped
	require.ErrorIs(t, r.outcome(), cause)

	// A spare is never handed to two runs, nor kept after Close.
	_, err := runScript(t, s, "return 1")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	<-s.spare.refill(nil, nil)
	require.Nil(t, s.spare.take(toolTable(nil)))
	_, err = runScript(t, s, "return 2")
	require.NoError(t, err, "a closed Sandbox still runs, on engines of its own")
}

// TestSpareOtherTools: a spare whose prelude ran for other tools than the
// run has is not used; the run starts an engine of its own, with its tools.
func TestSpareOtherTools(t *testing.T) {
	s := newSpareTestSandbox(t, Options{})
	<-s.spare.refill(bind(testTools()[:1]), nil)
	r, err := s.start(context.Background(), ironcurtain.Job{Source: `return filesystem.read_file({ path: "a" })`})
	require.NoError(t, err)
	require.Nil(t, r.eng.rt, "the spare was not taken")
	r.wait()
	require.NoError(t, r.outcome())
	require.JSONEq(t, `"ok"`, string(r.report().Value))
}

// TestSpareWaitsForFreeing: a run's next spare is made only once the run's
// own engine is freed, and a run's outcome does not wait for that freeing.
func TestSpareWaitsForFreeing(t *testing.T) {
	s := newSpareTestSandbox(t, Options{})
	freed := make(chan struct{})
	prep := s.spare.refill(bind(testTools()), freed)
	select {
	case <-prep:
		t.Fatal("the spare was made before the engine it follows was freed")
	case <-time.After(100 * time.Millisecond):
	}
	s.spare.mu.Lock()
	require.Nil(t, s.spare.ready)
	s.spare.mu.Unlock()
	close(freed)
	<-prep
	s.spare.mu.Lock()
	require.NotNil(t, s.spare.ready, "the spare is made once the engine is freed")
	s.spare.mu.Unlock()

	r := startOnSpare(t, context.Background(), s, `return 1`)
	r.wait()
	require.NoError(t, r.outcome())
	<-r.freed
	require.Nil(t, r.eng.rt, "the engine is freed after the run")
}
