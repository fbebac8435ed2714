package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// serve with "approver": "web" and an escalation socket: one escalated
// write is approved on the socket and runs; another is denied on the page
// and does not; the socket itself is protected from the agent.
func TestServeWebApprover(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "esc.sock")
	conf, err := json.Marshal(map[string]any{
		"sandbox": "box", "approver": "web", "escalationSocket": "esc.sock", "escalationTimeout": "20s",
		"servers": map[string]any{"filesystem": map[string]any{"builtin": "filesystem"}},
	})
	require.NoError(t, err)
	confPath := filepath.Join(dir, "serve.json")
	require.NoError(t, os.WriteFile(confPath, conf, 0o600))
	cfg, err := loadServeConfig(confPath)
	require.NoError(t, err)
	ctx := serveContext(t)
	var stderr strings.Builder
	rt, err := startServe(ctx, cfg, &stderr, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer rt.Close()
	m := regexp.MustCompile(`approve escalations at (http://\S+)`).FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	page, err := url.Parse(m[1])
	require.NoError(t, err)
	fi, err := os.Stat(sock)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	_, err = rt.stack.Gate.Call(ctx, ironcurtain.ToolCall{Server: "filesystem", Tool: "read_text_file", Arguments: map[string]any{"path": sock}})
	require.ErrorIs(t, err, ironcurtain.ErrDenied)

	write := func(name string) <-chan error {
		out := make(chan error, 1)
		go func() {
			_, err := rt.stack.Gate.Call(ctx, ironcurtain.ToolCall{Server: "filesystem", Tool: "write_file",
				Arguments: map[string]any{"path": filepath.Join(dir, name), "content": "hi"}})
			out <- err
		}()
		return out
	}

	// Approved on the socket.
	c, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer c.Close()
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 1<<20)
	okDone := write("ok.txt")
	var pending []map[string]any
	require.Eventually(t, func() bool {
		_, err := c.Write([]byte(`{"op":"pending"}` + "\n"))
		require.NoError(t, err)
		require.True(t, sc.Scan())
		var rep struct {
			Pending []map[string]any `json:"pending"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rep))
		pending = rep.Pending
		return len(pending) == 1
	}, 10*time.Second, 10*time.Millisecond)
	id := pending[0]["id"].(string)
	digest := pending[0]["presentation"].(map[string]any)["Digest"].(string)
	_, err = c.Write([]byte(`{"op":"decide","id":"` + id + `","decision":"approve","digest":"` + digest + `"}` + "\n"))
	require.NoError(t, err)
	require.True(t, sc.Scan())
	require.Contains(t, sc.Text(), `"ok":true`)
	require.NoError(t, <-okDone)
	require.FileExists(t, filepath.Join(dir, "ok.txt"))

	// Denied on the page.
	noDone := write("no.txt")
	token := page.Query().Get("token")
	var p []struct {
		ID string `json:"id"`
	}
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", "http://"+page.Host+"/api/state", nil)
		req.Header.Set("X-IronCurtain-Token", token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var st struct {
			Pending []struct {
				ID string `json:"id"`
			} `json:"pending"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		p = st.Pending
		return len(p) == 1
	}, 10*time.Second, 10*time.Millisecond)
	pageDecide(t, page, `{"id":"`+p[0].ID+`","decision":"deny"}`)
	require.ErrorIs(t, <-noDone, ironcurtain.ErrDenied)
	require.NoFileExists(t, filepath.Join(dir, "no.txt"))
}

func TestServeApproverConfig(t *testing.T) {
	for _, tt := range []struct{ json, err string }{
		{`{"approver":"socket"}`, `needs "escalationSocket"`},
		{`{"approver":"deny","escalationSocket":"s.sock"}`, "escalationSocket"},
		{`{"approver":"deny","webAddr":"127.0.0.1:0"}`, "webAddr"},
		{`{"approver":"signal"}`, `approver: "signal"`},
	} {
		_, err := decodeServeConfig("c.json", []byte(tt.json))
		require.ErrorContains(t, err, tt.err, tt.json)
	}
	for _, ok := range []string{
		`{"approver":"web","webAddr":"127.0.0.1:0","escalationSocket":"s.sock"}`,
		`{"approver":"terminal","escalationSocket":"s.sock"}`, // the socket beside the terminal
		`{"escalationSocket":"s.sock"}`,
	} {
		_, err := decodeServeConfig("c.json", []byte(ok))
		require.NoError(t, err, ok)
	}
}

// pageDecide posts a decision to the approval page at page (its URL with
// the token) as the page's own script does: with the token, the page's
// CSRF token, its Origin and a JSON body; the page must accept it.
func pageDecide(t *testing.T, page *url.URL, body string) {
	t.Helper()
	resp, err := http.Get(page.String())
	require.NoError(t, err)
	html, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	csrf := regexp.MustCompile(`name="ironcurtain-csrf" content="([0-9a-f]+)"`).FindSubmatch(html)
	require.NotNil(t, csrf)
	req, err := http.NewRequest("POST", "http://"+page.Host+"/api/decide", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IronCurtain-Token", page.Query().Get("token"))
	req.Header.Set("X-IronCurtain-CSRF", string(csrf[1]))
	req.Header.Set("Origin", "http://"+page.Host)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
