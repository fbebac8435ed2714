package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
)

// serveHelperEnv makes the test binary an upstream MCP server; see
// TestServeHelperUpstream.
const serveHelperEnv = "IRONCURTAIN_SERVE_HELPER"

// TestServeHelperUpstream is not a test: run by a serve configuration as
// "<test binary> -test.run=^TestServeHelperUpstream$" with serveHelperEnv
// set, it serves MCP on stdin and stdout and exits.
func TestServeHelperUpstream(t *testing.T) {
	if os.Getenv(serveHelperEnv) == "" {
		t.Skip("helper process")
	}
	if os.Getenv(hostileStderrEnv) != "" {
		hostileStderr(os.Stderr)
	}
	s := server.NewMCPServer("serve-helper", "1")
	s.AddTool(mcpgo.NewTool("env"), func(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		return mcpgo.NewToolResultText(strings.Join(os.Environ(), "\n")), nil
	})
	s.AddTool(mcpgo.NewTool("echo", mcpgo.WithString("text", mcpgo.Required())),
		func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText(req.GetString("text", "")), nil
		})
	_ = server.NewStdioServer(s).Listen(context.Background(), os.Stdin, os.Stdout)
	os.Exit(0)
}

func TestServeConfigDecode(t *testing.T) {
	tests := []struct {
		name string
		json string
		err  string // substring of the error; "" for success
	}{
		{name: "empty", json: `{}`},
		{name: "full", json: `{"sandbox":"s","protected":["~/x","p"],"policy":{"dir":"pol"},"domainAllowlists":{"fetch":["go.dev"]},
			"trusted":["up"],"audit":"a.jsonl","approver":"deny","session":"s1","callTimeout":"2m","escalationTimeout":"30s",
			"servers":{"filesystem":{"builtin":"filesystem"},"up":{"command":"./up","args":["-x"],"env":{"K":"V"},"passEnv":["PATH"],
			"dir":"d","callTimeout":"1s","maxRestarts":2},"web":{"url":"http://127.0.0.1:1/mcp","headers":{"A":"b"}}},
			"listen":{"stdio":true,"unix":"s.sock","http":"127.0.0.1:0"}}`},
		{name: "unknown field", json: `{"sandbx":"s"}`, err: `unknown field "sandbx"`},
		{name: "unknown nested field", json: `{"servers":{"a":{"comand":"x"}}}`, err: `unknown field "comand"`},
		{name: "wrong type", json: `{"trusted":"up"}`, err: "field trusted: want []string"},
		{name: "wrong nested type", json: `{"servers":{"a":{"command":"x","maxRestarts":"2"}}}`, err: "servers.a: field maxRestarts: want int"},
		{name: "bad duration", json: `{"callTimeout":"soon"}`, err: `invalid duration "soon"`},
		{name: "duration not a string", json: `{"callTimeout":5}`, err: "want a duration"},
		{name: "trailing data", json: `{} {}`, err: "data after"},
		{name: "not JSON", json: `{`, err: "unexpected EOF"},
		{name: "two kinds", json: `{"servers":{"a":{"command":"x","url":"http://h/"}}}`, err: "servers.a: give exactly one"},
		{name: "no kind", json: `{"servers":{"a":{}}}`, err: "servers.a: give exactly one"},
		{name: "unknown builtin", json: `{"servers":{"a":{"builtin":"shell"}}}`, err: `servers.a: builtin: "shell"`},
		{name: "builtin with settings", json: `{"servers":{"a":{"builtin":"git","env":{"A":"b"}}}}`, err: "takes no other settings"},
		{name: "url with env", json: `{"servers":{"a":{"url":"http://h/","env":{"A":"b"}}}}`, err: "for command servers"},
		{name: "command with headers", json: `{"servers":{"a":{"command":"x","headers":{"A":"b"}}}}`, err: "for url servers"},
		{name: "negative restarts", json: `{"servers":{"a":{"command":"x","maxRestarts":-1}}}`, err: "maxRestarts"},
		{name: "double underscore", json: `{"servers":{"a__b":{"builtin":"git"}}}`, err: `name "a__b"`},
		{name: "policy dir and files", json: `{"policy":{"dir":"d","lists":"l"}}`, err: "either dir or the files"},
		{name: "bad approver", json: `{"approver":"llm"}`, err: `approver: "llm"`},
		{name: "no listener", json: `{"listen":{}}`, err: "at least one of stdio"},
		{name: "builtin under another name", json: `{"servers":{"files":{"builtin":"filesystem"}}}`, err: `named by what it is: "filesystem"`},
		{name: "secretEnv on a url server", json: `{"servers":{"a":{"url":"http://h/","secretEnv":{"T":"t"}}}}`, err: "for command servers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := decodeServeConfig("conf.json", []byte(tt.json))
			if tt.err != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), "conf.json: ")
				require.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, cfg.Servers, "servers default to the built-ins")
		})
	}
}

func TestServeConfigPaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "serve.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"sandbox":"box","audit":"../a.jsonl","protected":["~/k","sec"],
		"servers":{"up":{"command":"bin/up","dir":"."},"other":{"command":"npx"}},"listen":{"unix":"s.sock"}}`), 0o600))
	cfg, err := loadServeConfig(path)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "box"), cfg.Sandbox)
	require.Equal(t, filepath.Join(filepath.Dir(dir), "a.jsonl"), cfg.Audit)
	require.Equal(t, []string{"~/k", filepath.Join(dir, "sec")}, cfg.Protected)
	require.Equal(t, filepath.Join(dir, "bin/up"), cfg.Servers["up"].Command)
	require.Equal(t, dir, cfg.Servers["up"].Dir)
	require.Equal(t, "npx", cfg.Servers["other"].Command, "a bare command is looked up in PATH")
	require.Equal(t, filepath.Join(dir, "s.sock"), cfg.Listen.Unix)
}

func FuzzServeConfig(f *testing.F) {
	f.Add([]byte(`{"sandbox":"s","servers":{"a":{"command":"x","env":{"K":"V"}}},"listen":{"stdio":true}}`))
	f.Add([]byte(`{"policy":{"dir":"d"},"callTimeout":"1s","servers":{"f":{"builtin":"fetch"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := decodeServeConfig("fuzz.json", data)
		if err != nil {
			require.Contains(t, err.Error(), "fuzz.json: ")
			return
		}
		require.NoError(t, cfg.check(), "a decoded configuration stays valid")
		for name, s := range cfg.Servers {
			require.NotContains(t, name, "__")
			require.NoError(t, s.check())
		}
	})
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"servers":{"x":{"builtin":"shell"}}}`), 0o600))
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage: ironcurtain serve"},
		{[]string{"--config", bad, "--sandbox", dir}, 2, "go in the configuration file"},
		{[]string{"--config", bad}, 2, bad + `: servers.x: builtin: "shell"`},
		{[]string{"--config", filepath.Join(dir, "missing.json")}, 2, "missing.json"},
		{[]string{"--sandbox", dir, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-h"}, 0, "usage"},
	}
	for _, tt := range tests {
		var stdout, stderr strings.Builder
		code := runServe(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
		require.Equal(t, tt.code, code, "%v: %s", tt.args, stderr.String())
		require.Contains(t, stderr.String(), tt.stderr)
		require.Empty(t, stdout.String(), "stdout carries MCP only")
	}
}

// bearer adds a bearer token to every request.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// sdkText returns the text of a one-block result.
func sdkText(t *testing.T, res *sdk.CallToolResult) string {
	t.Helper()
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*sdk.TextContent)
	require.True(t, ok, "want text, got %T", res.Content[0])
	return text.Text
}

func serveContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The default mode over stdio: the built-in servers under the default
// policy, driven by the official Go SDK client.
func TestServeSandboxStdio(t *testing.T) {
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "sandbox")
	audit := filepath.Join(dir, "audit.jsonl")
	outside := filepath.Join(dir, "outside.txt")
	require.NoError(t, os.WriteFile(outside, []byte("not for the agent"), 0o600))

	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- runServe(context.Background(), []string{"--sandbox", sandbox, "--audit", audit}, serverIn, serverOut, &stderr)
		serverOut.Close()
	}()
	ctx := serveContext(t)
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "serve-test", Version: "1"}, nil).
		Connect(ctx, &sdk.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	require.NoError(t, err)

	list, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	require.Subset(t, names, []string{"filesystem__write_file", "filesystem__read_text_file", "git__git_status", "fetch__http_fetch"})

	tests := []struct {
		name   string
		tool   string
		args   map[string]any
		isErr  bool
		prefix string
	}{
		{"write in the sandbox", "filesystem__write_file", map[string]any{"path": filepath.Join(sandbox, "a.txt"), "content": "hi"}, false, ""},
		{"read in the sandbox", "filesystem__read_text_file", map[string]any{"path": filepath.Join(sandbox, "a.txt")}, false, "hi"},
		{"read outside escalates", "filesystem__read_text_file", map[string]any{"path": outside}, true, "ESCALATION DENIED: "},
		{"protected path", "filesystem__read_text_file", map[string]any{"path": "~/.ssh/id_rsa"}, true, "DENIED: "},
		{"wrong argument type", "filesystem__write_file", map[string]any{"path": 7, "content": "x"}, true, "DENIED: "},
		{"push escalates", "git__git_push", map[string]any{"path": sandbox}, true, "ESCALATION DENIED: "},
		{"audit log protected", "filesystem__write_file", map[string]any{"path": audit, "content": "{}"}, true, "DENIED: "},
	}
	for _, tt := range tests {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tt.tool, Arguments: tt.args})
		require.NoError(t, err, tt.name)
		text := sdkText(t, res)
		require.Equal(t, tt.isErr, res.IsError, "%s: %s", tt.name, text)
		require.True(t, strings.HasPrefix(text, tt.prefix), "%s: %q", tt.name, text)
		require.NotContains(t, text, "not for the agent")
	}
	b, err := os.ReadFile(filepath.Join(sandbox, "a.txt"))
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))

	require.NoError(t, cs.Close()) // ends stdin: serve returns
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-ctx.Done():
		t.Fatal("serve did not return when its input ended")
	}
	rep := verifyAudit(t, audit)
	require.Equal(t, len(tests), rep.Calls)
	require.True(t, rep.Sealed, "serve closes its audit log cleanly")
	fi, err := os.Stat(audit)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// A configuration with an external upstream, a protected path, a Unix
// socket and streamable HTTP on an ephemeral loopback port.
func TestServeConfigUpstream(t *testing.T) {
	t.Setenv("IRONCURTAIN_TEST_SECRET", "hunter2")
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "box", "secret"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "box", "secret", "key"), []byte("k"), 0o600))
	conf, err := json.Marshal(map[string]any{
		"sandbox":   "box",
		"protected": []string{"box/secret"},
		"trusted":   []string{"up"},
		"audit":     "audit.jsonl",
		"servers": map[string]any{
			"filesystem": map[string]any{"builtin": "filesystem"},
			"up": map[string]any{"command": exe, "args": []string{"-test.run=^TestServeHelperUpstream$"},
				"env": map[string]string{serveHelperEnv: "1"}},
		},
		"listen": map[string]any{"unix": "mcp.sock", "http": "127.0.0.1:0", "httpToken": "t0k"},
	})
	require.NoError(t, err)
	confPath := filepath.Join(dir, "serve.json")
	require.NoError(t, os.WriteFile(confPath, conf, 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	errR, errW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--config", confPath}, strings.NewReader(""), io.Discard, errW)
		errW.Close()
	}()
	lines := bufio.NewScanner(errR)
	var httpURL string
	for lines.Scan() {
		if m := regexp.MustCompile(`(http://127\.0\.0\.1:\d+/mcp)`).FindStringSubmatch(lines.Text()); m != nil {
			httpURL = m[1]
			break
		}
	}
	require.NotEmpty(t, httpURL, "no serving line")
	go io.Copy(io.Discard, errR)

	sock := filepath.Join(dir, "mcp.sock")
	fi, err := os.Lstat(sock)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	tctx := serveContext(t)
	client := sdk.NewClient(&sdk.Implementation{Name: "serve-test", Version: "1"}, nil)
	_, err = client.Connect(tctx, &sdk.StreamableClientTransport{Endpoint: httpURL, MaxRetries: -1}, nil)
	require.Error(t, err, "no token, no session")
	viaHTTP, err := client.Connect(tctx, &sdk.StreamableClientTransport{Endpoint: httpURL, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer("t0k")}}, nil)
	require.NoError(t, err)
	defer viaHTTP.Close()

	res, err := viaHTTP.CallTool(tctx, &sdk.CallToolParams{Name: "up__env"})
	require.NoError(t, err)
	env := sdkText(t, res)
	require.NotContains(t, env, "hunter2", "the upstream gets none of the proxy's environment")
	require.Equal(t, serveHelperEnv+"=1", strings.TrimSpace(env))

	res, err = viaHTTP.CallTool(tctx, &sdk.CallToolParams{Name: "filesystem__read_text_file",
		Arguments: map[string]any{"path": filepath.Join(dir, "box", "secret", "key")}})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.True(t, strings.HasPrefix(sdkText(t, res), "DENIED: "), sdkText(t, res))

	res, err = viaHTTP.CallTool(tctx, &sdk.CallToolParams{Name: "up__echo", Arguments: map[string]any{"text": "over http"}})
	require.NoError(t, err)
	require.Equal(t, "over http", sdkText(t, res))

	conn, err := net.Dial("unix", sock)
	require.NoError(t, err)
	viaUnix, err := client.Connect(tctx, &sdk.IOTransport{Reader: conn, Writer: conn}, nil)
	require.NoError(t, err)
	defer viaUnix.Close()
	res, err = viaUnix.CallTool(tctx, &sdk.CallToolParams{Name: "up__echo", Arguments: map[string]any{"text": "over unix"}})
	require.NoError(t, err)
	require.Equal(t, "over unix", sdkText(t, res))

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code)
	case <-tctx.Done():
		t.Fatal("serve did not stop")
	}
	_, err = os.Lstat(sock)
	require.ErrorIs(t, err, os.ErrNotExist, "the socket is removed")
	require.Equal(t, 4, verifyAudit(t, filepath.Join(dir, "audit.jsonl")).Calls)
}

