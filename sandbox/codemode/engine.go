package codemode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fastschema/qjs"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// The engine layer: everything that touches qjs and wazero directly.
//
// qjs v0.0.6 keeps one compiled module per process, keyed by a hash of the
// wasm bytes, and recompiles (0.6–0.8 s, racing other callers) whenever a
// caller passes different bytes. Capping memory by patching the module's
// memory section would give every distinct limit its own bytes, so
// sandboxes with different limits would keep evicting each other. Instead
// every runtime uses one compilation of qjs's embedded module (made by
// installModule, from the disk cache when there is one), and the cap is
// enforced per instance by a wazero memory allocator carried in the
// context that instantiates the module (experimental.WithMemoryAllocator):
// growing past the cap fails memory.grow, malloc returns NULL, and QuickJS
// throws its out-of-memory error. One compilation serves every limit.

// pageSize is the WebAssembly page size.
const pageSize = 64 << 10

// voidRoot is the host directory qjs mounts as the guest's "/". qjs mounts
// os.Getwd() when Option.CWD is empty, so a path must be given; this one
// can never exist, because os.DevNull is not a directory, so nobody can
// create anything below it. wazero opens the mount lazily: a guest that
// touches the file system at all (which the prelude already makes
// unreachable) fails on ENOTDIR, which wazero turns into a failed call, so
// the runtime dies and the run ends with ErrCrashed. Nothing on the host
// is ever read or written. (A path that merely does not exist would fail
// more politely, with ENOENT, but anyone could create it later.)
var voidRoot = filepath.Join(os.DevNull, "ironcurtain-codemode-has-no-files")

// cappedMemory is a wasm linear memory that refuses to grow past limit.
// It is used only by the goroutine running its runtime; refused is read
// after that goroutine has finished, or atomically by the watchdog.
type cappedMemory struct {
	buf     []byte
	limit   uint64
	peak    uint64
	refused atomic.Bool
	onLimit func() // called once, on the first refusal
	// cur is buf, published for the stack guard, which reads the memory
	// from another goroutine while the engine runs.
	cur atomic.Pointer[[]byte]
}

func (m *cappedMemory) Allocate(_, _ uint64) experimental.LinearMemory { return m }

// Reallocate grows the memory to size bytes, or returns nil past the cap.
// Capacity grows geometrically so that sbrk's many small steps do not copy
// the whole memory each time.
func (m *cappedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		if !m.refused.Swap(true) && m.onLimit != nil {
			m.onLimit()
		}
		return nil
	}
	if size > m.peak {
		m.peak = size
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		c := max(size, 2*uint64(cap(m.buf)))
		c = min(c, m.limit)
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	}
	b := m.buf
	m.cur.Store(&b)
	return m.buf
}

// Free drops the buffer when wazero closes the module.
func (m *cappedMemory) Free() {
	m.buf = nil
	m.cur.Store(nil)
}

// warm compiles qjs.wasm once per process, outside any run's time budget
// (or loads it from the compiled-code cache; see cache.go), and hands it to
// qjs with the configuration every runtime here uses; it must come before
// any other qjs.New in the process. It then compiles the prelude to
// QuickJS bytecode, which every runtime loads instead of parsing it again,
// and checks the stack guard's assumptions (or reads the recorded outcome
// of that check for the cached module).
var warm = sync.OnceValue(func() error {
	start := time.Now()
	defer func() { warmDuration = time.Since(start) }()
	if err := installModule(context.Background(), takeCacheDir()); err != nil {
		return err
	}
	rt, err := qjs.New(engineOptions(context.Background(), io.Discard))
	if err != nil {
		return fmt.Errorf("codemode: compiling the JavaScript engine: %w", err)
	}
	defer func() { _ = closeRuntime(rt) }()
	err = guard(func() error {
		bc, err := rt.Context().Compile("prelude.js", qjs.Code(prelude))
		if err != nil {
			return fmt.Errorf("codemode: compiling the prelude: %w", err)
		}
		preludeBytecode = bc
		return nil
	})
	if ok, known := cachedStackGuard(); known {
		stackGuardOK = ok
	} else {
		recordStackGuard(selfTestStackGuard())
	}
	warmed.Store(err == nil)
	return err
})

// warmed is set once warm has succeeded; spare engines are made only then.
var warmed atomic.Bool

// warmDuration is how long warm took; read only after warm.
var warmDuration time.Duration

// preludeBytecode is the prelude compiled by warm; read only after warm.
var preludeBytecode []byte

// Precompile compiles the JavaScript engine (about 0.6–0.8 s, once per
// process) so that the first [Sandbox.Run] does not pay for it. Run calls
// it too; calling it at start-up only moves the cost. It is safe for
// concurrent use, and later calls return the first call's result.
func Precompile() error { return warm() }

// engineOptions are the qjs options every runtime gets: the run's context
// (which carries the memory allocator) with CloseOnContextDone, the void
// root, and output that never reaches the host's stdout or stderr.
func engineOptions(ctx context.Context, out io.Writer) qjs.Option {
	return qjs.Option{
		Context:            ctx,
		CloseOnContextDone: true,
		CWD:                voidRoot,
		Stdout:             out,
		Stderr:             out,
		ProxyFunction:      hostProxy,
		QuickJSWasmBytes:   moduleToken,
	}
}

