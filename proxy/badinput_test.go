package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// rawSession drives ServeStdio with hand-written lines.
type rawSession struct {
	t    *testing.T
	w    *io.PipeWriter
	r    *bufio.Scanner
	done chan error
}

func newRawSession(t *testing.T, srv *Server) *rawSession {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	rs := &rawSession{t: t, w: inW, r: bufio.NewScanner(outR), done: make(chan error, 1)}
	rs.r.Buffer(nil, 1<<20)
	go func() {
		rs.done <- srv.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	t.Cleanup(func() {
		inW.Close()
		go io.Copy(io.Discard, outR)
		select {
		case err := <-rs.done:
			require.NoError(t, err)
		case <-testContext(t).Done():
			t.Error("ServeStdio did not return")
		}
	})
	rs.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	require.Contains(t, rs.recv(), `"protocolVersion":"2025-11-25"`)
	rs.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return rs
}

func (rs *rawSession) send(line string) {
	_, err := io.WriteString(rs.w, line+"\n")
	require.NoError(rs.t, err)
}

func (rs *rawSession) recv() string {
	require.True(rs.t, rs.r.Scan(), "no answer: %v", rs.r.Err())
	return rs.r.Text()
}

// answer is the part of a JSON-RPC response the tests look at.
type answer struct {
	ID     json.RawMessage `json:"id"`
	Result *struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code int `json:"code"`
	} `json:"error"`
}

func TestStdioBadInput(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{MaxMessageBytes: 4096})
	rs := newRawSession(t, srv)
	long := strings.Repeat("a", 10000)
	call := func(id, params string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":` + params + `}`
	}
	tests := []struct {
		name    string
		line    string
		id      string
		code    int    // JSON-RPC error code, or 0 for a result
		errText string // the result's text, when it is an error result
	}{
		{name: "not JSON", line: `{"jsonrpc":"2.0","id":1,`, id: "null", code: -32700},
		{name: "array", line: `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, id: "null", code: -32600},
		{name: "string", line: `"hello"`, id: "null", code: -32600},
		{name: "wrong version", line: `{"jsonrpc":"1.0","id":2,"method":"tools/list"}`, id: "2", code: -32600},
		{name: "unknown method", line: `{"jsonrpc":"2.0","id":3,"method":"no/such"}`, id: "3", code: -32601},
		{name: "unknown tool", line: call("4", `{"name":"nope__x","arguments":{}}`), id: "4", code: -32602},
		{name: "unqualified tool", line: call(`"s5"`, `{"name":"read"}`), id: `"s5"`, code: -32602},
		{name: "arguments not an object", line: call("6", `{"name":"notes__read","arguments":"path"}`), id: "6",
			errText: "DENIED: the arguments must be a JSON object"},
		{name: "arguments an array", line: call("7", `{"name":"notes__read","arguments":[1]}`), id: "7",
			errText: "DENIED: the arguments must be a JSON object"},
		{name: "wrong argument type", line: call("8", `{"name":"notes__write","arguments":{"text":{"x":1}}}`), id: "8",
			errText: `DENIED: argument "text" must be a string`},
		{name: "oversized, id first", line: call("9", `{"name":"notes__read","arguments":{"path":"`+long+`"}}`), id: "9", code: -32600},
		{name: "oversized, id last",
			line: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"notes__read","arguments":{"path":"` + long + `"}},"id":"last"}`,
			id:   `"last"`, code: -32600},
		{name: "oversized, no id", line: `{"x":"` + long + `"}`, id: "null", code: -32600},
		{name: "params not an object", line: `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":5}`, id: "10", code: -32600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs.send(tt.line)
			var a answer
			raw := rs.recv()
			require.NoError(t, json.Unmarshal([]byte(raw), &a), raw)
			require.JSONEq(t, tt.id, string(a.ID), raw)
			if tt.code != 0 {
				require.NotNil(t, a.Error, raw)
				require.Equal(t, tt.code, a.Error.Code, raw)
				return
			}
			require.NotNil(t, a.Result, raw)
			require.True(t, a.Result.IsError, raw)
			require.Equal(t, tt.errText, a.Result.Content[0].Text)
		})
	}
	// Notifications, blank lines and stray responses get no answer; the
	// session is still up.
	rs.send(`{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}`)
	rs.send(``)
	rs.send(`{"jsonrpc":"2.0","id":77,"result":{}}`)
	rs.send(`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"notes__read","arguments":{"path":"ok"}}}`)
	var a answer
	require.NoError(t, json.Unmarshal([]byte(rs.recv()), &a))
	require.JSONEq(t, "11", string(a.ID))
	require.Equal(t, "read ok", a.Result.Content[0].Text)
}

func TestHTTPBadInput(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{MaxMessageBytes: 4096})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	post := func(t *testing.T, body io.Reader, length int64, host string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, ts.URL, body)
		require.NoError(t, err)
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if host != "" {
			req.Host = host
		}
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"` + strings.Repeat("a", 10000) + `"}}`
	tests := []struct {
		name   string
		body   string
		length int64 // -1: chunked
		host   string
		status int // want this status, or any non-2xx when -1
		rpc    int // or a JSON-RPC error with this code
	}{
		{name: "not JSON", body: `{"jsonrpc":`, length: 11, rpc: -32700},
		{name: "declared too large", body: big, length: int64(len(big)), status: http.StatusRequestEntityTooLarge},
		{name: "chunked too large", body: big, length: -1, rpc: -32700},
		{name: "DNS rebinding", body: `{}`, length: 2, host: "evil.example:80", status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, strings.NewReader(tt.body), tt.length, tt.host)
			if tt.status != 0 {
				require.Equal(t, tt.status, resp.StatusCode, body)
				return
			}
			var a answer
			require.NoError(t, json.Unmarshal([]byte(body), &a), body)
			require.NotNil(t, a.Error, body)
			require.Equal(t, tt.rpc, a.Error.Code, body)
		})
	}
}

func TestHTTPBearerToken(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{BearerToken: ironcurtain.NewSecret("s3cret")})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	for _, auth := range []string{"", "Bearer wrong", "s3cret", "Basic s3cret"} {
		req, err := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(`{}`))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "token", Version: "1"}, nil).Connect(testContext(t),
		&sdk.StreamableClientTransport{Endpoint: ts.URL, MaxRetries: -1, HTTPClient: &http.Client{
			Transport: headerTransport{"Authorization": "Bearer s3cret"},
		}}, nil)
	require.NoError(t, err)
	defer cs.Close()
	res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__read", Arguments: map[string]any{"path": "t"}})
	require.NoError(t, err)
	require.Equal(t, "read t", sdkText(t, res))
}

// headerTransport adds headers to every request.
type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}
