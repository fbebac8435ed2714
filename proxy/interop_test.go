package proxy

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"slices"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// Interoperability with an independent MCP implementation: the official Go
// SDK as the client, over stdio and over streamable HTTP, in front of the
// whole chain — proxy Server, a stand-in Gate, an in-process tool server
// and an upstream MCP server in a child process behind a proxy Client.

// connectSDKStdio serves srv on a pair of OS pipes and connects the go-sdk
// client to the other ends.
func connectSDKStdio(t *testing.T, srv *Server, opts *sdk.ClientOptions, sopts *sdk.ClientSessionOptions) *sdk.ClientSession {
	t.Helper()
	clientIn, serverOut, err := os.Pipe()
	require.NoError(t, err)
	serverIn, clientOut, err := os.Pipe()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeStdio(context.Background(), serverIn, serverOut)
		serverOut.Close()
	}()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "interop", Version: "1"}, opts).
		Connect(testContext(t), &sdk.IOTransport{Reader: clientIn, Writer: clientOut}, sopts)
	require.NoError(t, err)
	t.Cleanup(func() {
		cs.Close()
		select {
		case err := <-done:
			require.NoError(t, err, "ServeStdio ends cleanly when its input ends")
		case <-testContext(t).Done():
			t.Error("ServeStdio did not return")
		}
		serverIn.Close()
		clientIn.Close()
	})
	return cs
}

// connectSDKHTTP serves srv's handler on a loopback test server.
func connectSDKHTTP(t *testing.T, srv *Server, opts *sdk.ClientOptions, sopts *sdk.ClientSessionOptions) *sdk.ClientSession {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "interop", Version: "1"}, opts).
		Connect(testContext(t), &sdk.StreamableClientTransport{Endpoint: ts.URL, MaxRetries: -1}, sopts)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

var transports = []struct {
	name    string
	connect func(*testing.T, *Server, *sdk.ClientOptions, *sdk.ClientSessionOptions) *sdk.ClientSession
}{
	{"stdio", connectSDKStdio},
	{"http", connectSDKHTTP},
}

// chainGate is the test gate with the upstream child added as "up".
func chainGate(t *testing.T) *fakeGate {
	g := newTestGate()
	g.servers["up"] = startChild(t, "upstream", nil)
	return g
}

func newTestServer(t *testing.T, b ironcurtain.Backend, cfg ServerConfig) *Server {
	t.Helper()
	srv, err := NewServer(testContext(t), b, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv
}

func sdkText(t *testing.T, res *sdk.CallToolResult) string {
	t.Helper()
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*sdk.TextContent)
	require.True(t, ok, "want text content, got %T", res.Content[0])
	return text.Text
}

func TestInteropGoSDK(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			srv := newTestServer(t, chainGate(t), ServerConfig{})
			changed := make(chan struct{}, 4)
			cs := tr.connect(t, srv, &sdk.ClientOptions{
				ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { changed <- struct{}{} },
			}, nil)
			ctx := testContext(t)
			require.Equal(t, "2026-07-28", cs.InitializeResult().ProtocolVersion, "the go-sdk default, stateless protocol")

			list, err := cs.ListTools(ctx, nil)
			require.NoError(t, err)
			byName := map[string]*sdk.Tool{}
			var names []string
			for _, tool := range list.Tools {
				byName[tool.Name] = tool
				names = append(names, tool.Name)
			}
			require.Subset(t, names, []string{"notes__read", "notes__write", "notes__push", "notes__broken",
				"up__echo", "up__pick", "up__crash", "up__add_tool"})
			for _, name := range []string{"notes__read", "up__pick"} {
				schema, err := json.Marshal(byName[name].InputSchema)
				require.NoError(t, err)
				require.JSONEq(t, oneOfSchema, string(schema), "schema of %s passes through intact", name)
			}
			require.True(t, byName["notes__read"].Annotations.ReadOnlyHint)
			require.True(t, byName["up__echo"].Annotations.ReadOnlyHint)
			require.False(t, *byName["notes__read"].Annotations.DestructiveHint)

			tests := []struct {
				name    string
				tool    string
				args    any
				isError bool
				text    string
			}{
				{"allowed in-process", "notes__read", map[string]any{"path": "a.txt"}, false, "read a.txt"},
				{"allowed upstream", "up__echo", map[string]any{"text": "hi"}, false, "hi"},
				{"tool error upstream", "up__fail", nil, true, "it went wrong"},
				{"denied", "notes__write", map[string]any{"text": "x"}, true, "DENIED: the test policy says no to write"},
				{"escalated and refused", "notes__push", nil, true, "ESCALATION DENIED: the test policy says no to push"},
				{"wrong argument type", "notes__write", map[string]any{"text": 5}, true, `DENIED: argument "text" must be a string`},
				{"internal error", "notes__broken", nil, true, "ERROR: the tool call failed"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tt.tool, Arguments: tt.args})
					require.NoError(t, err, "tool outcomes are results, not protocol errors")
					require.Equal(t, tt.isError, res.IsError)
					require.Equal(t, tt.text, sdkText(t, res))
				})
			}

			_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "nope__x"})
			require.Error(t, err, "an unknown tool is a protocol error")

			// list_changed travels from the upstream through the Client,
			// the gate and the Server to this client.
			_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "up__add_tool"})
			require.NoError(t, err)
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatal("no tools/list_changed")
			}
			list, err = cs.ListTools(ctx, nil)
			require.NoError(t, err)
			require.True(t, slices.ContainsFunc(list.Tools, func(t *sdk.Tool) bool { return t.Name == "up__added" }))
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "up__added", Arguments: map[string]any{"text": "new"}})
			require.NoError(t, err)
			require.Equal(t, "new", sdkText(t, res))
		})
	}
}

