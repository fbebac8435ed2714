package codemode

import (
	"context"
	"fmt"
	"runtime"

	"github.com/ironcurtain-go/ironcurtain"
)

// Sandbox runs TypeScript scripts in QuickJS compiled to WebAssembly, one
// fresh runtime per run, with tools as synchronous functions whose calls go
// to the Backend. It implements [ironcurtain.Sandbox].
//
// A Sandbox is safe for concurrent use, and runs share nothing but the
// compiled engine. Between runs it keeps one engine instantiated for the
// next run, so that a run does not wait for QuickJS to start: an engine in
// which nothing has run yet, which one run takes and frees, so that every
// run still starts in a fresh JavaScript realm, under its own limits. Close
// frees it.
type Sandbox struct {
	opts  Options
	spare *spares
}

var _ ironcurtain.Sandbox = (*Sandbox)(nil)

// New returns a Sandbox for opts, after checking the limits and filling in
// the defaults. It does not compile the engine (see [Precompile]); once the
// engine is compiled, it instantiates one in the background for the first
// run.
func New(opts Options) (*Sandbox, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sandbox{opts: o, spare: &spares{limit: o.MemoryLimit}}
	// A Sandbox dropped without Close frees its spare engine when collected.
	runtime.AddCleanup(s, (*spares).collected, s.spare)
	s.spare.refill(nil, nil)
	return s, nil
}

// Close frees the engine kept ready for the next run; runs after Close
// instantiate their own. It does not stop runs in progress, and is safe to
// call more than once.
func (s *Sandbox) Close() error {
	s.spare.close()
	return nil
}

// Run runs job.Source, TypeScript written as the body of an async
// function: await works at its top level, and return gives the result.
//
// The Report holds the result as JSON (null when the script returns
// nothing), the console lines, and every tool call with its verdict. It is
// filled as far as the run got, also when Run returns an error:
//   - a *ScriptError for a syntax error or an uncaught exception, with
//     positions in the script's own lines;
//   - an error satisfying errors.Is(err, context.DeadlineExceeded) when
//     the script runs out of time (Options.Timeout);
//   - ironcurtain.ErrLimit for memory, tool calls or result size;
//   - ErrCrashed when the engine failed (recursion too deep), ErrStalled
//     when the script waits on a promise nothing can settle;
//   - the cause of ctx, wrapped, when ctx ends first.
//
// The error texts hold nothing of the host and may be shown to the model.
// Run returns within about two seconds of its deadline whatever the script
// does.
func (s *Sandbox) Run(ctx context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
	r, err := s.start(ctx, job)
	if err != nil {
		return ironcurtain.Report{}, err
	}
	r.wait()
	s.spare.refill(r.bindings, r.freed) // after this engine is freed, while the caller (a model) works out the next script
	return r.report(), r.outcome()
}

// start prepares a run: the engine compiled, the script transformed, the
// tools listed.
func (s *Sandbox) start(ctx context.Context, job ironcurtain.Job) (*run, error) {
	if err := warm(); err != nil {
		return nil, err
	}
	prog, err := compile(job.Source)
	if err != nil {
		return nil, err
	}
	bindings, err := s.bindings(ctx)
	if err != nil {
		return nil, err
	}
	session := job.Session
	if session == "" {
		session = s.opts.Session
	}
	return newRun(ctx, s.opts, prog, bindings, session, s.spare.take(toolTable(bindings))), nil
}

// bindings lists the Backend's tools. A Backend that lists some tools and
// fails on others still gives the ones it listed: every call goes through
// it anyway.
func (s *Sandbox) bindings(ctx context.Context) ([]binding, error) {
	if s.opts.Backend == nil {
		return nil, nil
	}
	tools, err := s.opts.Backend.Tools(ctx)
	if err != nil && len(tools) == 0 {
		return nil, fmt.Errorf("codemode: listing the tools: %w", err)
	}
	return bind(tools), nil
}

// Declarations returns TypeScript declarations of the tools scripts can
// call, for the model's system prompt: one `declare const` per namespace,
// each tool a method typed from its input schema (and its output schema,
// if it has one), with the descriptions as JSDoc. The text is the same for
// the same tool list.
func (s *Sandbox) Declarations(ctx context.Context) (string, error) {
	bindings, err := s.bindings(ctx)
	if err != nil {
		return "", err
	}
	return declarations(bindings), nil
}
