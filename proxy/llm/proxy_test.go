package llm

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain/vault"

	"github.com/stretchr/testify/require"
)

// Each provider, in both modes: the agent's fake key goes in, the real
// key comes out on the other side, and the answer comes back.
func TestForwardSwapsKey(t *testing.T) {
	f := newFixture(t, nil)
	fakeA, fakeO, fakeG := f.sess.FakeKey("anthropic"), f.sess.FakeKey("openai"), f.sess.FakeKey("google")
	tests := []struct {
		name, method, connectURL, basePath string
		hdr                                map[string]string
		upHeader, upValue                  string // what the upstream must have seen
		upQuery                            string
	}{
		{"anthropic x-api-key", "POST", "https://api.anthropic.com/v1/messages?beta=true", "/anthropic/v1/messages?beta=true",
			map[string]string{"x-api-key": fakeA}, "X-Api-Key", realAnthropic, "beta=true"},
		{"anthropic bearer", "POST", "https://api.anthropic.com/v1/messages", "/anthropic/v1/messages",
			map[string]string{"Authorization": "Bearer " + fakeA}, "Authorization", "Bearer " + realAnthropic, ""},
		{"openai bearer", "POST", "https://api.openai.com/v1/responses", "/openai/v1/responses",
			map[string]string{"Authorization": "Bearer " + fakeO}, "Authorization", "Bearer " + realOpenAI, ""},
		{"openai lower-case scheme", "GET", "https://api.openai.com/v1/models", "/openai/v1/models",
			map[string]string{"Authorization": "bearer " + fakeO}, "Authorization", "Bearer " + realOpenAI, ""},
		{"google header", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent",
			"/google/v1beta/models/gemini-2.5-pro:generateContent",
			map[string]string{"x-goog-api-key": fakeG}, "X-Goog-Api-Key", realGoogle, ""},
		{"google query", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=" + fakeG,
			"/google/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=" + fakeG,
			nil, "", "", "alt=sse&key=" + realGoogle},
	}
	for _, tt := range tests {
		for _, mode := range []string{"connect", "base-url"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				c, u := f.viaConnect(), tt.connectURL
				if mode == "base-url" {
					c, u = f.direct(), f.base(tt.basePath)
				}
				reqBody := `{"model":"x"}`
				switch {
				case strings.HasPrefix(tt.name, "google"):
					reqBody = `{"contents":[]}`
				case tt.method == "GET":
					reqBody = "" // a body on an endpoint that takes none is refused
				}
				status, body, refused := do(t, c, tt.method, u, tt.hdr, reqBody)
				require.Equal(t, http.StatusOK, status, body)
				require.False(t, refused)
				require.Contains(t, body, "made with the real key")
				got := <-f.up.hits
				if tt.upHeader != "" {
					require.Equal(t, tt.upValue, got.Header.Get(tt.upHeader))
				}
				require.Equal(t, tt.upQuery, got.URL.RawQuery)
				for name, vs := range got.Header {
					for _, v := range vs {
						for _, fake := range []string{fakeA, fakeO, fakeG} {
							require.NotContains(t, v, fake, "header %s carries a fake key upstream", name)
						}
					}
				}
				require.Equal(t, "identity", got.Header.Get("Accept-Encoding"))
				require.Empty(t, got.Header.Get("Proxy-Authorization"))
			})
		}
	}
}

