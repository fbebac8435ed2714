package llm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/syncbuf"
	"github.com/ironcurtain-go/ironcurtain/vault"
	"github.com/stretchr/testify/require"
)

// Real keys of the test vault. The upstream accepts nothing else.
const (
	realAnthropic = "sk-ant-api03-REAL-anthropic-key-0123456789abcdefghijklmnopqrstuvwxyz"
	realOpenAI    = "sk-proj-REAL-openai-key-0123456789abcdefghijklmnopqrstuvwxyz"
	realGoogle    = "AIzaREAL-google-key-0123456789abcdefgh"
)

func testVault() vault.Map {
	return vault.Map{
		"ANTHROPIC_API_KEY": ironcurtain.NewSecret(realAnthropic),
		"OPENAI_API_KEY":    ironcurtain.NewSecret(realOpenAI),
		"GOOGLE_API_KEY":    ironcurtain.NewSecret(realGoogle),
	}
}

// upstream is a stand-in for the three provider APIs: one TLS server that
// answers for every provider host with certificates of its own CA, and
// accepts only the real keys.
type upstream struct {
	srv  *httptest.Server
	ca   *CA
	hits chan *http.Request // every request that reached it, cloned

	mu      sync.Mutex
	handler http.HandlerFunc // optional override
}

func newUpstream(t testing.TB) *upstream {
	t.Helper()
	ca, err := NewCA()
	require.NoError(t, err)
	u := &upstream{ca: ca, hits: make(chan *http.Request, 1000)}
	u.srv = httptest.NewUnstartedServer(http.HandlerFunc(u.serve))
	u.srv.TLS = &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return ca.Leaf(h.ServerName)
	}}
	u.srv.StartTLS()
	t.Cleanup(u.srv.Close)
	return u
}

// transport resolves every host to the upstream server, as a resolver
// override would, and trusts the upstream's CA only.
func (u *upstream) transport() *http.Transport {
	addr := u.srv.Listener.Addr().String()
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:    &tls.Config{RootCAs: u.ca.Pool()},
		ForceAttemptHTTP2:  true,
		DisableCompression: true,
	}
}

func (u *upstream) setHandler(h http.HandlerFunc) {
	u.mu.Lock()
	u.handler = h
	u.mu.Unlock()
}

// holdStream makes the upstream answer with an event stream: the event
// first at once, flushed, then the event last only when release gives (or
// not at all, when the request is gone first).
func (u *upstream) holdStream(release <-chan struct{}, first, last string) {
	u.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, first)
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, last)
	})
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	select {
	case u.hits <- r.Clone(context.Background()):
	default:
	}
	u.mu.Lock()
	h := u.handler
	u.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if realKeyOf(r) == "" {
		http.Error(w, "upstream: bad key", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"answer":"made with the real key for `+r.Host+r.URL.Path+`"}`)
}

// realKeyOf returns the real key the request carries where its provider
// expects it, or "".
func realKeyOf(r *http.Request) string {
	switch r.Host {
	case "api.anthropic.com":
		if r.Header.Get("X-Api-Key") == realAnthropic || r.Header.Get("Authorization") == "Bearer "+realAnthropic {
			return realAnthropic
		}
	case "api.openai.com":
		if r.Header.Get("Authorization") == "Bearer "+realOpenAI {
			return realOpenAI
		}
	case "generativelanguage.googleapis.com":
		if r.Header.Get("X-Goog-Api-Key") == realGoogle || r.URL.Query().Get("key") == realGoogle {
			return realGoogle
		}
	}
	return ""
}

// noHits fails if the upstream received anything.
func (u *upstream) noHits(t testing.TB) {
	t.Helper()
	select {
	case r := <-u.hits:
		t.Fatalf("the upstream received %s %s", r.Method, r.URL)
	default:
	}
}

// fixture is a proxy session served on loopback TCP, with its upstream
// and everything it audited and logged.
type fixture struct {
	up      *upstream
	proxy   *Proxy
	sess    *Session
	addr    string
	logs    *syncbuf.Buffer
	mu      sync.Mutex
	records []Record
	added   chan struct{} // one send per record
}

func newFixture(t testing.TB, mutate func(*Options)) *fixture {
	t.Helper()
	f := &fixture{up: newUpstream(t), logs: &syncbuf.Buffer{}, added: make(chan struct{}, 10000)}
	ca, err := NewCA()
	require.NoError(t, err)
	opts := Options{
		CA:        ca,
		Vault:     testVault(),
		Transport: f.up.transport(),
		Audit: func(r Record) {
			f.mu.Lock()
			f.records = append(f.records, r)
			f.mu.Unlock()
			f.added <- struct{}{}
		},
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&opts)
	}
	f.proxy, err = New(opts)
	require.NoError(t, err)
	f.sess, err = f.proxy.NewSession("test-session")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.sess.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		f.sess.Close()
		<-served
	})
	return f
}

// viaConnect is the agent's client in HTTPS_PROXY mode: it trusts only the
// proxy's CA.
func (f *fixture) viaConnect() *http.Client {
	pu := &url.URL{Scheme: "http", Host: f.addr}
	return &http.Client{Transport: &http.Transport{
		Proxy:              http.ProxyURL(pu),
		TLSClientConfig:    &tls.Config{RootCAs: f.proxy.CA().Pool()},
		DisableCompression: true,
	}, Timeout: 30 * time.Second}
}

// direct is the agent's client in base-URL mode.
func (f *fixture) direct() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}
}

func (f *fixture) base(path string) string { return "http://" + f.addr + path }

// auditN waits for the nth audit record: a request's record is written
// when its handler ends, which may be after the client has the response.
func (f *fixture) auditN(t testing.TB, n int) []Record {
	t.Helper()
	for {
		if recs := f.audit(); len(recs) >= n {
			return recs
		}
		select {
		case <-f.added:
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for audit record %d", n)
		}
	}
}

func (f *fixture) audit() []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Record(nil), f.records...)
}

// do sends a request and returns status, body and whether the proxy
// itself answered.
func do(t testing.TB, c *http.Client, method, u string, hdr map[string]string, body string) (int, string, bool) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header.Get(RefusalHeader) != ""
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := io.WriteString(zw, s)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}
