package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

func TestDecodeResult(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want ironcurtain.Result
		err  bool
	}{
		{name: "text", raw: `{"content":[{"type":"text","text":"hi"}]}`, want: ironcurtain.TextResult("hi")},
		{name: "error flag", raw: `{"content":[{"type":"text","text":"no"}],"isError":true}`, want: ironcurtain.ErrorResult("no")},
		{name: "empty text", raw: `{"content":[{"type":"text","text":""}]}`, want: ironcurtain.TextResult("")},
		{name: "no content", raw: `{}`, want: ironcurtain.Result{Content: []ironcurtain.Content{}}},
		{name: "audio", raw: `{"content":[{"type":"audio","data":"AAE=","mimeType":"audio/wav"}]}`,
			want: ironcurtain.Result{Content: []ironcurtain.Content{{Type: "audio", Data: []byte{0, 1}, MIMEType: "audio/wav"}}}},
		{name: "resource passes raw", raw: `{"content":[{"type":"resource","resource":{"uri":"a:b","text":"t"}}]}`,
			want: ironcurtain.Result{Content: []ironcurtain.Content{{Type: "resource",
				Raw: json.RawMessage(`{"type":"resource","resource":{"uri":"a:b","text":"t"}}`)}}}},
		{name: "structured", raw: `{"content":[],"structuredContent":{"a":[1]}}`,
			want: ironcurtain.Result{Content: []ironcurtain.Content{}, Structured: json.RawMessage(`{"a":[1]}`)}},
		{name: "structured null dropped", raw: `{"content":[],"structuredContent":null}`, want: ironcurtain.Result{Content: []ironcurtain.Content{}}},
		{name: "complete", raw: `{"content":[],"resultType":"complete"}`, want: ironcurtain.Result{Content: []ironcurtain.Content{}}},
		{name: "not an object", raw: `[1]`, err: true},
		{name: "null", raw: `null`, err: true},
		{name: "content not a list", raw: `{"content":{"type":"text"}}`, err: true},
		{name: "block not an object", raw: `{"content":["text"]}`, err: true},
		{name: "block without type", raw: `{"content":[{"text":"x"}]}`, err: true},
		{name: "type not a string", raw: `{"content":[{"type":1}]}`, err: true},
		{name: "text without text", raw: `{"content":[{"type":"text"}]}`, want: ironcurtain.TextResult("")},
		{name: "text not a string", raw: `{"content":[{"type":"text","text":5}]}`, err: true},
		{name: "bad base64", raw: `{"content":[{"type":"image","data":"***","mimeType":"image/png"}]}`, err: true},
		{name: "image without mime", raw: `{"content":[{"type":"image","data":"AA=="}]}`, err: true},
		{name: "isError not bool", raw: `{"content":[],"isError":"yes"}`, err: true},
		{name: "input required", raw: `{"content":[],"resultType":"input_required"}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeResult(json.RawMessage(tt.raw))
			if tt.err {
				require.ErrorIs(t, err, ErrBadResponse)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEncodeResult(t *testing.T) {
	in := ironcurtain.Result{
		Content: []ironcurtain.Content{
			{Type: "text", Text: "a"},
			{Type: "image", Data: []byte{1, 2, 3}, MIMEType: "image/png"},
			{Type: "resource_link", Raw: json.RawMessage(`{"type":"resource_link","uri":"x:y","name":"y"}`)},
		},
		Structured: json.RawMessage(`{"k":true}`),
		IsError:    true,
	}
	out, err := encodeResult(in)
	require.NoError(t, err)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	require.JSONEq(t, `{"content":[{"type":"text","text":"a"},{"type":"image","data":"AQID","mimeType":"image/png"},`+
		`{"type":"resource_link","uri":"x:y","name":"y"}],"structuredContent":{"k":true},"isError":true}`, string(b))
	back, err := decodeResult(b)
	require.NoError(t, err)
	require.Equal(t, in, back)

	_, err = encodeResult(ironcurtain.Result{Content: []ironcurtain.Content{{Type: "x", Raw: json.RawMessage(`{bad`)}}})
	require.Error(t, err)
	_, err = encodeResult(ironcurtain.Result{Structured: json.RawMessage(`nope`)})
	require.Error(t, err)
	_, err = encodeResult(ironcurtain.Result{Content: []ironcurtain.Content{{Type: "resource"}}})
	require.Error(t, err)
}

func TestAgentResult(t *testing.T) {
	ok := ironcurtain.TextResult("fine")
	tests := []struct {
		err  error
		want string
	}{
		{nil, "fine"},
		{&ironcurtain.DeniedError{Decision: ironcurtain.Decision{Reason: "protected path"}, Cause: errors.New("/etc/shadow")},
			"DENIED: protected path"},
		{fmt.Errorf("wrapped: %w", &ironcurtain.DeniedError{Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Reason: "push"}}),
			"ESCALATION DENIED: push"},
		{fmt.Errorf("%w: x", ironcurtain.ErrUnknownTool), "ERROR: the tool call failed"},
		{context.DeadlineExceeded, "ERROR: the tool call timed out"},
		{fmt.Errorf("gate: %w", fmt.Errorf("%w: exit status 1", ErrUpstreamDown)), "ERROR: the tool server is not running"},
		{fmt.Errorf("gate: %w", ironcurtain.ErrLimit), "ERROR: the tool's answer exceeded a size limit"},
		{&ironcurtain.DeniedError{Decision: ironcurtain.Decision{Reason: "too big"}, Cause: ironcurtain.ErrLimit}, "DENIED: too big"},
		{errors.New("/home/alice/secret failed"), "ERROR: the tool call failed"},
	}
	for _, tt := range tests {
		got := agentResult(ok, tt.err)
		require.Equal(t, tt.want, got.Text())
		require.Equal(t, tt.err != nil, got.IsError)
	}
}

func TestDecodeTool(t *testing.T) {
	tool, err := decodeTool(json.RawMessage(`{"name":"t","inputSchema": {"type" : "object"} ,"annotations":{"title":"T","readOnlyHint":true,"openWorldHint":false}}`))
	require.NoError(t, err)
	require.Equal(t, `{"type" : "object"}`, string(tool.InputSchema), "schema bytes kept verbatim")
	require.Equal(t, "T", tool.Title)
	require.Equal(t, ironcurtain.ToolAnnotations{ReadOnlyHint: true, DestructiveHint: true}, tool.Annotations,
		"an absent destructiveHint means true in MCP")

	for _, bad := range []string{`{"inputSchema":{}}`, `{"name":"x"}`, `{"name":"x","inputSchema":[]}`, `"x"`, `{"name":1}`} {
		_, err := decodeTool(json.RawMessage(bad))
		require.Error(t, err, bad)
	}
}

func TestExportTool(t *testing.T) {
	st := ironcurtain.ServerTool{Server: "s", Tool: ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(oneOfSchema)}}
	tool, err := exportTool(st)
	require.NoError(t, err)
	b, err := json.Marshal(tool)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	require.JSONEq(t, oneOfSchema, string(m["inputSchema"]))
	require.JSONEq(t, `{"readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}`, string(m["annotations"]))

	for _, bad := range []ironcurtain.ServerTool{
		{Server: "a__b", Tool: ironcurtain.Tool{Name: "t"}},
		{Server: "", Tool: ironcurtain.Tool{Name: "t"}},
		{Server: "s", Tool: ironcurtain.Tool{}},
		{Server: "s", Tool: ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(`"object"`)}},
		{Server: "s", Tool: ironcurtain.Tool{Name: "t", OutputSchema: json.RawMessage(`[]`)}},
		{Server: "s", Tool: ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(
			`{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"X"}}}`)}},
	} {
		_, err := exportTool(bad)
		require.Error(t, err, "%+v", bad)
	}
	tool, err = exportTool(ironcurtain.ServerTool{Server: "s", Tool: ironcurtain.Tool{Name: "t"}})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"object"}`, string(tool.RawInputSchema), "a missing schema becomes an empty object schema")
}

// FuzzDecodeResult checks that hostile upstream results never panic, and
// that whatever decodes can be encoded and sent on.
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{
		`{"content":[{"type":"text","text":"hi"}],"isError":true}`,
		`{"content":[{"type":"image","data":"AQID","mimeType":"image/png"},{"type":"resource","resource":{}}]}`,
		`{"content":[],"structuredContent":{"a":1}}`, `{"content":[{"type":"x"}]}`, `[]`, `{"content":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := decodeResult(raw)
		if err != nil {
			return
		}
		out, err := encodeResult(res)
		if err != nil {
			t.Fatalf("decoded result cannot be encoded: %v", err)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("encoded result cannot be marshalled: %v", err)
		}
	})
}

// FuzzDecodeTool checks that hostile tool definitions never panic and that
// whatever decodes can be exported.
func FuzzDecodeTool(f *testing.F) {
	f.Add([]byte(`{"name":"t","inputSchema":{"type":"object","oneOf":[{}]},"annotations":{"readOnlyHint":true}}`))
	f.Add([]byte(`{"name":"t","inputSchema":{},"outputSchema":{"type":"object"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tool, err := decodeTool(raw)
		if err != nil {
			return
		}
		exported, err := exportTool(ironcurtain.ServerTool{Server: "s", Tool: tool})
		if err != nil {
			return // x-mcp-header violations are refused at export
		}
		if _, err := json.Marshal(exported); err != nil {
			t.Fatalf("exported tool cannot be marshalled: %v", err)
		}
	})
}