// Everything outside the allowlist, and every request without the
// session's fake key, is answered by the proxy and never reaches the
// upstream.
func TestRefusals(t *testing.T) {
	f := newFixture(t, nil)
	fakeA, fakeG := f.sess.FakeKey("anthropic"), f.sess.FakeKey("google")
	other, err := f.proxy.NewSession("other")
	require.NoError(t, err)
	key := map[string]string{"x-api-key": fakeA}
	tests := []struct {
		name        string
		mode        string // connect or base-url
		method, url string
		hdr         map[string]string
		status      int
	}{
		{"wrong path", "connect", "POST", "https://api.anthropic.com/v1/files", key, 403},
		{"wrong method", "connect", "GET", "https://api.anthropic.com/v1/messages", key, 403},
		{"path longer than pattern", "connect", "POST", "https://api.anthropic.com/v1/messages/x", key, 403},
		{"dot segment", "connect", "POST", "https://api.anthropic.com/v1/x/../messages", key, 403},
		{"missing key", "connect", "POST", "https://api.anthropic.com/v1/messages", nil, 401},
		{"wrong key", "connect", "POST", "https://api.anthropic.com/v1/messages", map[string]string{"x-api-key": fakeA + "x"}, 403},
		{"another session's key", "connect", "POST", "https://api.anthropic.com/v1/messages", map[string]string{"x-api-key": other.FakeKey("anthropic")}, 403},
		{"real key from outside", "connect", "POST", "https://api.anthropic.com/v1/messages", map[string]string{"x-api-key": realAnthropic}, 403},
		{"fake and a second key", "connect", "POST", "https://api.anthropic.com/v1/messages", map[string]string{"x-api-key": fakeA, "Authorization": "Bearer sk-other"}, 403},
		{"bearer without scheme", "connect", "POST", "https://api.openai.com/v1/responses", map[string]string{"Authorization": f.sess.FakeKey("openai")}, 403},
		{"key of another provider", "connect", "POST", "https://api.openai.com/v1/responses", map[string]string{"Authorization": "Bearer " + fakeA}, 403},
		{"google header right, query wrong", "connect", "POST", "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=AIzaWrong", map[string]string{"x-goog-api-key": fakeG}, 403},
		{"google upper-case query name", "connect", "POST", "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=" + fakeG + "&KEY=AIzaWrong", nil, 403},
		{"google model with slash", "connect", "POST", "https://generativelanguage.googleapis.com/v1beta/models/a/b:generateContent?key=" + fakeG, nil, 403},
		{"websocket upgrade", "connect", "GET", "https://api.openai.com/v1/models", map[string]string{"Authorization": "Bearer " + f.sess.FakeKey("openai"), "Upgrade": "websocket", "Connection": "Upgrade"}, 403},
		{"base: unknown path", "base-url", "POST", "/v1/files", key, 403},
		{"base: provider prefix, wrong path", "base-url", "POST", "/anthropic/v1/complete", key, 403},
		{"base: escaped path", "base-url", "POST", "/anthropic/v1/mes%73ages", key, 403},
		{"base: double slash", "base-url", "POST", "/anthropic//v1/messages", key, 403},
		{"base: ambiguous bare path", "base-url", "GET", "/v1/models", key, 403},
		{"base: missing key", "base-url", "POST", "/anthropic/v1/messages", nil, 401},
		{"base: semicolon query", "base-url", "POST", "/anthropic/v1/messages?a=1;b=2", key, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var refused bool
			if tt.mode == "connect" {
				status, _, refused = do(t, f.viaConnect(), tt.method, tt.url, tt.hdr, "{}")
			} else {
				status, refused = rawRequest(t, f.addr, tt.method, tt.url, tt.hdr)
			}
			require.Equal(t, tt.status, status)
			require.True(t, refused, "the proxy must answer itself")
			f.up.noHits(t)
		})
	}
	t.Run("CONNECT to a host not allowed", func(t *testing.T) {
		for _, target := range []string{"example.com:443", "api.anthropic.com:80", "127.0.0.1:443", "api.anthropic.com.evil.example:443"} {
			require.Equal(t, 403, connectStatus(t, f.addr, target), target)
		}
		f.up.noHits(t)
	})
	t.Run("plain-HTTP proxy request", func(t *testing.T) {
		status, refused := rawRequest(t, f.addr, "POST", "http://api.anthropic.com/v1/messages", key)
		require.Equal(t, 403, status)
		require.True(t, refused)
		f.up.noHits(t)
	})
	t.Run("SNI other than the CONNECT host", func(t *testing.T) {
		c := dialConnect(t, f.addr, "api.anthropic.com:443")
		tc := tls.Client(c, &tls.Config{ServerName: "api.openai.com", RootCAs: f.proxy.CA().Pool()})
		require.Error(t, tc.Handshake())
		tc.Close()
	})
	t.Run("Host header other than the tunnel's", func(t *testing.T) {
		c := dialConnect(t, f.addr, "api.anthropic.com:443")
		tc := tls.Client(c, &tls.Config{ServerName: "api.anthropic.com", RootCAs: f.proxy.CA().Pool()})
		defer tc.Close()
		fmt.Fprintf(tc, "POST /v1/messages HTTP/1.1\r\nHost: api.openai.com\r\nX-Api-Key: %s\r\nContent-Length: 0\r\n\r\n", fakeA)
		resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 403, resp.StatusCode)
		f.up.noHits(t)
	})
	t.Run("closed session", func(t *testing.T) {
		g := newFixture(t, nil)
		c := g.viaConnect()
		hdr := map[string]string{"x-api-key": g.sess.FakeKey("anthropic")}
		status, _, _ := do(t, c, "POST", "https://api.anthropic.com/v1/messages", hdr, "{}")
		require.Equal(t, 200, status)
		<-g.up.hits
		require.NoError(t, g.sess.Close())
		require.NoError(t, g.sess.Close()) // idempotent
		_, err := c.Post("https://api.anthropic.com/v1/messages", "application/json", strings.NewReader("{}"))
		require.Error(t, err)
		g.up.noHits(t)
	})
}

