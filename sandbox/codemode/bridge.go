package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/fastschema/qjs"
	"github.com/ironcurtain-go/ironcurtain"
	"github.com/tetratelabs/wazero/api"
)

// The bridge between the prelude and Go: one host function, __ic_host,
// taking one string, an opcode letter and its operand, and returning one
// string:
//
//	T               → the tool table, [[namespace, method, index], ...]
//	C<index> <args> → "V" and the result as JSON, or "E" and an error message
//	P<line>         → console line (a JSON string)
//	D<result>       → the script's result (JSON)
//	F<error>        → the script's uncaught error (JSON)
//
// qjs routes every call from JavaScript to Go through one imported wasm
// function, Option.ProxyFunction. Its own proxy goes through a registry
// and makes about a dozen calls back into wasm per call, each through
// ExportedFunction, which builds a new call engine with its own stack
// (about 110 KB of garbage per tool call). hostProxy replaces it: it finds
// the run in the context, reads the argument straight from the guest's
// memory, and calls the few exports it needs through functions it looks up
// once per run.

// runKey is the context key under which a runtime's context carries the
// *runRef of the run it serves.
type runKey struct{}

// hostProxy is the Option.ProxyFunction of every runtime here. argv holds
// qjs's function id, context id, async flag and promise, then the
// arguments.
func hostProxy(ctx context.Context, mod api.Module, jsCtx uint32, _ uint64, argc uint32, argv uint32) uint64 {
	ref, _ := ctx.Value(runKey{}).(*runRef)
	r := ref.load()
	if r == nil {
		return jsUndefined // no Go functions outside a run
	}
	b := r.bridgeFor(ctx, mod, jsCtx)
	arg, ok := uint64(0), argc == 5
	if ok {
		arg, ok = mod.Memory().ReadUint64Le(argv + 4*8)
	}
	s := ""
	if ok {
		s, ok = b.readString(arg)
	}
	if !ok {
		return b.newString("EERROR: bad host call")
	}
	return b.newString(r.host(s))
}

// placeholder is the Go function registered for __ic_host: qjs wants one
// to create the JavaScript function, but hostProxy answers every call.
func placeholder(*qjs.This) (*qjs.Value, error) { return nil, errors.New("codemode: unreachable") }

// install defines __ic_host, where the prelude takes it from.
func (r *run) install(c *qjs.Context) { c.SetFunc("__ic_host", placeholder) }

// bridge holds a run's handles on the engine's exports. It is used on the
// run's goroutine only, and only for calls that run no JavaScript, so no
// function is ever re-entered.
type bridge struct {
	ctx   context.Context
	mod   api.Module
	jsCtx uint64
	// The engine's exports the bridge calls.
	malloc, free, isString api.Function
	toCString, freeCString api.Function
	newStr                 api.Function
}

func (r *run) bridgeFor(ctx context.Context, mod api.Module, jsCtx uint32) *bridge {
	if r.br != nil && r.br.mod == mod && r.br.jsCtx == uint64(jsCtx) {
		return r.br
	}
	r.br = &bridge{
		ctx: ctx, mod: mod, jsCtx: uint64(jsCtx),
		malloc: mod.ExportedFunction("malloc"), free: mod.ExportedFunction("free"),
		isString: mod.ExportedFunction("QJS_IsString"), toCString: mod.ExportedFunction("QJS_ToCString"),
		freeCString: mod.ExportedFunction("JS_FreeCString"), newStr: mod.ExportedFunction("QJS_NewString"),
	}
	return r.br
}

// call calls an export; a failure (the module closed under it) panics, as
// qjs does, and ends the run through its guard.
func (b *bridge) call(f api.Function, args ...uint64) uint64 {
	res, err := f.Call(b.ctx, args...)
	if err != nil {
		panic(err)
	}
	if len(res) == 0 {
		return 0
	}
	return res[0]
}

// readString copies a JavaScript string out of the guest. It refuses any
// other value, so that no toString runs.
func (b *bridge) readString(v uint64) (string, bool) {
	if uint32(b.call(b.isString, v)) == 0 {
		return "", false
	}
	box := uint32(b.call(b.toCString, b.jsCtx, v))
	if box == 0 {
		return "", false
	}
	defer b.call(b.free, uint64(box))
	packed, ok := b.mod.Memory().ReadUint64Le(box)
	if !ok {
		return "", false
	}
	addr, size := uint32(packed>>32), uint32(packed)
	defer b.call(b.freeCString, b.jsCtx, uint64(addr))
	data, ok := b.mod.Memory().Read(addr, size)
	if !ok {
		return "", false
	}
	return string(data), true
}

// newString makes a JavaScript string. s holds no NUL: replies are JSON
// after a letter. When the guest is out of memory it returns undefined,
// which the stub then fails on; the run ends on the memory limit anyway.
func (b *bridge) newString(s string) uint64 {
	ptr := uint32(b.call(b.malloc, uint64(len(s))+1))
	if ptr == 0 {
		return jsUndefined
	}
	defer b.call(b.free, uint64(ptr))
	mem := b.mod.Memory()
	if !mem.WriteString(ptr, s) || !mem.WriteByte(ptr+uint32(len(s)), 0) {
		return jsUndefined
	}
	return b.call(b.newStr, b.jsCtx, uint64(ptr))
}

// jsUndefined is JS_UNDEFINED in qjs.wasm's value representation (tag 3,
// no payload); TestJSUndefined checks it against the engine.
const jsUndefined = 3 << 32

