// Command standin is the agent Docker Mode's tests run in a container: a
// stand-in for Claude Code that uses the two ways out as a real agent
// would, and then tries every other way out it can think of. It prints one
// JSON report (to $STANDIN_REPORT, or to standard output after
// "STANDIN-REPORT ") and the test judges it.
//
// STANDIN_MODE selects what it does: "full" (everything), "first-call"
// (start MCP, list the tools, make one call, exit), "call" (the same with
// the tool in STANDIN_TOOL and its arguments in STANDIN_ARGS), "script" (the
// steps in STANDIN_SCRIPT, see script.go), "crash" (exit 3 at once), "block"
// (wait until killed), "oom" (allocate until killed).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Report is what the stand-in found.
type Report struct {
	UID, GID    int
	Status      map[string]string // selected lines of /proc/self/status
	Hostname    string
	RootEntries []string
	RunDir      []string
	Env         []string
	MCP         MCPReport
	LLM         map[string]HTTPResult
	Escapes     []Attempt
	// Dump is every readable byte the stand-in could find on the file
	// system and in /proc, for the test to search for the real key.
	Dump string
}

// MCPReport is what came of the tool calls.
type MCPReport struct {
	Error     string
	Protocol  string
	Tools     []string
	Allowed   CallResult
	Denied    CallResult
	Escalated CallResult
	Rejected  CallResult
	Unknown   CallResult
}

// CallResult is one tools/call answer.
type CallResult struct {
	IsError    bool
	Text       string
	Structured string `json:",omitempty"`
	RPCError   string
}

// HTTPResult is one request to the LLM proxy.
type HTTPResult struct {
	Status  int
	Body    string
	Refused bool
	Error   string
}

// Attempt is one escape attempt. Escaped must be false.
type Attempt struct {
	Name    string
	Escaped bool
	Detail  string
}

// hog holds what the "oom" mode allocates.
var hog [][]byte

func main() {
	switch os.Getenv("STANDIN_MODE") {
	case "crash":
		fmt.Println("crashing on purpose")
		os.Exit(3)
	case "block":
		fmt.Println("blocking")
		// A signal handler keeps the runtime from seeing a deadlock.
		never := make(chan os.Signal, 1)
		signal.Notify(never, syscall.SIGUSR1)
		<-never
		return
	case "oom":
		for {
			b := make([]byte, 16<<20)
			for i := range b {
				b[i] = 1
			}
			hog = append(hog, b) // kept reachable, so the memory stays in use
		}
	case "first-call":
		firstCall("notes__read_note", map[string]any{"name": "todo"})
		return
	case "call":
		var args map[string]any
		json.Unmarshal([]byte(os.Getenv("STANDIN_ARGS")), &args)
		firstCall(os.Getenv("STANDIN_TOOL"), args)
		return
	case "script":
		script(os.Getenv("STANDIN_SCRIPT"))
		return
	}
	full()
}

// emit writes the report to $STANDIN_REPORT (a file in the workspace) or,
// if that is unset, to standard output after "STANDIN-REPORT ".
func emit(r any) {
	b, _ := json.Marshal(r)
	if p := os.Getenv("STANDIN_REPORT"); p != "" {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			fmt.Println("STANDIN-ERROR", err)
			os.Exit(2)
		}
		fmt.Println("STANDIN-REPORT written")
		return
	}
	fmt.Println("STANDIN-REPORT " + string(b))
}

// firstCall is the benchmark's agent: MCP up, tools listed, one call.
func firstCall(tool string, args map[string]any) {
	var r MCPReport
	c, err := startMCP()
	if err == nil {
		defer c.close()
		r.Tools, err = c.list()
		if err == nil {
			r.Allowed, err = c.call(tool, args)
		}
	}
	if err != nil {
		r.Error = err.Error()
		emit(r)
		os.Exit(1)
	}
	emit(r)
}

func full() {
	r := Report{UID: os.Getuid(), GID: os.Getgid(), Status: procStatus(), Env: os.Environ(), LLM: map[string]HTTPResult{}}
	if b, err := os.ReadFile("/etc/hostname"); err == nil {
		r.Hostname = strings.TrimSpace(string(b))
	}
	r.RootEntries = names("/")
	r.RunDir = names("/run/ironcurtain")
	r.MCP = useMCP()
	useLLM(&r)
	r.Escapes = escapes()
	r.Dump = dump()
	emit(r)
}

