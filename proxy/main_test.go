package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The test binary doubles as the upstream MCP servers the tests start: run
// with IRONCURTAIN_PROXY_TEST_CHILD set, it serves on stdin and stdout
// instead of running tests. The variable reaches the child only because the
// tests put it in StdioConfig.Env: the child inherits nothing.

const childEnvVar = "IRONCURTAIN_PROXY_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnvVar) {
	case "":
		os.Exit(m.Run())
	case "upstream":
		runUpstream()
	case "reader":
		runReader()
	case "garbage":
		runGarbage()
	case "exit":
		fmt.Fprintln(os.Stderr, "exiting at once")
		os.Exit(7)
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(2)
	}
	os.Exit(0)
}

// oneOfSchema is an input schema with keywords mcp-go's client drops.
const oneOfSchema = `{"type":"object","description":"either a path or a url",` +
	`"oneOf":[{"required":["path"]},{"required":["url"]}],` +
	`"properties":{"path":{"type":"string"},"url":{"type":"string","format":"uri"}},"additionalProperties":false}`

// runUpstream serves a well-behaved mcp-go server with tools that misbehave
// on request.
func runUpstream() {
	s := server.NewMCPServer("test-upstream", "1.0.0", server.WithToolCapabilities(true))
	text := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(req.GetString("text", "")), nil
	}
	s.AddTool(mcp.NewTool("echo", mcp.WithDescription("Echo text back"),
		mcp.WithString("text", mcp.Required()), mcp.WithReadOnlyHintAnnotation(true)), text)
	s.AddTool(mcp.NewTool("env", mcp.WithDescription("Show the environment")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(strings.Join(os.Environ(), "\n")), nil
		})
	s.AddTool(mcp.NewTool("crash", mcp.WithDescription("Exit the process")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			os.Exit(3)
			return nil, nil
		})
	s.AddTool(mcp.NewTool("hang", mcp.WithDescription("Never answer")),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	s.AddTool(mcp.NewToolWithRawSchema("pick", "Takes a path or a url", json.RawMessage(oneOfSchema)), text)
	s.AddTool(mcp.NewTool("add_tool", mcp.WithDescription("Announce a new tool")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			s.AddTool(mcp.NewTool("added", mcp.WithDescription("Added later")), text)
			return mcp.NewToolResultText("added"), nil
		})
	s.AddTool(mcp.NewTool("big", mcp.WithNumber("n", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(strings.Repeat("x", req.GetInt("n", 0))), nil
		})
	s.AddTool(mcp.NewTool("fail"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("it went wrong"), nil
	})
	s.AddTool(mcp.NewTool("mixed"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		size := int64(3)
		return &mcp.CallToolResult{
			Content: []mcp.Content{
				mcp.TextContent{Type: "text", Text: "hello"},
				mcp.ImageContent{Type: "image", Data: "AQID", MIMEType: "image/png"},
				mcp.ResourceLink{Type: "resource_link", URI: "file:///x", Name: "x", MIMEType: "text/plain", Size: &size},
			},
			StructuredContent: map[string]any{"n": 1},
		}, nil
	})
	if err := server.NewStdioServer(s).Listen(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// runGarbage speaks just enough MCP to start, then answers each tool with a
// different kind of garbage.
func runGarbage() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	send := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	tools := `[{"name":"ok","inputSchema":{"type":"object"}},` +
		`{"name":"","inputSchema":{"type":"object"}},` + // no name: skipped
		`{"name":"schema_string","inputSchema":"object"},` + // bad schema: skipped
		`{"name":"ok","inputSchema":{"type":"object"}},` + // duplicate: skipped
		`7,` + // not an object: skipped
		`{"name":"not_json"},{"name":"wrong_shape","inputSchema":{}},{"name":"huge","inputSchema":{}},` +
		`{"name":"rpc_error","inputSchema":{}},{"name":"bad_base64","inputSchema":{}},` +
		`{"name":"null_result","inputSchema":{}},{"name":"noise_first","inputSchema":{}}]`
	for in.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil || msg.ID == nil {
			continue
		}
		switch msg.Method {
		case "initialize":
			send(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"garbage","version":"0"}}}`, msg.ID)
		case "tools/list":
			send(`{"jsonrpc":"2.0","id":%s,"result":{"tools":%s}}`, msg.ID, tools)
		case "tools/call":
			switch msg.Params.Name {
			case "ok":
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"fine"}]}}`, msg.ID)
			case "not_json":
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"te`, msg.ID)
			case "wrong_shape":
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":"not a list"}}`, msg.ID)
			case "huge":
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s"}]}}`, msg.ID, strings.Repeat("y", 300<<10))
			case "rpc_error":
				send(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"secret internal detail /home/x"}}`, msg.ID)
			case "bad_base64":
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"image","data":"!!!","mimeType":"image/png"}]}}`, msg.ID)
			case "null_result":
				send(`{"jsonrpc":"2.0","id":%s,"result":null}`, msg.ID)
			case "noise_first":
				send(`this is not json`)
				send(`{"jsonrpc":"2.0","method":"notifications/unknown"}`)
				send(`[1,2,3]`)
				send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"after noise"}]}}`, msg.ID)
			}
		default:
			send(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no"}}`, msg.ID)
		}
	}
}
