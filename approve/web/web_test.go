package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
)

// xss is an argument an agent chose to break out of a page.
const xss = `</script><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`

func escalation(path, content string) ironcurtain.Escalation {
	return ironcurtain.Escalation{
		Call: ironcurtain.ToolCall{ID: "c1", Server: "filesystem", Tool: "write_file",
			Arguments: map[string]any{"path": path, "content": content}},
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval",
			EscalatedRoles: []string{"write-path"},
			Resources:      []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: path}}},
	}
}

type fixture struct {
	t      testing.TB
	broker *approve.Broker
	grants *approve.Grants
	srv    *Server
	base   string // http://127.0.0.1:port
	token  string
	csrf   string
}

func start(t testing.TB) *fixture {
	t.Helper()
	g, err := approve.NewGrants(approve.GrantsOptions{})
	require.NoError(t, err)
	b := approve.NewBroker(approve.BrokerOptions{Grants: g})
	s, err := New(b, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	u, err := url.Parse(s.URL())
	require.NoError(t, err)
	return &fixture{t: t, broker: b, grants: g, srv: s, base: "http://" + u.Host, token: u.Query().Get("token"), csrf: s.csrf}
}

// escalate puts esc to the Chain (grants, then the broker) and waits until
// it is pending.
func (f *fixture) escalate(esc ironcurtain.Escalation) (approve.Pending, <-chan ironcurtain.Approval) {
	f.t.Helper()
	before := len(f.broker.Pending())
	out := make(chan ironcurtain.Approval, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a, _ := approve.Chain{Grants: f.grants, Human: f.broker}.Approve(ctx, esc)
		out <- a
	}()
	require.Eventually(f.t, func() bool { return len(f.broker.Pending()) > before }, 10*time.Second, time.Millisecond)
	p := f.broker.Pending()
	return p[len(p)-1], out
}

func (f *fixture) do(req *http.Request) (int, string) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, string(body)
}

// post sends a POST as the page does; mod changes it first.
func (f *fixture) post(path, body string, mod func(*http.Request)) (int, string) {
	req, err := http.NewRequest("POST", f.base+path, strings.NewReader(body))
	require.NoError(f.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IronCurtain-Token", f.token)
	req.Header.Set("X-IronCurtain-CSRF", f.csrf)
	req.Header.Set("Origin", f.base)
	if mod != nil {
		mod(req)
	}
	return f.do(req)
}

func TestPageNeedsTheToken(t *testing.T) {
	f := start(t)
	for _, u := range []string{"/", "/?token=", "/?token=" + strings.Repeat("0", len(f.token)), "/api/state", "/events"} {
		req, err := http.NewRequest("GET", f.base+u, nil)
		require.NoError(t, err)
		code, _ := f.do(req)
		require.Equal(t, http.StatusForbidden, code, u)
	}
	resp, err := http.Get(f.srv.URL())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	require.Contains(t, ContentSecurityPolicy, "default-src 'self'")
	require.NotContains(t, ContentSecurityPolicy, "unsafe-inline")
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// No inline script, no third-party asset.
	require.NotRegexp(t, `<script(\s[^>]*)?>\s*[^<\s]`, string(body))
	require.NotContains(t, string(body), "//") // every URL is relative to the page's own origin
	require.NotContains(t, string(body), "style=")
	require.NotContains(t, string(body), " on") // no inline event handler
}

// A page reached by another name — a DNS-rebinding attack, where
// attacker.example resolves to 127.0.0.1 — is refused even with the token.
func TestHostHeaderChecked(t *testing.T) {
	f := start(t)
	for _, host := range []string{"attacker.example", "attacker.example:" + f.srv.Addr().String()[strings.LastIndex(f.srv.Addr().String(), ":")+1:], "127.0.0.1", "127.0.0.1:1"} {
		req, err := http.NewRequest("GET", f.srv.URL(), nil)
		require.NoError(t, err)
		req.Host = host
		code, _ := f.do(req)
		require.Equal(t, http.StatusMisdirectedRequest, code, host)
	}
}

func TestOnlyLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "localhost:0", "example.com:80"} {
		_, err := New(approve.NewBroker(approve.BrokerOptions{}), Options{Addr: addr})
		require.Error(t, err, addr)
	}
}

