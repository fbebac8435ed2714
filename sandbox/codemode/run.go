package codemode

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fastschema/qjs"
	"github.com/ironcurtain-go/ironcurtain"
)

//go:embed prelude.js
var prelude string

// shutdownGrace is how long Run waits, once the run's context has ended,
// for the engine to notice and stop. The engine is interrupted at its next
// function call or loop iteration, so this is ample; a run that overstays
// it (something in the engine blocking outside WebAssembly) is left to end
// by itself, and Run returns without it.
const shutdownGrace = 2 * time.Second

// stackWatchInterval is how often wait looks at the stack guard.
const stackWatchInterval = 10 * time.Millisecond

// run is one execution of one script in one fresh runtime.
type run struct {
	opts     Options
	prog     *program
	bindings []binding
	session  string
	parent   context.Context // Run's ctx: tool calls get it
	ctx      context.Context // the engine's: ends with parent, or stop
	cancel   context.CancelCauseFunc
	clock    *clock
	eng      *engine // the engine, prepared or not yet instantiated
	mem      *cappedMemory
	out      *output
	unlink   func() bool  // stops parent's end from ending the engine
	qctx     *qjs.Context // the engine; the run's goroutine only
	br       *bridge      // the engine's exports, for host calls

	mu      sync.Mutex
	ncalls  int
	calls   []ironcurtain.CallRecord
	settled bool            // the script's function has settled
	value   json.RawMessage // its result, when it returned
	failure *jsError        // its uncaught error, when it threw
	fatal   error           // the limit or deadline that stopped it
	endErr  error           // what ended the engine (a panic, an Eval error)
	ended   bool            // the engine's goroutine is past the script
	freed   chan struct{}   // closed once the engine is freed
	stalled bool            // nothing left that could settle it
	// overflow: the script's recursion reached the guarded end of the
	// engine's stack, so whatever the engine did afterwards (a hang, an
	// error, a result) is not to be believed.
	overflow bool
}

// newRun prepares a run in eng, a spare engine or nil for one to be
// instantiated when the run starts. The engine's context is the run's: it
// ends when parent does, or when the run stops.
func newRun(parent context.Context, opts Options, prog *program, bindings []binding, session string, eng *engine) *run {
	if eng == nil {
		eng = newEngine(opts.MemoryLimit)
	}
	r := &run{opts: opts, prog: prog, bindings: bindings, session: session, parent: parent, out: newOutput(opts.MaxOutputBytes), freed: make(chan struct{})}
	r.eng, r.ctx, r.cancel, r.mem = eng, eng.ctx, eng.cancel, eng.mem
	eng.out.p.Store(r.out)
	eng.ref.p.Store(r)
	r.unlink = context.AfterFunc(parent, func() { r.cancel(context.Cause(parent)) })
	r.clock = startClock(opts.Timeout, func() { r.stop(&timeoutError{d: opts.Timeout}) })
	return r
}

// stop ends the run for err: the first limit wins, unless the script had
// already settled successfully; the engine is stopped either way.
func (r *run) stop(err error) {
	r.mu.Lock()
	if r.fatal == nil && !r.settled {
		r.fatal = err
	}
	r.mu.Unlock()
	r.cancel(err)
}

func (r *run) settle(v json.RawMessage, failure *jsError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settled {
		return
	}
	r.settled, r.value, r.failure = true, v, failure
}

func (r *run) record(rec ironcurtain.CallRecord) {
	r.mu.Lock()
	r.calls = append(r.calls, rec)
	r.mu.Unlock()
}

func (r *run) isSettled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled
}

// wait runs the script and returns once it has ended, or once the run's
// context has ended and the engine has had shutdownGrace to stop.
func (r *run) wait() {
	done := make(chan struct{})
	go r.execute(func() { close(done) })
	// The stack guard is also watched from here, so that an engine that
	// overflowed into a hang is stopped at once, not at the deadline.
	watch := time.NewTicker(stackWatchInterval)
	defer watch.Stop()
wait:
	for {
		select {
		case <-done:
			return
		case <-r.ctx.Done():
			break wait
		case <-watch.C:
			r.checkStack()
		}
	}
	grace := time.NewTimer(shutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
	}
}

// execute creates the runtime, runs the prelude and the script, fires
// timers until the script settles, and frees the runtime. It calls ended
// once the run's outcome is fixed (its clock stopped, its parent's end no
// longer relayed) and before the runtime is freed, so that the caller
// does not wait for the freeing: it is the same goroutine's last work,
// and the next run's engine is a spare or one of its own.
func (r *run) execute(ended func()) {
	defer close(r.freed)
	defer r.eng.close() // frees the runtime, then releases the context
	defer ended()
	defer r.unlink()
	defer r.clock.stop()
	if r.eng.rt == nil {
		if err := r.eng.instantiate(); err != nil {
			r.end(err)
			return
		}
	}
	r.qctx = r.eng.rt.Context()
	if r.mem.stackTouched() {
		r.end(errors.New("codemode: the engine started with a used stack"))
		return
	}
	err := guard(func() error { return r.script(r.qctx) })
	r.checkStack()
	r.end(err)
}