// host runs one operation of the prelude.
func (r *run) host(s string) string {
	if s == "" {
		return "EERROR: bad host call"
	}
	op, arg := s[0], s[1:]
	switch op {
	case 'T':
		return r.toolTable()
	case 'C':
		return r.call(arg)
	case 'H':
		return r.help(arg)
	case 'P':
		r.print(arg)
	case 'D':
		r.finish(arg)
	case 'F':
		r.fail(arg)
	default:
		return "EERROR: bad host call"
	}
	return ""
}

// toolTable is the prelude's tool table: [[namespace, method, index], ...].
func (r *run) toolTable() string { return toolTable(r.bindings) }

// toolTable is the tool table of bindings.
func toolTable(bindings []binding) string {
	table := make([][3]any, len(bindings))
	for i, b := range bindings {
		table[i] = [3]any{b.Namespace, b.Method, i}
	}
	j, _ := json.Marshal(table) // strings and ints always encode
	return string(j)
}

// print adds a console line, sent as a JSON string.
func (r *run) print(arg string) {
	if !r.checkStack() {
		return
	}
	var s string
	if json.Unmarshal([]byte(arg), &s) != nil {
		s = arg
	}
	r.out.line(s)
}

// finish records the script's result, already JSON.
func (r *run) finish(arg string) {
	if !r.checkStack() {
		return
	}
	if len(arg) > r.opts.MaxResultBytes {
		r.stop(limitError("the script's result is %d bytes of JSON, more than the limit of %d", len(arg), r.opts.MaxResultBytes))
		return
	}
	if !json.Valid([]byte(arg)) {
		r.settle(nil, &jsError{Name: "TypeError", Message: "the script's result is not valid JSON"})
		return
	}
	r.settle(json.RawMessage(arg), nil)
}

// fail records the uncaught error the script ended with.
func (r *run) fail(arg string) {
	var j jsError
	if json.Unmarshal([]byte(arg), &j) != nil {
		j = jsError{Name: "Error", Message: "the script failed with an error that cannot be described"}
	}
	r.settle(nil, &j)
}

// errNoTool is what a call naming no listed tool gets. The prelude never
// makes one; only a forged call can.
const errNoTool = "EERROR: no such tool"

// call carries out one tool call. The Go side is the guard: whatever the
// script did to its stubs, the call names one of the tools the Backend
// listed at the start of the run (by index), its arguments are a JSON
// object, it counts against MaxToolCalls, and it goes to the Backend as
// it is.
func (r *run) call(arg string) string {
	idx, args, ok := strings.Cut(arg, " ")
	if !ok {
		return errNoTool
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(r.bindings) || r.opts.Backend == nil {
		return errNoTool
	}
	b := r.bindings[i]
	var m map[string]any
	if err := json.Unmarshal([]byte(args), &m); err != nil || m == nil {
		return "EERROR: the arguments of " + b.Namespace + "." + b.Method + " must be a JSON object"
	}
	if !r.checkStack() {
		return "EERROR: the script's recursion went too deep"
	}
	if reply, ok := r.admit(); !ok {
		return reply
	}
	call := ironcurtain.ToolCall{Session: r.session, Server: b.Tool.Server, Tool: b.Tool.Tool.Name, Arguments: m}
	r.clock.pause()
	start := time.Now()
	var res ironcurtain.Result
	rec := ironcurtain.CallRecord{Server: call.Server, Tool: call.Tool, Verdict: ironcurtain.Allow}
	if dc, ok := r.opts.Backend.(ironcurtain.DecisionCaller); ok {
		var d ironcurtain.Decision
		res, d, err = dc.CallDecided(r.parent, call)
		if err == nil {
			rec.Rule, rec.Reason = d.Rule, d.Reason
		}
	} else {
		res, err = r.opts.Backend.Call(r.parent, call)
	}
	rec.Duration = time.Since(start)
	r.clock.resume()
	var de *ironcurtain.DeniedError
	switch {
	case errors.As(err, &de):
		rec.Verdict, rec.Rule, rec.Reason = ironcurtain.Deny, de.Decision.Rule, de.Decision.Reason
		if de.Decision.Verdict == ironcurtain.Escalate {
			rec.Verdict = ironcurtain.Escalate
		}
	case errors.Is(err, ironcurtain.ErrDenied):
		rec.Verdict = ironcurtain.Deny
	}
	agent := ironcurtain.AgentResult(res, err)
	reply := ""
	if agent.IsError {
		msg := agent.Text()
		if msg == "" {
			msg = "ERROR: the tool failed without saying why"
		}
		rec.Error, reply = msg, "E"+msg
	} else {
		reply = "V" + resultJSON(b.Tool.Tool, agent)
	}
	r.record(rec)
	return reply
}

// admit counts a call against MaxToolCalls; past it, or once the script
// has settled, the call is refused and not made.
func (r *run) admit() (string, bool) {
	r.mu.Lock()
	settled := r.settled
	r.ncalls++
	over := r.ncalls > r.opts.MaxToolCalls
	r.mu.Unlock()
	switch {
	case settled:
		return "EERROR: the script has already finished", false
	case over:
		r.stop(limitError("the script made more than %d tool calls", r.opts.MaxToolCalls))
		return "EERROR: too many tool calls (the limit is " + strconv.Itoa(r.opts.MaxToolCalls) + ")", false
	}
	return "", true
}

// resultJSON is what a successful call evaluates to in the script: the
// structured content, for a tool that declares an output schema and
// returned some; otherwise the result's text (its text blocks joined by
// newlines), as a string. Declarations promise exactly this.
func resultJSON(t ironcurtain.Tool, res ironcurtain.Result) string {
	if len(t.OutputSchema) > 0 && len(res.Structured) > 0 && json.Valid(res.Structured) {
		return string(res.Structured)
	}
	b, err := json.Marshal(res.Text())
	if err != nil {
		return `""`
	}
	return string(b)
}
