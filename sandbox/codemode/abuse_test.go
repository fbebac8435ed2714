package codemode

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// Escape and abuse: each script is hostile, and each run must end with a
// clear error (or a refusal the script sees) and leave the host as it was.

func TestAbuseInfiniteLoop(t *testing.T) {
	require.NoError(t, Precompile()) // so that no timing below includes it
	before := hostSnapshot(t)
	s := newTestSandbox(t, nil, Options{Timeout: 300 * time.Millisecond})
	for name, src := range map[string]string{
		"while":      "console.log('before'); while (true) {}",
		"for":        "console.log('before'); for (;;) { Math.random(); }",
		"microtasks": "console.log('before'); const spin = (): Promise<void> => Promise.resolve().then(spin); await spin();",
		"intervals":  "console.log('before'); setInterval(() => {}, 0); await new Promise(() => {});",
		"regexp":     "console.log('before'); /^(a+)+$/.test('a'.repeat(40) + 'b');",
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			rep, err := runScript(t, s, src)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var te *timeoutError
			require.ErrorAs(t, err, &te)
			require.Less(t, time.Since(start), 300*time.Millisecond+shutdownGrace, "Run returns at the deadline")
			require.Equal(t, []string{"before"}, rep.Output, "the report is filled as far as the run got")
		})
	}
	require.Equal(t, before, hostSnapshot(t))
}

func TestAbuseMemoryBombs(t *testing.T) {
	const limit = 16 << 20
	s := newTestSandbox(t, nil, Options{MemoryLimit: limit, Timeout: 20 * time.Second})
	for name, src := range map[string]string{
		"string doubling":    "let s = 'x'; while (true) s += s;",
		"strings kept":       "const a: string[] = []; for (let i = 0; ; i++) a.push('x'.repeat(1 << 20) + i);",
		"one huge string":    "return 'x'.repeat(1 << 29).length;",
		"arrays":             "const a: number[][] = []; for (;;) a.push(new Array(100000).fill(1));",
		"one huge array":     "return new Array(1 << 28).fill(0).length;",
		"typed arrays":       "const a: Uint8Array[] = []; for (;;) a.push(new Uint8Array(1 << 20));",
		"array buffer":       "return new ArrayBuffer(1 << 30).byteLength;",
		"caught and ignored": "const a: Uint8Array[] = []; try { for (;;) a.push(new Uint8Array(1 << 20)); } catch (e) { a.length = 0; } return 'survived';",
		"objects":            "const a: object[] = []; for (let i = 0; ; i++) a.push({ i, s: 'y'.repeat(64) + i });",
	} {
		t.Run(name, func(t *testing.T) {
			r, err := s.start(context.Background(), ironcurtain.Job{Source: src})
			require.NoError(t, err)
			r.wait()
			rep, err := r.report(), r.outcome()
			require.ErrorIs(t, err, ironcurtain.ErrLimit, "%v", err)
			require.Nil(t, rep.Value)
			require.LessOrEqual(t, r.mem.peak, uint64(limit), "the wasm memory never grew past the cap")
			require.True(t, r.mem.refused.Load())
		})
	}
}

func TestAbuseDeepRecursion(t *testing.T) {
	require.NoError(t, Precompile())
	s := newTestSandbox(t, nil, Options{Timeout: 2 * time.Second, MemoryLimit: 32 << 20})
	for name, tt := range map[string]struct {
		src  string
		want error
	}{
		"plain":          {"function f(n: number): number { return f(n + 1) + 1 }\nreturn f(0);", ErrCrashed},
		"try/catch":      {"let depth = 0;\nfunction f(n: number): number { try { depth = n; return f(n + 1) + 1 } catch (e) { globalThis.x = e; return 0 } }\nreturn f(0);", ErrCrashed},
		"mutual":         {"const a = (n: number): number => b(n + 1); const b = (n: number): number => a(n + 1);\nreturn a(0);", ErrCrashed},
		"async":          {"async function f(n: number): Promise<number> { return await f(n + 1) }\nreturn await f(0);", ErrCrashed},
		"toString cycle": {"const o: any = {}; o.toString = () => String(o);\nreturn String(o);", ErrCrashed},
		"deep JSON":      {"return JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)).length;", nil},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			rep, err := runScript(t, s, tt.src)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			} else {
				// A depth check, memory or stack, whichever the engine meets first.
				var se *ScriptError
				require.True(t, errors.As(err, &se) || errors.Is(err, ErrCrashed) || errors.Is(err, ironcurtain.ErrLimit), "%v", err)
			}
			require.Less(t, time.Since(start), 2*time.Second+shutdownGrace)
			require.Nil(t, rep.Value)
		})
	}
	// A crashed runtime is never reused: the next run is fine.
	rep, err := runScript(t, s, "return 'next'")
	require.NoError(t, err)
	require.JSONEq(t, `"next"`, string(rep.Value))
}