// checkStack stops the run if its recursion reached the guarded end of the
// engine's stack: from there on the engine's memory may be corrupt, so no
// further call is made and no result is taken from it.
func (r *run) checkStack() bool {
	if !r.mem.stackTouched() {
		return true
	}
	r.mu.Lock()
	r.overflow = true
	r.mu.Unlock()
	r.cancel(errStackOverflow)
	return false
}

func (r *run) end(err error) {
	r.mu.Lock()
	r.endErr, r.ended = err, true
	r.mu.Unlock()
}

// evalError marks an error Eval returned for the script itself.
type evalError struct{ err error }

func (e *evalError) Error() string { return e.err.Error() }

// prelude installs the host function and runs the prelude.
func (r *run) prelude(c *qjs.Context) error {
	r.install(c)
	v, err := c.Eval("prelude.js", qjs.Bytecode(preludeBytecode))
	if err != nil {
		return fmt.Errorf("codemode: the prelude failed: %w", err)
	}
	v.Free()
	return nil
}

func (r *run) script(c *qjs.Context) error {
	if !r.eng.preluded {
		if err := r.prelude(c); err != nil {
			return err
		}
	}
	v, err := c.Eval(jsFile, qjs.Code(r.prog.js))
	if err != nil {
		return &evalError{err}
	}
	v.Free()
	for !r.isSettled() && r.ctx.Err() == nil {
		v, err := c.Eval("tick.js", qjs.Code("__ic_tick()"))
		if err != nil {
			return fmt.Errorf("codemode: firing timers: %w", err)
		}
		wait := v.Int64()
		v.Free()
		switch {
		case wait < 0:
			if !r.isSettled() {
				r.mu.Lock()
				r.stalled = true
				r.mu.Unlock()
			}
			return nil
		case wait > 0:
			t := time.NewTimer(time.Duration(wait) * time.Millisecond)
			select {
			case <-t.C:
			case <-r.ctx.Done():
				t.Stop()
			}
		}
	}
	return nil
}

// outcome is the run's error, by precedence: a limit or the deadline;
// success; the caller's context; a dead engine; the script's own error.
func (r *run) outcome() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.overflow:
		return &crashError{msg: "codemode: the JavaScript engine crashed: the script's recursion went too deep for its stack", cause: errStackOverflow}
	case r.fatal != nil:
		return r.fatal
	case r.settled && r.failure == nil:
		return nil
	case r.parent.Err() != nil:
		return fmt.Errorf("codemode: the run was stopped: %w", context.Cause(r.parent))
	}
	var pe *panicError
	if errors.As(r.endErr, &pe) {
		if code, ok := exitCode(pe); ok {
			return &crashError{msg: fmt.Sprintf("codemode: the script made the engine exit with status %d", code), cause: pe}
		}
		return &crashError{msg: "codemode: the JavaScript engine crashed (most likely recursion too deep for its stack)", cause: pe}
	}
	var ee *evalError
	switch {
	case r.failure != nil:
		return r.prog.scriptError(*r.failure)
	case errors.As(r.endErr, &ee):
		return r.prog.evalError(ee.err)
	case r.endErr != nil:
		return r.endErr
	case r.stalled:
		return ErrStalled
	}
	// The engine is still running past shutdownGrace: report the context.
	// (A run that ended has its context ended by the freeing of its
	// engine, which may be under way.)
	if !r.ended && r.ctx.Err() != nil {
		return fmt.Errorf("codemode: the engine did not stop: %w", context.Cause(r.ctx))
	}
	return errors.New("codemode: the script ended without a result")
}

// report is the Report as far as the run got.
func (r *run) report() ironcurtain.Report {
	out := r.out.snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := ironcurtain.Report{Output: out, Calls: append([]ironcurtain.CallRecord(nil), r.calls...)}
	if r.fatal == nil && !r.overflow && r.settled && r.failure == nil {
		rep.Value = r.value
	}
	return rep
}

// clock is a run's time budget: it runs while the script runs and pauses
// while a tool call is out. It is used from the run's goroutine only.
type clock struct {
	timer  *time.Timer
	left   time.Duration
	since  time.Time
	paused bool
}

func startClock(d time.Duration, expire func()) *clock {
	return &clock{timer: time.AfterFunc(d, expire), left: d, since: time.Now()}
}

func (c *clock) pause() {
	if c.timer.Stop() {
		c.left -= time.Since(c.since)
		c.paused = true
	}
}

func (c *clock) resume() {
	if !c.paused {
		return
	}
	c.paused = false
	c.since = time.Now()
	c.timer.Reset(max(c.left, 0))
}

func (c *clock) stop() { c.timer.Stop() }
