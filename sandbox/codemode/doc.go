// Package codemode runs the TypeScript a model writes in QuickJS compiled
// to WebAssembly, with tools as typed synchronous functions whose every call
// goes to an [ironcurtain.Gate] in-process, and nothing else: no file
// system, no network, no environment, no clock to wait on beyond the run's
// own budget.
//
// # Usage
//
//	sb, err := codemode.New(codemode.Options{Backend: gate})
//	if err != nil { ... }
//	decls, err := sb.Declarations(ctx) // for the system prompt
//	rep, err := sb.Run(ctx, ironcurtain.Job{Source: `
//	    const text = filesystem.read_file({ path: "notes.md" });
//	    console.log(text.length);
//	    return text.split("\n").slice(0, 3);`})
//	// rep.Value is the result as JSON, rep.Output the console lines,
//	// rep.Calls every tool call with its verdict.
//
// # Scripts
//
// A script is the body of an async function: await works at its top level
// and return gives the result, as JSON (undefined is null; a value JSON
// cannot hold is an error). esbuild strips the types; it does not check
// them. Errors carry positions in the script's own lines ([ScriptError]).
// Timers work and fire at their due time, counted against the run's time.
// There are no modules: import statements are syntax errors, and import()
// throws.
//
// # Tools
//
// Each tool of the Backend appears as namespace.method(args), the
// namespace named after the server and the method after the tool (names
// that are not JavaScript identifiers are mapped; see [Sandbox.Declarations]
// for the exact names). A call is synchronous: the script waits, also while
// an escalated call waits for its approver. Its value is the tool's
// structured result when the tool declares an output schema, otherwise its
// text. A refused call throws an Error whose message is what the agent may
// see ("DENIED: <the rule's reason>"), never the operator's cause; a tool
// error throws its text.
//
// The namespaces and stubs are frozen and the host function behind them is
// hidden, but that is for the script's benefit: the guard is on the Go
// side, which accepts only calls to tools the Backend listed at the start
// of the run, with an object of arguments, within MaxToolCalls, and hands
// each to the Backend as it is.
//
// # Containment
//
// Every run gets a fresh runtime, discarded afterwards, whatever happened.
// The limits hold although QuickJS alone does not enforce them:
//
//   - Memory: the whole WebAssembly memory is capped (Options.MemoryLimit):
//     strings and typed arrays included, which QuickJS's own limit misses.
//     Growing past it ends the run with ironcurtain.ErrLimit.
//   - Time: the runtime is bound to a context closed when the script's time
//     is up (Options.Timeout, not counting time spent in tool calls); the
//     engine stops at its next function call or loop iteration, and Run
//     returns within about two seconds of the deadline in any case.
//   - Stack: QuickJS's stack check is compiled out of the WebAssembly build,
//     and recursion deeper than about 200 calls overflows into the engine's
//     own memory. A guard watches the end of the stack and ends such a run
//     with [ErrCrashed] before any further tool call; a trap ends it the
//     same way. Nothing leaves the sandbox either way.
//   - Files: quickjs-libc's std, os and bjson modules are removed, along
//     with eval and every Function constructor, so no code can import them
//     back; and the runtime's root directory is a path below os.DevNull,
//     which cannot exist, so even a script that reached them would find no
//     file at all.
//   - Environment and output: the runtime gets no environment variables,
//     and its standard output and error go to the run's capped console
//     buffer, never to the host's.
//
// # Concurrency and cost
//
// A Sandbox is safe for concurrent use; runs share nothing but the compiled
// engine. The first run in a process compiles qjs.wasm, which takes most of
// a second ([Precompile] moves that to start-up); later runs start in a few
// milliseconds, and a tool call costs tens of microseconds.
//
// qjs keeps one compiled module per process, with the wazero configuration
// of whoever compiled it first. Code in the same process that uses qjs
// directly with other options (CloseOnContextDone off, other wasm bytes)
// changes what every runtime here gets: do not mix the two.
package codemode
