package proxy

import (
	"context"
	"os"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// The same call, echo("hi"), made by an mcp-go client directly to the
// upstream over stdio, and through the proxy over stdio: client → pipes →
// proxy Server → allow-all backend → proxy Client → pipes → the same
// upstream. Both clients speak protocol 2025-11-25, as the proxy does to
// its upstreams.
//
//	go test -run '^$' -bench 'Stdio$' -benchtime 2s -count 5 ./proxy/

func benchClient(b *testing.B, tr transport.Interface) *client.Client {
	c := client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	ctx := context.Background()
	require.NoError(b, c.Start(ctx))
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.ProtocolVersion20251125
	req.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	_, err := c.Initialize(ctx, req)
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	return c
}

func benchCall(b *testing.B, c *client.Client, name string) {
	ctx := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = map[string]any{"text": "hi"}
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("call failed: %v %+v", err, res)
		}
	}
}

func BenchmarkDirectStdio(b *testing.B) {
	exe, err := os.Executable()
	require.NoError(b, err)
	c := benchClient(b, transport.NewStdio(exe, []string{childEnvVar + "=upstream"}))
	benchCall(b, c, "echo")
}

func BenchmarkProxyStdio(b *testing.B) {
	up := startChild(b, "upstream", nil)
	c := benchProxyStdio(b, map[string]ironcurtain.ToolServer{"up": up})
	benchCall(b, c, "up__echo")
}

// benchProxyStdio serves a proxy Server, in front of servers, on a pair of
// OS pipes and returns a client connected to the other ends.
func benchProxyStdio(b *testing.B, servers map[string]ironcurtain.ToolServer) *client.Client {
	srv, err := NewServer(context.Background(), &fakeGate{servers: servers}, ServerConfig{})
	require.NoError(b, err)
	b.Cleanup(func() { srv.Close() })
	clientIn, serverOut, err := os.Pipe()
	require.NoError(b, err)
	serverIn, clientOut, err := os.Pipe()
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		srv.ServeStdio(ctx, serverIn, serverOut)
		serverOut.Close()
	}()
	return benchClient(b, transport.NewIO(clientIn, clientOut, nil))
}

// BenchmarkProxyStdioInProcess is the proxy alone: the same client and
// transport, with an in-process tool server behind the backend.
func BenchmarkProxyStdioInProcess(b *testing.B) {
	c := benchProxyStdio(b, map[string]ironcurtain.ToolServer{"notes": notesServer()})
	ctx2 := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name = "notes__read"
	req.Params.Arguments = map[string]any{"path": "a"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CallTool(ctx2, req); err != nil {
			b.Fatal(err)
		}
	}
}