func TestPostAttacksRefused(t *testing.T) {
	f := start(t)
	p, out := f.escalate(escalation("/w/a.txt", "hello"))
	good := `{"id":"` + p.ID + `","decision":"approve","digest":"` + p.Presentation.Digest + `"}`
	for name, mod := range map[string]func(*http.Request){
		"no token":       func(r *http.Request) { r.Header.Del("X-IronCurtain-Token") },
		"token in query": func(r *http.Request) { r.Header.Del("X-IronCurtain-Token"); r.URL.RawQuery = "token=" + f.token },
		"wrong token":    func(r *http.Request) { r.Header.Set("X-IronCurtain-Token", strings.Repeat("0", len(f.token))) },
		"no CSRF token":  func(r *http.Request) { r.Header.Del("X-IronCurtain-CSRF") },
		"wrong CSRF":     func(r *http.Request) { r.Header.Set("X-IronCurtain-CSRF", f.token) },
		"no Origin":      func(r *http.Request) { r.Header.Del("Origin") },
		"wrong Origin":   func(r *http.Request) { r.Header.Set("Origin", "http://attacker.example") },
		"null Origin":    func(r *http.Request) { r.Header.Set("Origin", "null") },
		"cross-site":     func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"form body":      func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") },
		"text body":      func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
		"rebound Host":   func(r *http.Request) { r.Host = "attacker.example" },
	} {
		code, _ := f.post("/api/decide", good, mod)
		require.GreaterOrEqual(t, code, 400, name)
		require.Len(t, f.broker.Pending(), 1, name)
	}
	// Another digest, an unknown field, a second object: refused, still pending.
	for _, body := range []string{
		`{"id":"` + p.ID + `","decision":"approve","digest":"` + strings.Repeat("a", 64) + `"}`,
		`{"id":"` + p.ID + `","decision":"approve"}`,
		`{"id":"` + p.ID + `","decision":"approve","digest":"` + p.Presentation.Digest + `","grant":{}}`,
		good + good,
		`{"id":"` + p.ID + `","decision":"approve","scope":"exact","ttl":"1000h","digest":"` + p.Presentation.Digest + `"}`,
	} {
		code, resp := f.post("/api/decide", body, nil)
		require.GreaterOrEqual(t, code, 400, body)
		require.Contains(t, resp, "error")
		require.Len(t, f.broker.Pending(), 1, body)
	}
	code, _ := f.post("/api/decide", good, nil)
	require.Equal(t, http.StatusOK, code)
	a := <-out
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Equal(t, "web", a.By)
	require.Equal(t, p.Presentation.Digest, a.Arguments)
}

func TestRevokeGuarded(t *testing.T) {
	f := start(t)
	p, out := f.escalate(escalation("/w/d/a.txt", "x"))
	code, _ := f.post("/api/decide", `{"id":"`+p.ID+`","decision":"approve","scope":"scoped","ttl":"1h","digest":"`+p.Presentation.Digest+`"}`, nil)
	require.Equal(t, http.StatusOK, code)
	require.NotNil(t, (<-out).Grant)
	require.Eventually(t, func() bool { return len(f.broker.Grants()) == 1 }, 10*time.Second, time.Millisecond)
	id := f.broker.Grants()[0].ID
	code, _ = f.post("/api/revoke", `{"id":"`+id+`"}`, func(r *http.Request) { r.Header.Set("Origin", "http://attacker.example") })
	require.Equal(t, http.StatusForbidden, code)
	require.Len(t, f.broker.Grants(), 1)
	code, body := f.post("/api/revoke", `{"id":"`+id+`"}`, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"revoked":true`)
	require.Empty(t, f.broker.Grants())
}

// The agent's text reaches the page only as JSON data, with <, > and &
// escaped, so no response carries markup the agent wrote.
func TestAgentTextIsDataNotMarkup(t *testing.T) {
	f := start(t)
	_, _ = f.escalate(escalation("/w/"+xss, xss+"\x1b[2J\u202e"))
	req, err := http.NewRequest("GET", f.base+"/api/state", nil)
	require.NoError(t, err)
	req.Header.Set("X-IronCurtain-Token", f.token)
	code, body := f.do(req)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, body, "<img")
	require.NotContains(t, body, "</script")
	require.NotContains(t, body, "\x1b")
	require.NotContains(t, body, "\u202e")
	var st state
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Len(t, st.Pending, 1)
	require.Equal(t, "/w/"+xss, st.Pending[0].Presentation.Resources[0].Value)
	require.Equal(t, xss+`\u001b[2J\u202e`, st.Pending[0].Presentation.Arguments[0].Value)

	// The event stream carries the same, one line per event.
	req, err = http.NewRequest("GET", f.base+"/events?token="+f.token, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "event: state\n", line)
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "data: {"))
	require.NotContains(t, line, "<img")
}

// Whatever body reaches the decide endpoint with the right headers, an
// approval is bound to the digest presented, and anything that is not a
// valid decision leaves the escalation pending.
func FuzzDecideBody(f *testing.F) {
	for _, s := range []string{
		`{"id":"ID","decision":"approve","digest":"DIGEST"}`,
		`{"id":"ID","decision":"approve","scope":"scoped","ttl":"1h","digest":"DIGEST"}`,
		`{"id":"ID","decision":"deny"}`, `{"id":"ID","decision":"approve","digest":"DIGEST"}{}`, `[]`, `{"grant":{}}`,
	} {
		f.Add(s)
	}
	fx := start(f)
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		p, out := fx.escalate(escalation("/w/d/a.txt", "x"))
		body = strings.ReplaceAll(strings.ReplaceAll(body, "ID", p.ID), "DIGEST", p.Presentation.Digest)
		code, _ := fx.post("/api/decide", body, nil)
		if code != http.StatusOK {
			require.Len(t, fx.broker.Pending(), 1)
			require.NoError(t, fx.broker.Decide("cleanup", approve.BrokerDecision{ID: p.ID, Decision: "deny"}))
			<-out
			return
		}
		a := <-out
		if a.Answer == ironcurtain.Approve && a.By == "web" {
			require.Equal(t, p.Presentation.Digest, a.Arguments)
			require.Contains(t, body, p.Presentation.Digest)
		}
		for _, g := range fx.broker.Grants() {
			_, _ = fx.broker.Revoke(g.ID)
		}
	})
}