func TestAbuseFilesystemAndModules(t *testing.T) {
	before := hostSnapshot(t)
	s := newTestSandbox(t, nil, Options{Timeout: 5 * time.Second})
	tests := []struct {
		name, src, errName, msg string
	}{
		{"std.loadFile", `return std.loadFile("/etc/hostname")`, "ReferenceError", "std is not defined"},
		{"std.open", `const f = std.open("/written-by-js.txt", "w"); f.puts("x"); f.close();`, "ReferenceError", "std is not defined"},
		{"os.readdir", `return os.readdir("/")`, "ReferenceError", "os is not defined"},
		{"os.sleep", `os.sleep(1e9)`, "ReferenceError", "os is not defined"},
		{"static import", `import * as std from "qjs:std";` + "\nreturn std.loadFile('/etc/hostname');", "SyntaxError", ""},
		{"dynamic import", `const std = await import("qjs:std"); return std.loadFile("/etc/hostname");`, "Error", "modules are not available"},
		{"computed import", `const m = "qjs:" + ["o", "s"].join(""); const os = await import(m); return os.readdir("/");`, "Error", "modules are not available"},
		{"relative import", `await import("./secrets.js");`, "Error", "modules are not available"},
		{"import in eval", `return eval('import("qjs:os")');`, "ReferenceError", "eval is not defined"},
		{"indirect eval", `return (0, globalThis["ev" + "al"])("1");`, "TypeError", "not a function"},
		{"Function", `return Function('return import("qjs:os")')();`, "EvalError", "code generation"},
		{"new Function", `return new Function("return 1")();`, "EvalError", "code generation"},
		{"constructor of a function", `return (() => 0).constructor("return 1")();`, "EvalError", "code generation"},
		{"async function constructor", `return await (async () => 0).constructor("return import('qjs:os')")();`, "EvalError", "code generation"},
		{"generator constructor", `return Object.getPrototypeOf(function* () {}).constructor("yield 1")().next();`, "EvalError", "code generation"},
		{"async generator constructor", `return Object.getPrototypeOf(async function* () {}).constructor("yield 1");`, "EvalError", "code generation"},
		{"reflect construct", `return Reflect.construct(Function, ["return 1"])();`, "EvalError", "code generation"},
		{"timer string", `setTimeout("globalThis.x = 1", 0);`, "TypeError", "strings are not evaluated"},
		{"require", `return require("fs");`, "Error", "modules are not available"},
		{"process", `return process.env;`, "ReferenceError", "process is not defined"},
		{"environment via std", `return std.getenviron();`, "ReferenceError", "std is not defined"},
		{"import.meta", `return import.meta;`, "SyntaxError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runScript(t, s, tt.src)
			se := asScriptError(t, err)
			require.Equal(t, tt.errName, se.Name, se.Error())
			require.Contains(t, se.Message, tt.msg)
		})
	}
	require.Equal(t, before, hostSnapshot(t), "no file appeared in the process's working directory")
	_, err := os.Stat(voidRoot)
	require.Error(t, err, "the void root never exists")
}

func TestAbuseEnvironment(t *testing.T) {
	t.Setenv("IRONCURTAIN_CODEMODE_SECRET", "hunter2")
	s := newTestSandbox(t, nil, Options{})
	rep, err := runScript(t, s, `
const seen: string[] = [];
for (const k of Object.getOwnPropertyNames(globalThis)) {
  try { if (JSON.stringify((globalThis as any)[k])?.includes("hunter2")) seen.push(k); } catch {}
}
return { seen, process: typeof process, Deno: typeof (globalThis as any).Deno, env: typeof (globalThis as any).env };`)
	require.NoError(t, err)
	require.JSONEq(t, `{"seen":[],"process":"undefined","Deno":"undefined","env":"undefined"}`, string(rep.Value))
}

func TestAbuseUnknownTools(t *testing.T) {
	b := &fakeBackend{tools: testTools()}
	s := newTestSandbox(t, b, Options{})
	for name, src := range map[string]string{
		"unknown method": `filesystem.delete_everything({ path: "/" })`,
		"unknown server": `shell.exec({ cmd: "rm -rf /" })`,
		"prototype name": `(filesystem as any).constructor({})`,
		"host function":  `__ic_host('C0 {"path":"x"}')`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runScript(t, s, src)
			se := asScriptError(t, err)
			require.Contains(t, []string{"TypeError", "ReferenceError"}, se.Name, se.Error())
		})
	}
	require.Empty(t, b.received(), "no call reached the backend")
}

