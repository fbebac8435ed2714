package codemode

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// fakeBackend is an in-process Backend: a fixed tool list and a function
// per tool. It records every call it receives.
type fakeBackend struct {
	tools []ironcurtain.ServerTool
	fn    func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error)

	mu    sync.Mutex
	calls []ironcurtain.ToolCall
}

func (f *fakeBackend) Tools(context.Context) ([]ironcurtain.ServerTool, error) { return f.tools, nil }

func (f *fakeBackend) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if f.fn == nil {
		return ironcurtain.TextResult("ok"), nil
	}
	return f.fn(ctx, call)
}

func (f *fakeBackend) received() []ironcurtain.ToolCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ironcurtain.ToolCall(nil), f.calls...)
}

// testTools is a small catalogue in the shape of the built-in servers.
func testTools() []ironcurtain.ServerTool {
	obj := func(s string) json.RawMessage { return json.RawMessage(s) }
	return []ironcurtain.ServerTool{
		{Server: "filesystem", Tool: ironcurtain.Tool{
			Name:        "read_file",
			Description: "Read a file.",
			InputSchema: obj(`{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"number"}},"required":["path"]}`),
		}},
		{Server: "filesystem", Tool: ironcurtain.Tool{
			Name:        "write_file",
			Description: "Write a file.",
			InputSchema: obj(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}`),
		}},
		{Server: "git", Tool: ironcurtain.Tool{
			Name:         "git_status",
			Description:  "Show the working tree status.",
			InputSchema:  obj(`{"type":"object","properties":{}}`),
			OutputSchema: obj(`{"type":"object","properties":{"branch":{"type":"string"},"clean":{"type":"boolean"}}}`),
		}},
	}
}

// newTestSandbox returns a Sandbox over b with opts, failing the test on
// error.
func newTestSandbox(t testing.TB, b ironcurtain.Backend, opts Options) *Sandbox {
	t.Helper()
	opts.Backend = b
	s, err := New(opts)
	require.NoError(t, err)
	return s
}

// runScript runs src with a fresh background context.
func runScript(t testing.TB, s *Sandbox, src string) (ironcurtain.Report, error) {
	t.Helper()
	return s.Run(context.Background(), ironcurtain.Job{Source: src})
}

// asScriptError requires err to be a *ScriptError and returns it.
func asScriptError(t testing.TB, err error, msgAndArgs ...any) *ScriptError {
	t.Helper()
	var se *ScriptError
	if len(msgAndArgs) == 0 {
		msgAndArgs = []any{"%v", err}
	}
	require.ErrorAs(t, err, &se, msgAndArgs...)
	return se
}

// hostSnapshot lists the process's working directory, to prove that a run
// left the host as it found it.
func hostSnapshot(t testing.TB) []string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	entries, err := os.ReadDir(wd)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		names = append(names, fmt.Sprintf("%s %d %s", e.Name(), info.Size(), info.ModTime()))
	}
	return names
}

// policyFunc adapts a function to an ironcurtain.PolicyEngine.
type policyFunc func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error)

func (f policyFunc) Evaluate(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return f(ctx, call)
}

// allowAll allows every call.
var allowAll = policyFunc(func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-all", Reason: "test"}, nil
})

// toolServer is an in-process ironcurtain.ToolServer.
type toolServer struct {
	tools []ironcurtain.Tool
	call  func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error)
}

func (s *toolServer) Tools(context.Context) ([]ironcurtain.Tool, error) { return s.tools, nil }

func (s *toolServer) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return s.call(ctx, call)
}

// newGate returns a Gate over servers built from testTools, every call
// answered by call.
func newGate(t testing.TB, policy ironcurtain.PolicyEngine, approver ironcurtain.Approver,
	call func(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error)) *ironcurtain.Gate {
	t.Helper()
	servers := map[string]ironcurtain.ToolServer{}
	for _, st := range testTools() {
		srv, ok := servers[st.Server].(*toolServer)
		if !ok {
			srv = &toolServer{call: call}
			servers[st.Server] = srv
		}
		srv.tools = append(srv.tools, st.Tool)
	}
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers:  servers,
		Policy:   policy,
		Approver: approver,
		Breaker:  ironcurtain.BreakerConfig{Threshold: 1 << 30},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	return g
}