// rawRequest writes one request line by hand, so that the path reaches the
// proxy exactly as written.
func rawRequest(t *testing.T, addr, method, target string, hdr map[string]string) (int, bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 2\r\nConnection: close\r\n", method, target, addr)
	for k, v := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n{}")
	_, err = io.WriteString(c, b.String())
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(RefusalHeader) != ""
}

func dialConnect(t *testing.T, addr, target string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Zero(t, br.Buffered())
	return c
}

func connectStatus(t *testing.T, addr, target string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "CONNECT"})
	require.NoError(t, err)
	return resp.StatusCode
}

// A server-sent event stream arrives event by event: the first event
// reaches the agent while the upstream is still holding the rest back.
func TestStreamingIsNotBuffered(t *testing.T) {
	f := newFixture(t, nil)
	release := make(chan struct{})
	f.up.holdStream(release, "event: message_start\ndata: {\"n\":1}\n\n", "event: message_stop\ndata: {\"n\":2}\n\n")
	for _, mode := range []string{"connect", "base-url"} {
		t.Run(mode, func(t *testing.T) {
			c, u := f.viaConnect(), "https://api.anthropic.com/v1/messages"
			if mode == "base-url" {
				c, u = f.direct(), f.base("/anthropic/v1/messages")
			}
			req, err := http.NewRequest("POST", u, strings.NewReader(`{"stream":true}`))
			require.NoError(t, err)
			req.Header.Set("x-api-key", f.sess.FakeKey("anthropic"))
			resp, err := c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			br := bufio.NewReader(resp.Body)
			first := readEvent(t, br)
			require.Contains(t, first, "message_start")
			release <- struct{}{}
			require.Contains(t, readEvent(t, br), "message_stop")
			<-f.up.hits
		})
	}
}

func readEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var ev strings.Builder
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		if line == "\n" {
			return ev.String()
		}
		ev.WriteString(line)
	}
}

// An upstream that echoes the real key, in a header or anywhere in a
// streamed body, shows the agent a mask instead.
func TestResponseRedaction(t *testing.T) {
	f := newFixture(t, nil)
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		w.Header().Set("X-Echo", "your key is "+key)
		w.Header().Set("Content-Length", fmt.Sprint(len(key)*3+3))
		half := len(key) / 2
		io.WriteString(w, key[:half])
		http.NewResponseController(w).Flush()
		io.WriteString(w, key[half:]+"\n")
		http.NewResponseController(w).Flush()
		io.WriteString(w, "x"+key+"\n"+key)
	})
	req, err := http.NewRequest("POST", "https://api.anthropic.com/v1/messages", strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("x-api-key", f.sess.FakeKey("anthropic"))
	resp, err := f.viaConnect().Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	m := mask(len(realAnthropic))
	require.Equal(t, m+"\nx"+m+"\n"+m, string(body))
	require.Equal(t, "your key is "+m, resp.Header.Get("X-Echo"))
	require.Contains(t, f.logs.String(), "echoed the real key")
	require.NotContains(t, f.logs.String(), realAnthropic)
}

