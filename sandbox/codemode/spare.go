package codemode

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastschema/qjs"
)

// Spare engines. Instantiating QuickJS (qjs.New: WASI, the host module,
// the module's memory and QuickJS's own start-up) is most of what a run
// costs before the script's first line. An agent runs one script per step
// and thinks in between, so a Sandbox instantiates the next run's engine
// in that pause, in the background, and the next Run takes it.
//
// A spare is never a used engine: it is instantiated and then left alone
// until one run takes it; nothing has run in it, no prelude, no script,
// and no run's code, so each run still starts in a fresh JavaScript realm.
// What ties an engine to a run is in the engine's own context, which qjs
// keeps from instantiation to close: the run it serves (a runRef, empty
// until a run takes it), its output (an outRef, likewise), its memory cap
// (the cappedMemory, with the Sandbox's limit, fixed at instantiation) and
// its end (the context's cancel, which the run calls, and which the run's
// caller's context triggers through context.AfterFunc).

// engine is one QuickJS runtime and what ties it to the run it serves.
type engine struct {
	ctx    context.Context // the engine's: carries ref and mem; ends the engine
	cancel context.CancelCauseFunc
	ref    *runRef
	out    *outRef
	mem    *cappedMemory
	rt     *qjs.Runtime // nil until instantiated
	// preluded: the prelude has run, for the tool table table (see
	// toolTable); the script's run may only take the engine if its own
	// tool table is the same.
	preluded bool
	table    string
}

// runRef is the run an engine serves; hostProxy finds it in the engine's
// context. It is empty while the engine is a spare: host calls then do
// nothing.
type runRef struct{ p atomic.Pointer[run] }

func (r *runRef) load() *run {
	if r == nil {
		return nil
	}
	return r.p.Load()
}

// outRef is the engine's standard output and error: the serving run's
// output, or nowhere while the engine is a spare.
type outRef struct{ p atomic.Pointer[output] }

func (o *outRef) Write(b []byte) (int, error) {
	if out := o.p.Load(); out != nil {
		return out.Write(b)
	}
	return io.Discard.Write(b)
}

// newEngine makes an engine's context and memory, not yet instantiated.
// The memory's limit, once reached, stops the run the engine serves.
func newEngine(limit int64) *engine {
	e := &engine{ref: &runRef{}, out: &outRef{}, mem: &cappedMemory{limit: uint64(limit)}}
	e.mem.onLimit = func() {
		if r := e.ref.load(); r != nil {
			r.stop(limitError("the script used more than %d bytes of memory", limit))
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	e.ctx, e.cancel = context.WithValue(ctx, runKey{}, e.ref), cancel
	return e
}

// instantiate creates the engine's runtime.
func (e *engine) instantiate() error {
	rt, err := newRuntime(e.ctx, e.mem, e.out)
	e.rt = rt
	return err
}

// prelude runs the prelude in the engine for bindings' tool table, on
// behalf of a run that only answers the prelude's request for the table.
func (e *engine) prelude(bindings []binding) error {
	prep := &run{bindings: bindings, ctx: e.ctx, cancel: e.cancel, mem: e.mem, out: newOutput(0)}
	e.ref.p.Store(prep)
	defer e.ref.p.Store(nil)
	err := guard(func() error { return prep.prelude(e.rt.Context()) })
	if err == nil {
		e.preluded, e.table = true, prep.toolTable()
	}
	return err
}

// close frees the engine's runtime, then ends its context. It is
// idempotent.
func (e *engine) close() {
	rt := e.rt
	e.rt = nil
	_ = closeRuntime(rt)
	e.cancel(context.Canceled)
}

// spares keeps at most one instantiated, unused engine for a Sandbox. It
// is safe for concurrent use.
type spares struct {
	limit int64

	mu     sync.Mutex
	ready  *engine
	prep   chan struct{} // closed when the preparation under way ends; nil if none
	closed bool
}

// take returns the spare engine, or nil when there is none (yet) or the
// prelude ran in it for other tools than a run with table has.
func (p *spares) take(table string) *engine {
	p.mu.Lock()
	e := p.ready
	p.ready = nil
	p.mu.Unlock()
	if e != nil && e.preluded && e.table != table {
		go e.close()
		return nil
	}
	return e
}

// refill instantiates a spare engine in the background, unless there is one
// already, one is being made, the engine is not compiled yet, or p is
// closed. An engine that failed to start, or reached its memory limit
// while starting, is discarded: the run that would have taken it makes its
// own, and reports the failure. With bindings (the last run's), the
// prelude runs in the spare too, with their tool table: trusted code only,
// the same in every run with the same tools. The channel returned is
// closed once no preparation is under way.
//
// A non-nil after delays the work until it is closed (or shutdownGrace has
// passed): a run hands in its engine's freeing, so that the two never take
// both of a small machine's processors from the caller's next step. Go
// cannot preempt a goroutine inside the engine's compiled code, so two of
// them busy at once can hold up every other goroutine for milliseconds.
func (p *spares) refill(bindings []binding, after <-chan struct{}) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prep != nil {
		return p.prep
	}
	if p.closed || p.ready != nil || !warmed.Load() {
		return closedChan
	}
	done := make(chan struct{})
	p.prep = done
	go func() {
		defer close(done)
		if after != nil {
			t := time.NewTimer(shutdownGrace)
			select {
			case <-after:
			case <-t.C:
			}
			t.Stop()
		}
		e := newEngine(p.limit)
		ok := e.instantiate() == nil && (bindings == nil || e.prelude(bindings) == nil) &&
			!e.mem.refused.Load() && !e.mem.stackTouched()
		p.mu.Lock()
		p.prep = nil
		if ok && !p.closed && p.ready == nil {
			p.ready, e = e, nil
		}
		p.mu.Unlock()
		if e != nil {
			e.close()
		}
	}()
	return done
}

// closedChan is a closed channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// close frees the spare and makes no more. It is idempotent.
func (p *spares) close() {
	if e := p.shut(); e != nil {
		e.close()
	}
}

// collected is close for a Sandbox dropped without Close, from the
// runtime's cleanup goroutine. It closes only the wazero runtime (which
// holds the part of the engine that would outlive it), with a context of
// its own: the engine's context may belong to a synctest bubble the
// cleanup is outside of, and freeing QuickJS inside the engine would call
// into the engine with that context.
func (p *spares) collected() {
	if e := p.shut(); e != nil && e.rt != nil {
		closeWazero(e.rt)
	}
}

// shut marks p closed and returns its spare, if any.
func (p *spares) shut() *engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	e := p.ready
	p.ready = nil
	return e
}
