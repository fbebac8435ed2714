package fs_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
)

// backend exports one filesystem server to the MCP proxy, without a Gate:
// this test is about the tools as MCP clients see them, not about policy.
type backend struct{ *fs.Server }

func (b backend) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	tools, err := b.Server.Tools(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ironcurtain.ServerTool, len(tools))
	for i, t := range tools {
		out[i] = ironcurtain.ServerTool{Server: fs.ServerName, Tool: t}
	}
	return out, nil
}

// mcpSession is a JSON-RPC conversation with a proxy over stdio pipes, one
// request at a time.
type mcpSession struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Scanner
	next int
}

func (m *mcpSession) send(method string, params any) json.RawMessage {
	m.t.Helper()
	m.next++
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.next, "method": method, "params": params})
	require.NoError(m.t, err)
	_, err = m.in.Write(append(req, '\n'))
	require.NoError(m.t, err)
	for m.out.Scan() {
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		require.NoError(m.t, json.Unmarshal(m.out.Bytes(), &resp))
		if resp.ID != m.next {
			continue // a notification
		}
		require.Empty(m.t, resp.Error, "%s failed", method)
		return resp.Result
	}
	m.t.Fatalf("no answer to %s: %v", method, m.out.Err())
	return nil
}

// TestMCPConformance lists the 14 tools through the MCP proxy and calls
// each, as an MCP client written for the common filesystem server would.
func TestMCPConformance(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("alpha\nbeta\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pic.png"), []byte("\x89PNG"), 0o644))
	srv, err := fs.New(fs.Options{Roots: []string{dir}})
	require.NoError(t, err)
	defer srv.Close()

	ctx := context.Background()
	px, err := proxy.NewServer(ctx, backend{srv}, proxy.ServerConfig{})
	require.NoError(t, err)
	defer px.Close()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- px.ServeStdio(ctx, inR, outW)
		outW.Close()
	}()
	scanner := bufio.NewScanner(outR)
	scanner.Buffer(nil, 1<<20)
	m := &mcpSession{t: t, in: inW, out: scanner}

	m.send("initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "conformance", "version": "1"}})
	_, err = inW.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	require.NoError(t, err)

	var list struct {
		Tools []struct {
			Name        string                      `json:"name"`
			InputSchema json.RawMessage             `json:"inputSchema"`
			Annotations ironcurtain.ToolAnnotations `json:"annotations"`
		} `json:"tools"`
	}
	require.NoError(t, json.Unmarshal(m.send("tools/list", map[string]any{}), &list))
	ours, err := srv.Tools(ctx)
	require.NoError(t, err)
	require.Len(t, list.Tools, 14)
	exported := map[string]int{}
	for i, tool := range list.Tools {
		exported[tool.Name] = i
	}
	for _, want := range ours {
		i, ok := exported[ironcurtain.QualifiedName(fs.ServerName, want.Name)]
		require.True(t, ok, "%s is not exported", want.Name)
		got := list.Tools[i]
		require.JSONEq(t, string(want.InputSchema), string(got.InputSchema), want.Name)
		require.Equal(t, want.Annotations, got.Annotations, want.Name)
	}

	calls := []struct {
		tool string
		args map[string]any
	}{
		{"read_file", map[string]any{"path": "a.txt"}},
		{"read_text_file", map[string]any{"path": "a.txt", "tail": 1}},
		{"read_media_file", map[string]any{"path": "pic.png"}},
		{"read_multiple_files", map[string]any{"paths": []string{"a.txt", "pic.png"}}},
		{"write_file", map[string]any{"path": "b.txt", "content": "bravo\n"}},
		{"edit_file", map[string]any{"path": "b.txt", "edits": []any{map[string]any{"oldText": "bravo", "newText": "BRAVO"}}}},
		{"create_directory", map[string]any{"path": "d/e"}},
		{"list_directory", map[string]any{"path": "."}},
		{"list_directory_with_sizes", map[string]any{"path": ".", "sortBy": "size"}},
		{"directory_tree", map[string]any{"path": ".", "excludePatterns": []string{"d"}}},
		{"move_file", map[string]any{"source": "b.txt", "destination": "d/b.txt"}},
		{"search_files", map[string]any{"path": ".", "pattern": "**/*.txt"}},
		{"get_file_info", map[string]any{"path": "d/b.txt"}},
		{"list_allowed_directories", map[string]any{}},
	}
	type content struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Data     string `json:"data"`
		MIMEType string `json:"mimeType"`
	}
	results := map[string][]content{}
	for _, c := range calls {
		var res struct {
			Content []content `json:"content"`
			IsError bool      `json:"isError"`
		}
		raw := m.send("tools/call", map[string]any{"name": ironcurtain.QualifiedName(fs.ServerName, c.tool), "arguments": c.args})
		require.NoError(t, json.Unmarshal(raw, &res))
		require.False(t, res.IsError, "%s: %s", c.tool, raw)
		require.NotEmpty(t, res.Content, c.tool)
		results[c.tool] = res.Content
	}
	require.Equal(t, "beta\n", results["read_text_file"][0].Text)
	media := results["read_media_file"][0]
	require.Equal(t, "image", media.Type)
	require.Equal(t, "image/png", media.MIMEType)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("\x89PNG")), media.Data)
	require.Equal(t, fmt.Sprintf("Allowed directories:\n%s", srv.Roots()[0]), results["list_allowed_directories"][0].Text)

	var refused struct {
		IsError bool `json:"isError"`
	}
	raw := m.send("tools/call", map[string]any{"name": "filesystem__read_text_file", "arguments": map[string]any{"path": "/etc/passwd"}})
	require.NoError(t, json.Unmarshal(raw, &refused))
	require.True(t, refused.IsError, "a path outside the roots is a tool error over MCP too")
	require.NotContains(t, string(raw), "root:x:0:0")

	require.NoError(t, inW.Close())
	require.NoError(t, <-done)
	b, err := os.ReadFile(filepath.Join(dir, "d", "b.txt"))
	require.NoError(t, err)
	require.Equal(t, "BRAVO\n", string(b))
}
