package codemode

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Sentinel errors of Run, besides ironcurtain.ErrLimit (memory, tool calls,
// result size) and context.DeadlineExceeded (the script's time).
var (
	// ErrCrashed marks a run whose JavaScript engine failed: in practice,
	// recursion deep enough to overflow the engine's own stack (QuickJS's
	// stack check is compiled out of its WebAssembly build; see the package
	// documentation). The runtime is discarded.
	ErrCrashed = errors.New("codemode: the JavaScript engine crashed")
	// ErrStalled marks a script that waits for something that can never
	// happen: a promise nothing will settle, with no timer left to fire.
	ErrStalled = errors.New("codemode: the script is waiting for a promise that nothing will settle")
)

// ScriptError is an error the script raised and did not catch, or a syntax
// error in it. Positions are the script's own (TypeScript), 1-based; zero
// when unknown.
type ScriptError struct {
	// Name is the error's constructor name ("TypeError", "SyntaxError"),
	// or empty when the script threw a value that is not an Error.
	Name string
	// Message is the error's message.
	Message string
	// Line and Column locate the innermost frame in the script.
	Line, Column int
	// Stack lists the script's frames, innermost first, one per line, as
	// "at name (agent.ts:line:column)"; frames outside the script (the
	// tool stubs, the engine) are left out.
	Stack string
}

// Error describes the error with its position.
func (e *ScriptError) Error() string {
	var b strings.Builder
	b.WriteString("codemode: ")
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Line > 0 {
		b.WriteString(" (")
		b.WriteString(position(tsFile, e.Line, e.Column))
		b.WriteString(")")
	}
	return b.String()
}

func position(file string, line, col int) string {
	return file + ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

// timeoutError reports a script that used up its time.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return "codemode: the script ran for longer than " + e.d.String()
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// limitError reports a limit the script reached.
func limitError(format string, a ...any) error {
	return fmt.Errorf("codemode: %w: "+format, append([]any{ironcurtain.ErrLimit}, a...)...)
}

// crashError reports a dead engine; the cause (a wasm trap, with its wasm
// stack) stays reachable through errors.As but out of the message.
type crashError struct {
	msg   string
	cause error
}

func (e *crashError) Error() string   { return e.msg }
func (e *crashError) Unwrap() []error { return []error{ErrCrashed, e.cause} }

// jsError is an uncaught error as the prelude describes it.
type jsError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Stack   string `json:"stack"`
}

// scriptError maps a JavaScript error to the script's positions.
func (p *program) scriptError(j jsError) *ScriptError {
	e := &ScriptError{Name: j.Name, Message: j.Message}
	var frames []string
	for _, raw := range strings.Split(j.Stack, "\n") {
		fn, line, col, ok := parseFrame(raw)
		if !ok {
			continue
		}
		l, c, ok := p.toScript(line, col)
		if !ok {
			continue
		}
		if e.Line == 0 {
			e.Line, e.Column = l, c
		}
		frames = append(frames, "at "+fn+" ("+position(tsFile, l, c)+")")
	}
	e.Stack = strings.Join(frames, "\n")
	return e
}

// evalError maps an error qjs returned from Eval, whose text is the
// error's String() followed by its stack: a syntax error esbuild let
// through, or an exception thrown before the script's function started.
func (p *program) evalError(err error) *ScriptError {
	first, stack, _ := strings.Cut(err.Error(), "\n")
	j := jsError{Message: first, Stack: stack}
	if name, msg, ok := strings.Cut(first, ": "); ok && isIdent(name) && strings.HasSuffix(name, "Error") {
		j.Name, j.Message = name, msg
	}
	return p.scriptError(j)
}

// parseFrame parses one QuickJS stack line, "    at name (agent.js:3:10)"
// or "    at agent.js:3:10", keeping only frames of the script's file.
func parseFrame(s string) (fn string, line, col int, ok bool) {
	s = strings.TrimSpace(s)
	rest, found := strings.CutPrefix(s, "at ")
	if !found {
		return "", 0, 0, false
	}
	fn, loc := "<anonymous>", rest
	if strings.HasSuffix(rest, ")") {
		i := strings.LastIndex(rest, " (")
		if i < 0 {
			return "", 0, 0, false
		}
		fn, loc = rest[:i], rest[i+2:len(rest)-1]
		if fn == "" || fn == "<eval>" {
			fn = "<anonymous>"
		}
	}
	file, nums, found := strings.Cut(loc, ":")
	if !found || file != jsFile {
		return "", 0, 0, false
	}
	ls, cs, found := strings.Cut(nums, ":")
	if !found {
		return "", 0, 0, false
	}
	line, err1 := strconv.Atoi(ls)
	col, err2 := strconv.Atoi(cs)
	if err1 != nil || err2 != nil || line < 1 || col < 1 {
		return "", 0, 0, false
	}
	return fn, line, col, true
}