func TestInteropUpstreamCrash(t *testing.T) {
	srv := newTestServer(t, chainGate(t), ServerConfig{})
	cs := connectSDKStdio(t, srv, nil, nil)
	ctx := testContext(t)
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "up__crash"})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Equal(t, "ERROR: the tool server is not running", sdkText(t, res))

	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "notes__read", Arguments: map[string]any{"path": "b"}})
	require.NoError(t, err, "the proxy serves the other tools")
	require.Equal(t, "read b", sdkText(t, res))
}

func TestInteropLegacyProtocol(t *testing.T) {
	// A client that asks for 2025-11-25 gets the initialize handshake.
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			srv := newTestServer(t, newTestGate(), ServerConfig{})
			cs := tr.connect(t, srv, nil, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
			require.Equal(t, "2025-11-25", cs.InitializeResult().ProtocolVersion)
			res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__push"})
			require.NoError(t, err)
			require.Equal(t, "ESCALATION DENIED: the test policy says no to push", sdkText(t, res))
		})
	}
}

// The Gate's reason reaches the client; its cause never does.
func TestDeniedCauseHidden(t *testing.T) {
	g := &fakeGate{servers: map[string]ironcurtain.ToolServer{"notes": notesServer()}}
	srv := newTestServer(t, g, ServerConfig{})
	cs := connectSDKStdio(t, srv, nil, nil)
	res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__broken"})
	require.NoError(t, err)
	require.NotContains(t, sdkText(t, res), "alice")
}

// A client that gives up on a call cancels it in the backend, and the
// proxy's upstream Client passes the cancellation on.
func TestInteropCancel(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan error, 1)
	waiter := &memServer{
		tools: []ironcurtain.Tool{{Name: "wait", InputSchema: json.RawMessage(`{"type":"object"}`)}},
	}
	g := &fakeGate{servers: map[string]ironcurtain.ToolServer{"w": ctxServer{waiter, started, cancelled}}}
	srv := newTestServer(t, g, ServerConfig{})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, srv, nil, nil)
			ctx, cancel := context.WithCancel(testContext(t))
			done := make(chan error, 1)
			go func() {
				_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "w__wait"})
				done <- err
			}()
			select {
			case <-started:
			case <-testContext(t).Done():
				t.Fatal("the call did not start")
			}
			cancel()
			select {
			case err := <-cancelled:
				require.ErrorIs(t, err, context.Canceled)
			case <-testContext(t).Done():
				t.Fatal("the backend's context was not cancelled")
			}
			require.Error(t, <-done)
		})
	}
}

// ctxServer is a tool server whose one tool waits for its context to end.
type ctxServer struct {
	*memServer
	started   chan struct{}
	cancelled chan error
}

func (s ctxServer) Call(ctx context.Context, _ ironcurtain.ToolCall) (ironcurtain.Result, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	s.cancelled <- ctx.Err()
	return ironcurtain.Result{}, ctx.Err()
}
