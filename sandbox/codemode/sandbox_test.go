package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

func TestRunResults(t *testing.T) {
	s := newTestSandbox(t, nil, Options{})
	tests := []struct {
		name, src, want string
	}{
		{"number", "return 1 + 1", "2"},
		{"object", "return { a: [1, 2], b: 'x' }", `{"a":[1,2],"b":"x"}`},
		{"no return", "const x = 1;", "null"},
		{"undefined", "return undefined", "null"},
		{"null", "return null", "null"},
		{"string", "return 'héllo\\u2028'", `"héllo\u2028"`},
		{"typescript", "interface P { x: number }\nconst p: P = { x: 3 };\nenum E { A, B }\nreturn p.x as number + E.B;", "4"},
		{"generics", "function id<T>(v: T): T { return v }\nreturn id<string>('g');", `"g"`},
		{"top-level await", "const v = await Promise.resolve(5);\nreturn v * 2;", "10"},
		{"promise all", "const xs = await Promise.all([1, 2, 3].map(async (n) => n * n));\nreturn xs;", "[1,4,9]"},
		{"returned promise", "return Promise.resolve('p')", `"p"`},
		{"timers in order", "const out: number[] = [];\nsetTimeout(() => out.push(2), 5);\nsetTimeout(() => out.push(1), 0);\nawait new Promise((r) => setTimeout(r, 10));\nreturn out;", "[1,2]"},
		{"interval cleared", "let n = 0;\nawait new Promise<void>((r) => { const id = setInterval(() => { if (++n === 3) { clearInterval(id); r(); } }, 1); });\nreturn n;", "3"},
		{"globals gone", "return [typeof std, typeof os, typeof bjson, typeof eval, typeof __ic_host, typeof __ic_main, typeof gc, typeof scriptArgs, typeof QJS_PROXY_VALUE];",
			`["undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined"]`},
		{"builtins stay", "return [typeof JSON, typeof Math, typeof Promise, typeof console.log, typeof setTimeout, typeof Function, (() => 1) instanceof Function];",
			`["object","object","function","function","function","function",true]`},
		{"fresh runtime", "globalThis.leak = 1; return typeof globalThis.leak", `"number"`},
		{"nothing leaks between runs", "return typeof globalThis.leak", `"undefined"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := runScript(t, s, tt.src)
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(rep.Value))
		})
	}
}

func TestRunConsole(t *testing.T) {
	s := newTestSandbox(t, nil, Options{})
	rep, err := runScript(t, s, `console.log("plain", 1, { a: 1 }, [2], null, undefined);
console.info("i"); console.warn("w"); console.error(new TypeError("bad")); console.debug("d");
print("printed");
const cyclic: any = {}; cyclic.self = cyclic; console.log(cyclic);
console.log("nul\u0000byte");
return 0;`)
	require.NoError(t, err)
	require.Equal(t, []string{
		`plain 1 {"a":1} [2] null undefined`,
		"[INFO] i", "[WARN] w", "[ERROR] TypeError: bad", "[DEBUG] d",
		"printed",
		"[object Object]",
		"nul\x00byte",
	}, rep.Output)
}

func TestRunScriptErrors(t *testing.T) {
	s := newTestSandbox(t, nil, Options{})
	tests := []struct {
		name, src       string
		errName, msg    string
		line, col       int
		stackHasInnerFn bool
	}{
		{name: "throw", src: "const a: number = 1;\n\nthrow new TypeError('boom');", errName: "TypeError", msg: "boom", line: 3, col: 11},
		{name: "types removed before", src: "type T = {\n  a: string;\n};\ninterface I { b: number }\nconst x: T = { a: 'x' };\n(x as any).nope.deeper;", errName: "TypeError", msg: "cannot read property 'deeper' of undefined", line: 6},
		{name: "in a function", src: "function inner(n: number): never {\n  throw new RangeError('n=' + n);\n}\ninner(7);", errName: "RangeError", msg: "n=7", line: 2, stackHasInnerFn: true},
		{name: "after await", src: "await null;\nnull!.x;", errName: "TypeError", line: 2},
		{name: "non-error", src: "throw 'just a string';", msg: "uncaught just a string"},
		{name: "reference", src: "return notDefined + 1;", errName: "ReferenceError", msg: "notDefined is not defined", line: 1},
		{name: "syntax", src: "const x = 1;\nconst y = ;", errName: "SyntaxError", line: 2, col: 11},
		{name: "unbalanced", src: "if (true) {\n  return 1;", errName: "SyntaxError", line: 2},
		{name: "import statement", src: "import * as std from 'qjs:std';\nreturn std;", errName: "SyntaxError", line: 1},
		{name: "function result", src: "return () => 1;", errName: "TypeError", msg: "the script's result (a function) cannot be turned into JSON"},
		{name: "bigint result", src: "return 10n;", errName: "TypeError"},
		{name: "cyclic result", src: "const a: any = {}; a.a = a; return a;", errName: "TypeError"},
		{name: "nul", src: "return '\x00';", errName: "SyntaxError", line: 1, col: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := runScript(t, s, tt.src)
			se := asScriptError(t, err)
			require.Equal(t, tt.errName, se.Name, se.Error())
			if tt.msg != "" {
				require.Contains(t, se.Message, tt.msg)
			}
			if tt.line > 0 {
				require.Equal(t, tt.line, se.Line, se.Error())
			}
			if tt.col > 0 {
				require.Equal(t, tt.col, se.Column, se.Error())
			}
			if tt.stackHasInnerFn {
				require.Contains(t, se.Stack, "at inner (agent.ts:2:")
				require.NotContains(t, se.Stack, "agent.js")
			}
			require.Nil(t, rep.Value)
		})
	}
}

func TestRunStalled(t *testing.T) {
	s := newTestSandbox(t, nil, Options{})
	_, err := runScript(t, s, "await new Promise(() => {});")
	require.ErrorIs(t, err, ErrStalled)
}

func TestRunTools(t *testing.T) {
	b := &fakeBackend{tools: testTools(), fn: func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
		switch call.Tool {
		case "read_file":
			if call.Arguments["path"] == "missing" {
				return ironcurtain.ErrorResult("ENOENT: no such file"), nil
			}
			return ironcurtain.TextResult("contents of " + call.Arguments["path"].(string)), nil
		case "git_status":
			r := ironcurtain.TextResult("On branch main")
			r.Structured = json.RawMessage(`{"branch":"main","clean":true}`)
			return r, nil
		case "write_file":
			return ironcurtain.Result{}, &ironcurtain.DeniedError{
				Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-writes", Reason: "writing is not allowed here"},
				Cause:    errors.New("/home/secret/path is protected"),
			}
		}
		return ironcurtain.Result{}, errors.New("transport to /var/run/x.sock failed")
	}}
	s := newTestSandbox(t, b, Options{Session: "s-default"})
	rep, err := s.Run(context.Background(), ironcurtain.Job{Session: "s-job", Source: `
const text = filesystem.read_file({ path: "a.txt", head: 2 });
const status = git.git_status({});
const status2 = git.git_status();
let missing = "", denied = "";
try { filesystem.read_file({ path: "missing" }); } catch (e) { missing = (e as Error).message; }
try { filesystem.write_file({ path: "x", content: "y" }); } catch (e) { denied = (e as Error).message; }
return { text, status, same: JSON.stringify(status) === JSON.stringify(status2), missing, denied };`})
	require.NoError(t, err)
	require.JSONEq(t, `{"text":"contents of a.txt","status":{"branch":"main","clean":true},"same":true,
		"missing":"ENOENT: no such file","denied":"DENIED: writing is not allowed here"}`, string(rep.Value))
	calls := b.received()
	require.Len(t, calls, 5)
	require.Equal(t, ironcurtain.ToolCall{Session: "s-job", Server: "filesystem", Tool: "read_file",
		Arguments: map[string]any{"path": "a.txt", "head": float64(2)}}, calls[0])
	require.Equal(t, map[string]any{}, calls[2].Arguments, "no argument means {}")
	require.Len(t, rep.Calls, 5)
	require.Equal(t, ironcurtain.Allow, rep.Calls[0].Verdict)
	require.Equal(t, "ENOENT: no such file", rep.Calls[3].Error)
	d := rep.Calls[4]
	require.Equal(t, ironcurtain.Deny, d.Verdict)
	require.Equal(t, "no-writes", d.Rule)
	require.Equal(t, "writing is not allowed here", d.Reason)
	require.Equal(t, "DENIED: writing is not allowed here", d.Error)
	require.NotContains(t, d.Error, "/home/secret", "the operator's cause never reaches the script")
}

func TestRunToolFailureIsGeneric(t *testing.T) {
	b := &fakeBackend{tools: testTools(), fn: func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.Result{}, errors.New("dial unix /var/run/secret.sock: refused")
	}}
	s := newTestSandbox(t, b, Options{})
	rep, err := runScript(t, s, `try { filesystem.read_file({ path: "a" }) } catch (e) { return (e as Error).message }`)
	require.NoError(t, err)
	require.JSONEq(t, `"ERROR: the tool call failed"`, string(rep.Value))
	require.Equal(t, ironcurtain.Allow, rep.Calls[0].Verdict)
}

func TestRunSessionDefault(t *testing.T) {
	b := &fakeBackend{tools: testTools()}
	s := newTestSandbox(t, b, Options{Session: "default"})
	_, err := runScript(t, s, `filesystem.read_file({ path: "a" })`)
	require.NoError(t, err)
	require.Equal(t, "default", b.received()[0].Session)
}

func TestRunNoBackend(t *testing.T) {
	s := newTestSandbox(t, nil, Options{})
	_, err := runScript(t, s, `filesystem.read_file({ path: "a" })`)
	se := asScriptError(t, err)
	require.Equal(t, "ReferenceError", se.Name)
}

func TestRunToolsListFails(t *testing.T) {
	s := newTestSandbox(t, listFails{}, Options{})
	_, err := runScript(t, s, "return 1")
	require.ErrorContains(t, err, "listing the tools")
	d, err := s.Declarations(context.Background())
	require.Error(t, err)
	require.Empty(t, d)
}

type listFails struct{ ironcurtain.CallerFunc }

func (listFails) Tools(context.Context) ([]ironcurtain.ServerTool, error) {
	return nil, errors.New("down")
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
		mem  int64
	}{
		{"zero", Options{}, true, DefaultMemoryLimit},
		{"rounded to pages", Options{MemoryLimit: 3<<20 + 1}, true, 3<<20 + pageSize},
		{"too small", Options{MemoryLimit: 1 << 20}, false, 0},
		{"too large", Options{MemoryLimit: 8 << 30}, false, 0},
		{"negative timeout", Options{Timeout: -1}, false, 0},
		{"negative calls", Options{MaxToolCalls: -1}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.mem, s.opts.MemoryLimit)
			require.Equal(t, DefaultTimeout, s.opts.Timeout)
			require.Equal(t, DefaultMaxToolCalls, s.opts.MaxToolCalls)
		})
	}
}