func procStatus() map[string]string {
	out := map[string]string{}
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		switch k {
		case "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp":
			if ok {
				out[k] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

func names(dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func useMCP() MCPReport {
	var r MCPReport
	c, err := startMCP()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer c.close()
	r.Protocol = c.protocol
	if r.Tools, err = c.list(); err != nil {
		r.Error = err.Error()
		return r
	}
	calls := []struct {
		dst  *CallResult
		tool string
		args map[string]any
	}{
		{&r.Allowed, "notes__read_note", map[string]any{"name": "todo"}},
		{&r.Denied, "notes__read_note", map[string]any{"name": "private-diary"}},
		{&r.Escalated, "notes__push_note", map[string]any{"name": "todo", "remote": "origin"}},
		{&r.Rejected, "notes__push_note", map[string]any{"name": "todo", "remote": "evil"}},
		{&r.Unknown, "host__exec", map[string]any{"cmd": "id"}},
	}
	for _, cl := range calls {
		res, err := c.call(cl.tool, cl.args)
		if err != nil {
			res.RPCError = err.Error()
		}
		*cl.dst = res
	}
	return r
}

// mcpClient speaks newline-delimited JSON-RPC to `ironcurtain-bridge mcp`.
type mcpClient struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Reader
	id       int
	protocol string
}

func startMCP() (*mcpClient, error) {
	cmd := exec.Command("/usr/local/bin/ironcurtain-bridge", "mcp")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &mcpClient{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := c.request("initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "standin", "version": "1"},
	}, &init); err != nil {
		c.close()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	c.protocol = init.ProtocolVersion
	if err := c.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *mcpClient) send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = c.in.Write(append(b, '\n'))
	return err
}

func (c *mcpClient) request(method string, params, result any) error {
	c.id++
	id := c.id
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return err
	}
	for {
		line, err := c.out.ReadBytes('\n')
		if err != nil {
			return err
		}
		var m struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &m) != nil || m.ID == nil || *m.ID != id {
			continue // a notification, or not ours
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		return json.Unmarshal(m.Result, result)
	}
}

func (c *mcpClient) list() ([]string, error) {
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := c.request("tools/list", map[string]any{}, &res); err != nil {
		return nil, err
	}
	var out []string
	for _, t := range res.Tools {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out, nil
}

func (c *mcpClient) call(tool string, args map[string]any) (CallResult, error) {
	var res struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
		Structured json.RawMessage `json:"structuredContent"`
	}
	if err := c.request("tools/call", map[string]any{"name": tool, "arguments": args}, &res); err != nil {
		return CallResult{}, err
	}
	var texts []string
	for _, ct := range res.Content {
		texts = append(texts, ct.Text)
	}
	return CallResult{IsError: res.IsError, Text: strings.Join(texts, "\n"), Structured: string(res.Structured)}, nil
}

func (c *mcpClient) close() {
	c.in.Close()
	c.cmd.Wait()
}

// useLLM calls the API as an agent would, with its fake key: in base-URL
// mode, and through HTTPS_PROXY trusting SSL_CERT_FILE (Go reads both from
// the environment, like most runtimes).
func useLLM(r *Report) {
	key := os.Getenv("ANTHROPIC_API_KEY")
	base := os.Getenv("IRONCURTAIN_ANTHROPIC_BASE_URL")
	plain := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil}}
	viaProxy := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment}}
	body := `{"model":"claude-standin","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`
	r.LLM["base-url"] = post(plain, base+"/v1/messages", key, body)
	r.LLM["connect"] = post(viaProxy, "https://api.anthropic.com/v1/messages", key, body)
	r.LLM["stream"] = post(viaProxy, "https://api.anthropic.com/v1/messages?beta=true", key, `{"stream":true}`)
}

func post(c *http.Client, u, key, body string) HTTPResult {
	req, err := http.NewRequest("POST", u, strings.NewReader(body))
	if err != nil {
		return HTTPResult{Error: err.Error()}
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return HTTPResult{Error: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return HTTPResult{Status: resp.StatusCode, Body: string(b), Refused: resp.Header.Get("X-Ironcurtain-Refused") != ""}
}

// dump reads every regular file it can (outside /proc and /sys, bounded)
// and the environment of every process it can see.
func dump() string {
	var b strings.Builder
	const limit = 64 << 20
	add := func(name string, data []byte) {
		if b.Len()+len(data) > limit {
			return
		}
		fmt.Fprintf(&b, "== %s\n", name)
		b.Write(data)
		b.WriteByte('\n')
	}
	filepath.WalkDir("/", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (p == "/proc" || p == "/sys" || p == "/dev") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			if data, err := os.ReadFile(p); err == nil {
				add(p, data)
			}
		}
		return nil
	})
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		for _, f := range []string{"environ", "cmdline"} {
			p := "/proc/" + e.Name() + "/" + f
			if data, err := os.ReadFile(p); err == nil {
				add(p, data)
			}
		}
	}
	return b.String()
}
