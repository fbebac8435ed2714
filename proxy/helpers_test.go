package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// testTimeout bounds every wait in the tests.
const testTimeout = 20 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startChild starts the test binary as an upstream in the given mode.
func startChild(t testing.TB, mode string, edit func(*StdioConfig)) *Client {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cfg := StdioConfig{Name: mode, Command: exe, Env: map[string]string{childEnvVar: mode}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := Stdio(testContext(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// fakeGate stands in for ironcurtain.Gate: it routes calls to tool servers,
// refuses unknown tools and invalid argument types, and applies a table of
// verdicts by qualified name (allow when absent).
type fakeGate struct {
	servers  map[string]ironcurtain.ToolServer
	verdicts map[string]ironcurtain.Verdict
	calls    chan ironcurtain.ToolCall // optional: every call allowed through
}

func (g *fakeGate) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	var out []ironcurtain.ServerTool
	for _, name := range slices.Sorted(maps.Keys(g.servers)) {
		tools, err := g.servers[name].Tools(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range tools {
			out = append(out, ironcurtain.ServerTool{Server: name, Tool: t})
		}
	}
	return out, nil
}

func (g *fakeGate) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	srv, ok := g.servers[call.Server]
	if !ok {
		return ironcurtain.Result{}, &ironcurtain.DeniedError{
			Decision: ironcurtain.Decision{Rule: "structural-unknown-tool", Reason: "no such server"},
			Cause:    ironcurtain.ErrUnknownTool,
		}
	}
	for k, v := range call.Arguments {
		if k == "text" {
			if _, isString := v.(string); !isString {
				return ironcurtain.Result{}, &ironcurtain.DeniedError{
					Decision: ironcurtain.Decision{Rule: "invalid-arguments", Reason: `argument "text" must be a string`},
					Cause:    ironcurtain.ErrInvalidArguments,
				}
			}
		}
	}
	if v, listed := g.verdicts[call.QualifiedName()]; listed && v != ironcurtain.Allow {
		return ironcurtain.Result{}, &ironcurtain.DeniedError{Decision: ironcurtain.Decision{
			Verdict: v, Rule: "test-rule", Reason: "the test policy says no to " + call.Tool,
		}}
	}
	if g.calls != nil {
		g.calls <- call
	}
	return srv.Call(ctx, call)
}

// OnToolsChanged forwards the notifications of the servers that send them.
func (g *fakeGate) OnToolsChanged(f func()) func() {
	var stops []func()
	for _, s := range g.servers {
		if n, ok := s.(ToolsNotifier); ok {
			stops = append(stops, n.OnToolsChanged(f))
		}
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// memServer is an in-process ToolServer with a fixed table of tools.
type memServer struct {
	mu    sync.Mutex
	tools []ironcurtain.Tool
	funcs map[string]func(args map[string]any) (ironcurtain.Result, error)
}

func (m *memServer) Tools(context.Context) ([]ironcurtain.Tool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tools), nil
}

func (m *memServer) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	f, ok := m.funcs[call.Tool]
	if !ok {
		return ironcurtain.Result{}, fmt.Errorf("%w: %s", ironcurtain.ErrUnknownTool, call.Tool)
	}
	return f(call.Arguments)
}

// notesServer is the in-process server most tests export: "notes" with
// tools that read, write and fail.
func notesServer() *memServer {
	obj := func(s string) json.RawMessage { return json.RawMessage(s) }
	return &memServer{
		tools: []ironcurtain.Tool{
			{Name: "read", Description: "Read a note", InputSchema: obj(oneOfSchema),
				Annotations: ironcurtain.ToolAnnotations{ReadOnlyHint: true}},
			{Name: "write", Description: "Write a note",
				InputSchema: obj(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`),
				Annotations: ironcurtain.ToolAnnotations{DestructiveHint: true}},
			{Name: "push", Description: "Push notes", InputSchema: obj(`{"type":"object"}`)},
			{Name: "broken", Description: "Fails inside", InputSchema: obj(`{"type":"object"}`)},
		},
		funcs: map[string]func(map[string]any) (ironcurtain.Result, error){
			"read": func(args map[string]any) (ironcurtain.Result, error) {
				return ironcurtain.TextResult(fmt.Sprintf("read %v", args["path"])), nil
			},
			"write": func(args map[string]any) (ironcurtain.Result, error) {
				return ironcurtain.TextResult("wrote " + args["text"].(string)), nil
			},
			"push": func(map[string]any) (ironcurtain.Result, error) {
				return ironcurtain.TextResult("pushed"), nil
			},
			"broken": func(map[string]any) (ironcurtain.Result, error) {
				return ironcurtain.Result{}, errors.New("disk /home/alice/.secret unreadable")
			},
		},
	}
}

// newTestGate is a gate over the notes server that denies notes__write and
// escalates (and refuses) notes__push.
func newTestGate() *fakeGate {
	return &fakeGate{
		servers: map[string]ironcurtain.ToolServer{"notes": notesServer()},
		verdicts: map[string]ironcurtain.Verdict{
			"notes__write": ironcurtain.Deny,
			"notes__push":  ironcurtain.Escalate,
		},
	}
}

// envNames returns the variable names in an environment listing.
func envNames(listing string) []string {
	var names []string
	for line := range strings.SplitSeq(listing, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}