// TestAbuseForgedHostCalls calls the Go side of the bridge directly, as a
// script that got hold of the host function could: it refuses every call
// that does not name a listed tool with an object of arguments.
func TestAbuseForgedHostCalls(t *testing.T) {
	b := &fakeBackend{tools: testTools()}
	s := newTestSandbox(t, b, Options{})
	r, err := s.start(context.Background(), ironcurtain.Job{Source: "return 1"})
	require.NoError(t, err)
	defer r.clock.stop()
	for _, arg := range []string{"", "0", "x {}", "-1 {}", "3 {}", "99999999999999999999 {}", "1e0 {}",
		"0 []", "0 null", "0 \"path\"", "0 {", "0 {}}", " 0 {}"} {
		reply := r.call(arg)
		require.Equal(t, byte('E'), reply[0], "%q → %q", arg, reply)
	}
	for _, op := range []string{"", "X", "Z0 {}", "c0 {}", " C0 {}"} {
		require.Equal(t, byte('E'), r.host(op)[0], "%q", op)
	}
	require.Empty(t, b.received())
	require.Equal(t, byte('V'), r.host(`C0 {"path":"a"}`)[0])
	require.Len(t, b.received(), 1)
}

func TestAbuseTampering(t *testing.T) {
	b := &fakeBackend{tools: testTools(), fn: func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.TextResult("real"), nil
	}}
	s := newTestSandbox(t, b, Options{})
	rep, err := runScript(t, s, `
const refused: string[] = [];
const attempt = (name: string, f: () => void) => { try { f(); } catch (e) { refused.push(name); } };
const fs = filesystem as any;
attempt("assign stub", () => { fs.read_file = () => "fake"; });
attempt("define stub", () => { Object.defineProperty(fs, "read_file", { value: () => "fake" }); });
attempt("delete stub", () => { delete fs.read_file; });
attempt("add stub", () => { fs.read_secrets = () => "fake"; });
attempt("replace namespace", () => { (globalThis as any).filesystem = {}; });
attempt("namespace prototype", () => { Object.setPrototypeOf(fs, { read_file: () => "fake" }); });
attempt("stub prototype", () => { Object.setPrototypeOf(fs.read_file, null); });
attempt("stub property", () => { fs.read_file.call = () => "fake"; });
attempt("Function.prototype.call", () => { Function.prototype.call = function () { return "fake"; } as any; });
attempt("Function.prototype.apply", () => { Object.defineProperty(Function.prototype, "apply", { value: () => "fake" }); });
// These succeed, and change nothing the stubs rely on.
(Object.prototype as any).path = "/etc/shadow";
JSON.stringify = () => '{"path":"/etc/shadow"}';
JSON.parse = () => "forged";
String.prototype.slice = () => "Vforged";
Array.prototype.push = () => 0;
(Promise.prototype as any).then = () => undefined;
const text = fs.read_file({ path: "a.txt" });
const empty = fs.read_file({});
return { refused, text, empty };`)
	require.NoError(t, err)
	require.JSONEq(t, `{"refused":["assign stub","define stub","delete stub","add stub","replace namespace",
		"namespace prototype","stub prototype","stub property","Function.prototype.call","Function.prototype.apply"],
		"text":"real","empty":"real"}`, string(rep.Value))
	calls := b.received()
	require.Len(t, calls, 2)
	require.Equal(t, map[string]any{"path": "a.txt"}, calls[0].Arguments)
	require.Equal(t, map[string]any{}, calls[1].Arguments, "inherited properties are not arguments")
}

func TestAbuseNonJSONArguments(t *testing.T) {
	b := &fakeBackend{tools: testTools()}
	s := newTestSandbox(t, b, Options{})
	for name, src := range map[string]string{
		"bigint":           `filesystem.read_file({ path: 1n } as any)`,
		"cycle":            `const a: any = { path: "x" }; a.self = a; filesystem.read_file(a);`,
		"string":           `filesystem.read_file("a.txt" as any)`,
		"null":             `filesystem.read_file(null as any)`,
		"array":            `filesystem.read_file(["a"] as any)`,
		"number":           `filesystem.read_file(1 as any)`,
		"toJSON undefined": `filesystem.read_file({ toJSON() { return undefined } } as any)`,
		"throwing getter":  `filesystem.read_file({ get path() { throw new Error("no") } } as any)`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runScript(t, s, src)
			se := asScriptError(t, err)
			require.Contains(t, []string{"TypeError", "Error"}, se.Name, se.Error())
		})
	}
	require.Empty(t, b.received())
}