// An upstream that compresses anyway is decoded, so the scan still works;
// an encoding the proxy cannot read is refused.
func TestUpstreamEncodings(t *testing.T) {
	f := newFixture(t, nil)
	hdr := map[string]string{"x-api-key": f.sess.FakeKey("anthropic")}
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(t, "hello "+r.Header.Get("X-Api-Key")))
	})
	status, body, _ := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, "{}")
	require.Equal(t, 200, status)
	require.Equal(t, "hello "+mask(len(realAnthropic)), body)

	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		io.WriteString(w, "opaque")
	})
	status, _, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, "{}")
	require.Equal(t, 502, status)
	require.True(t, refused)
}

// Audit records name host, method, path, status and sizes, and never a
// key or a query value; logs never hold a real key, even when an upstream
// failure quotes a URL with the key in its query.
func TestAuditAndLogs(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Transport = failingFor{host: "generativelanguage.googleapis.com", next: o.Transport}
	})
	fakeA, fakeG := f.sess.FakeKey("anthropic"), f.sess.FakeKey("google")
	// Each request's record is awaited before the next request, so that
	// the records come in order.
	status, _, _ := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages?beta=true", map[string]string{"x-api-key": fakeA}, `{"model":"world"}`)
	require.Equal(t, 200, status)
	f.auditN(t, 1)
	status, _, _ = do(t, f.direct(), "POST", f.base("/anthropic/v1/files"), map[string]string{"x-api-key": fakeA}, "{}")
	require.Equal(t, 403, status)
	f.auditN(t, 2)
	status, _, refused := do(t, f.direct(), "POST", f.base("/google/v1beta/models/g:generateContent?key="+fakeG), nil, "{}")
	require.Equal(t, 502, status)
	require.True(t, refused)
	f.auditN(t, 3)
	require.Equal(t, 403, connectStatus(t, f.addr, "example.com:443"))

	recs := f.auditN(t, 4)
	require.Len(t, recs, 4)
	ok := recs[0]
	require.Equal(t, "test-session", ok.Session)
	require.Equal(t, "connect", ok.Mode)
	require.Equal(t, "anthropic", ok.Provider)
	require.Equal(t, "api.anthropic.com", ok.Host)
	require.Equal(t, "POST", ok.Method)
	require.Equal(t, "/v1/messages", ok.Path)
	require.Equal(t, []string{"beta"}, ok.Query)
	require.Equal(t, 200, ok.Status)
	require.Equal(t, int64(len(`{"model":"world"}`)), ok.BytesIn)
	require.Positive(t, ok.BytesOut)
	require.Empty(t, ok.Refused)
	require.Positive(t, ok.Duration)

	require.Equal(t, "base-url", recs[1].Mode)
	require.Equal(t, "/v1/files", recs[1].Path)
	require.Equal(t, 403, recs[1].Status)
	require.Contains(t, recs[1].Refused, "not an allowed anthropic endpoint")

	require.Equal(t, 502, recs[2].Status)
	require.Equal(t, []string{"key"}, recs[2].Query)
	require.NotEmpty(t, recs[2].Error)

	require.Equal(t, "CONNECT", recs[3].Method)
	require.Equal(t, "example.com", recs[3].Host)
	require.Equal(t, 403, recs[3].Status)

	enc, err := json.Marshal(recs)
	require.NoError(t, err)
	for _, k := range []string{realAnthropic, realGoogle, fakeA, fakeG} {
		require.NotContains(t, string(enc), k)
	}
	logs := f.logs.String()
	require.Contains(t, logs, "upstream request failed")
	for _, k := range []string{realAnthropic, realOpenAI, realGoogle} {
		require.NotContains(t, logs, k)
	}
}

// failingFor fails every request to host the way an http.Client would,
// with an error that quotes the URL.
type failingFor struct {
	host string
	next http.RoundTripper
}

func (f failingFor) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == f.host {
		return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: errors.New("connection refused")}
	}
	return f.next.RoundTrip(r)
}

// A vault without the credential means no request goes out.
func TestMissingCredential(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Vault = vault.Map{} })
	status, body, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", map[string]string{"x-api-key": f.sess.FakeKey("anthropic")}, "{}")
	require.Equal(t, 502, status)
	require.True(t, refused)
	require.Contains(t, body, "credential is not available")
	f.up.noHits(t)
}