// newRuntime creates a runtime whose memory is capped by mem.
func newRuntime(ctx context.Context, mem *cappedMemory, out io.Writer) (rt *qjs.Runtime, err error) {
	ctx = experimental.WithMemoryAllocator(ctx, mem)
	err = guard(func() error {
		var e error
		rt, e = qjs.New(engineOptions(ctx, out))
		return e
	})
	return rt, err
}

// closeRuntime frees a runtime. A runtime that trapped or whose context
// ended panics in Close; that is recovered and reported. Either way the
// wazero runtime underneath is closed too, which qjs never does.
func closeRuntime(rt *qjs.Runtime) error {
	if rt == nil {
		return nil
	}
	err := guard(func() error { rt.Close(); return nil })
	closeWazero(rt)
	return err
}

// closeWazero closes the wazero runtime inside rt. qjs v0.0.6 creates one
// per qjs.New and never closes it; since all of them share one compilation
// cache, the host modules each one compiles (WASI, and qjs's function proxy,
// whose closure holds the runtime and so its whole memory) stay in the
// shared engine for ever: about 150 KiB per run, and the entire memory of a
// run that ended in a panic. There is no exported way to reach it, so this
// reads the unexported field; if a qjs version renames it, this does
// nothing, and TestNoLeak fails.
func closeWazero(rt *qjs.Runtime) {
	f := reflect.ValueOf(rt).Elem().FieldByName("wrt")
	if !f.IsValid() || f.Kind() != reflect.Interface || !f.CanAddr() {
		return
	}
	w, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(wazero.Runtime)
	if !ok || w == nil {
		return
	}
	_ = guard(func() error { return w.Close(context.Background()) })
}

// panicError is a panic recovered from qjs or wazero: the runtime is dead.
type panicError struct{ cause error }

func (e *panicError) Error() string { return "codemode: engine panic: " + e.cause.Error() }
func (e *panicError) Unwrap() error { return e.cause }

// guard runs f and turns a panic into a *panicError.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			cause, ok := p.(error)
			if !ok {
				cause = fmt.Errorf("%v", p)
			}
			err = &panicError{cause: cause}
		}
	}()
	return f()
}

// exitCode reports whether err comes from the guest calling exit, and the
// code. A module closed because its context ended is not an exit.
func exitCode(err error) (uint32, bool) {
	var ee *sys.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	switch ee.ExitCode() {
	case sys.ExitCodeContextCanceled, sys.ExitCodeDeadlineExceeded:
		return 0, false
	}
	return ee.ExitCode(), true
}

// The stack guard. QuickJS's own stack check is compiled out of qjs.wasm,
// and the module's 64 KiB stack sits right above its static data
// (wasm-ld's layout without --stack-first), so recursion deeper than about
// 250 frames runs into QuickJS's globals and the allocator's state:
// sometimes a trap, sometimes silent corruption, a hang, or nonsense. The
// guard watches the lowest 4 KiB of that stack, which only recursion on the
// edge of overflowing reaches. It only reads, so a wrong layout could only
// give false alarms, and warm disables it unless a fresh runtime shows the
// expected layout.
const (
	qjsStackLow    = 99872 // lowest address of qjs.wasm v0.0.6's stack: __stack_pointer 165408 - 64 KiB
	stackGuardSize = 4 << 10
)

// stackGuardOK is set by warm when the self-test passed; read only after
// warm.
var stackGuardOK bool

// errStackOverflow is the cause of a run the stack guard stopped.
var errStackOverflow = errors.New("stack overflow")

// stackTouched reports whether the guarded end of the stack holds
// anything. It may run while the engine runs, on another goroutine: the
// engine's writes are machine code the race detector does not see, and a
// torn or stale read only delays the alarm to the next look, so the read
// is left uninstrumented.
//
//go:norace
func (m *cappedMemory) stackTouched() bool {
	if !stackGuardOK {
		return false
	}
	p := m.cur.Load()
	if p == nil || len(*p) < qjsStackLow+stackGuardSize {
		return false
	}
	g := (*p)[qjsStackLow : qjsStackLow+stackGuardSize]
	for i := 0; i < len(g); i += 8 {
		if binary.LittleEndian.Uint64(g[i:]) != 0 {
			return true
		}
	}
	return false
}

// selfTestStackGuard checks the layout the guard relies on, in a runtime
// of its own (the test recurses into the overflow; the runtime is then
// discarded): the guarded bytes are zero in a fresh runtime, stay zero
// through moderate recursion, and change when recursion overflows.
func selfTestStackGuard() bool {
	stackGuardOK = true
	mem := &cappedMemory{limit: 16 << 20}
	rt, err := newRuntime(context.Background(), mem, io.Discard)
	if err != nil {
		stackGuardOK = false
		return false
	}
	defer func() { _ = closeRuntime(rt) }()
	eval := func(src string) bool {
		return guard(func() error {
			v, err := rt.Context().Eval("selftest.js", qjs.Code(src))
			if err == nil {
				v.Free()
			}
			return err
		}) == nil
	}
	ok := !mem.stackTouched() &&
		eval("function f(n){ return n ? f(n - 1) + 1 : 0 } f(100)") && !mem.stackTouched()
	if ok {
		eval("f(400)") // overflows: it may trap or corrupt
		ok = mem.stackTouched()
	}
	stackGuardOK = ok
	return ok
}
