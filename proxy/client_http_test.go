package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"
)

// httpUpstream is an mcp-go server on streamable HTTP; it records the
// Authorization header of each request.
func httpUpstream(t *testing.T) (*server.MCPServer, *httptest.Server, chan string, chan struct{}) {
	hooks := &server.Hooks{}
	listening := make(chan struct{}, 1)
	hooks.AddOnRegisterSession(func(context.Context, server.ClientSession) {
		select {
		case listening <- struct{}{}:
		default:
		}
	})
	s := server.NewMCPServer("http-upstream", "1", server.WithToolCapabilities(true), server.WithHooks(hooks))
	text := func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(req.GetString("text", "")), nil
	}
	s.AddTool(mcp.NewToolWithRawSchema("pick", "path or url", json.RawMessage(oneOfSchema)), text)
	s.AddTool(mcp.NewTool("big", mcp.WithNumber("n")), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(strings.Repeat("b", req.GetInt("n", 0))), nil
	})
	auth := make(chan string, 100)
	h := server.NewStreamableHTTPServer(s)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case auth <- r.Header.Get("Authorization"):
		default:
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return s, ts, auth, listening
}

func TestHTTPUpstream(t *testing.T) {
	up, ts, auth, listening := httpUpstream(t)
	ctx := testContext(t)
	c, err := HTTP(ctx, HTTPConfig{
		URL: ts.URL, Headers: map[string]string{"Authorization": "Bearer t0ken"}, MaxResponseBytes: 32 << 10,
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.Equal(t, "Bearer t0ken", <-auth)

	tools, err := c.Tools(ctx)
	require.NoError(t, err)
	i := slices.IndexFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == "pick" })
	require.GreaterOrEqual(t, i, 0)
	require.JSONEq(t, oneOfSchema, string(tools[i].InputSchema))

	res, err := c.Call(ctx, call("pick", map[string]any{"text": "over http"}))
	require.NoError(t, err)
	require.Equal(t, "over http", res.Text())

	_, err = c.Call(ctx, call("big", map[string]any{"n": 100 << 10}))
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
	res, err = c.Call(ctx, call("big", map[string]any{"n": 10}))
	require.NoError(t, err)
	require.Len(t, res.Text(), 10)

	changed := make(chan struct{}, 1)
	defer c.OnToolsChanged(func() { changed <- struct{}{} })()
	// The notification stream (a GET) opens after the handshake; the
	// upstream registers the session when it arrives.
	select {
	case <-listening:
	case <-ctx.Done():
		t.Fatal("no notification stream")
	}
	up.AddTool(mcp.NewTool("later"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("later"), nil
	})
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("no list_changed over HTTP")
	}
	tools, err = c.Tools(ctx)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == "later" }))
}

func TestHTTPUpstreamDown(t *testing.T) {
	_, ts, _, _ := httpUpstream(t)
	ctx := testContext(t)
	c, err := HTTP(ctx, HTTPConfig{URL: ts.URL, CallTimeout: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ts.CloseClientConnections()
	ts.Close()
	_, err = c.Call(ctx, call("pick", nil))
	require.ErrorIs(t, err, ErrUpstreamDown)

	_, err = HTTP(ctx, HTTPConfig{URL: "ftp://x"})
	require.Error(t, err)
	_, err = HTTP(ctx, HTTPConfig{URL: ts.URL, StartTimeout: time.Second})
	require.Error(t, err, "nothing listens any more")
}