// A body over the limit is refused before it is forwarded.
func TestRequestBodyLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxRequestBytes = 10 })
	status, _, refused := do(t, f.direct(), "POST", f.base("/anthropic/v1/messages"), map[string]string{"x-api-key": f.sess.FakeKey("anthropic")}, strings.Repeat("x", 11))
	require.Equal(t, 413, status)
	require.True(t, refused)
	f.up.noHits(t)
}

// Fake keys have their provider's shape, differ per session, and carry
// enough randomness.
func TestFakeKeys(t *testing.T) {
	f := newFixture(t, nil)
	other, err := f.proxy.NewSession("other")
	require.NoError(t, err)
	shapes := map[string]*regexp.Regexp{
		"anthropic": regexp.MustCompile(`^sk-ant-api03-[A-Za-z0-9_-]{93}AA$`),
		"openai":    regexp.MustCompile(`^sk-proj-[A-Za-z0-9_-]{156}$`),
		"google":    regexp.MustCompile(`^AIza[A-Za-z0-9_-]{35}$`),
	}
	keys := f.sess.FakeKeys()
	require.Len(t, keys, 3)
	for name, re := range shapes {
		require.Regexp(t, re, keys[name])
		require.NotEqual(t, keys[name], other.FakeKey(name))
	}
	require.Empty(t, f.sess.FakeKey("nope"))
	require.Equal(t, []string{"anthropic", "openai", "google"}, f.proxy.Providers())
}

// Invalid configurations fail in New, not at request time.
func TestNewValidates(t *testing.T) {
	ca, err := NewCA()
	require.NoError(t, err)
	mod := func(f func(p *Provider)) []Provider {
		p := Anthropic()
		f(&p)
		return []Provider{p}
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"no vault", Options{CA: ca}},
		{"no CA", Options{Vault: testVault()}},
		{"bad name", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Name = "An thropic" })}},
		{"upper-case host", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Hosts = []string{"API.anthropic.com"} })}},
		{"host with port", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Hosts = []string{"api.anthropic.com:443"} })}},
		{"no endpoints", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Endpoints = nil })}},
		{"two stars", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Endpoints = []Endpoint{{"GET", "/v1/*x*"}} })}},
		{"dot segment", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Endpoints = []Endpoint{{"GET", "/v1/../x"}} })}},
		{"lower-case method", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Endpoints = []Endpoint{{"get", "/v1"}} })}},
		{"CONNECT endpoint", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Endpoints = []Endpoint{{"CONNECT", "/v1"}} })}},
		{"no key slot", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Keys = nil })}},
		{"slot with both", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Keys = []KeySlot{{Header: "a", Query: "b"}} })}},
		{"short fake key", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.FakeKey.Length = 8 })}},
		{"no credential", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Credential = "" })}},
		{"http upstream", Options{CA: ca, Vault: testVault(), Providers: mod(func(p *Provider) { p.Upstream = "http://gateway.example" })}},
		{"duplicate host", Options{CA: ca, Vault: testVault(), Providers: []Provider{Anthropic(), func() Provider { p := OpenAI(); p.Hosts = []string{"api.anthropic.com"}; return p }()}}},
		{"duplicate name", Options{CA: ca, Vault: testVault(), Providers: []Provider{Anthropic(), Anthropic()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			require.Error(t, err)
		})
	}
}

// A provider routed through a gateway: the gateway's path is prefixed and
// the key is still swapped.
func TestUpstreamOverride(t *testing.T) {
	var got *http.Request
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		io.WriteString(w, "via gateway")
	}))
	defer gw.Close()
	p := Anthropic()
	p.Upstream = gw.URL + "/anthropic/"
	f := newFixture(t, func(o *Options) {
		o.Providers = []Provider{p}
		o.Transport = gw.Client().Transport
	})
	status, body, _ := do(t, f.direct(), "POST", f.base("/v1/messages"), map[string]string{"x-api-key": f.sess.FakeKey("anthropic")}, "{}")
	require.Equal(t, 200, status)
	require.Equal(t, "via gateway", body)
	require.Equal(t, "/anthropic/v1/messages", got.URL.Path)
	require.Equal(t, realAnthropic, got.Header.Get("X-Api-Key"))
}