// verifyAudit checks an audit log's hash chain and returns its report.
func verifyAudit(t *testing.T, path string) audit.VerifyReport {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rep, err := audit.Verify(f)
	require.NoError(t, err)
	return rep
}

// Credentials reach an upstream from the vault, through secretEnv, and the
// vault file is protected from the agent.
func TestServeVault(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.json")
	require.NoError(t, os.WriteFile(secrets, []byte(`{"token":"s3cr3t-value"}`), 0o600))
	conf, err := json.Marshal(map[string]any{
		"sandbox":  "box",
		"approver": "deny",
		"trusted":  []string{"up"},
		"vault":    map[string]any{"file": "secrets.json"},
		"servers": map[string]any{
			"filesystem": map[string]any{"builtin": "filesystem"},
			"up": map[string]any{"command": exe, "args": []string{"-test.run=^TestServeHelperUpstream$"},
				"env": map[string]string{serveHelperEnv: "1"}, "secretEnv": map[string]string{"API_TOKEN": "token"}},
		},
	})
	require.NoError(t, err)
	confPath := filepath.Join(dir, "serve.json")
	require.NoError(t, os.WriteFile(confPath, conf, 0o600))
	cfg, err := loadServeConfig(confPath)
	require.NoError(t, err)
	ctx := serveContext(t)
	rt, err := startServe(ctx, cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer rt.Close()
	res, err := rt.stack.Gate.Call(ctx, ironcurtain.ToolCall{Server: "up", Tool: "env", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.Contains(t, res.Text(), "API_TOKEN=s3cr3t-value")
	for _, p := range []string{secrets, confPath} {
		_, err = rt.stack.Gate.Call(ctx, ironcurtain.ToolCall{Server: "filesystem", Tool: "read_text_file", Arguments: map[string]any{"path": p}})
		require.ErrorIs(t, err, ironcurtain.ErrDenied, p)
	}

	require.NoError(t, os.Chmod(secrets, 0o644))
	_, err = startServe(ctx, cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.Error(t, err, "a vault file others can read is refused")
}
