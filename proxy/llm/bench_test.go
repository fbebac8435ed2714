package llm

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain/internal/unixsock"
)

// benchClients returns the ways an agent reaches an Anthropic endpoint:
// straight to the upstream (the baseline), through the proxy in base-URL
// mode over TCP and over the Unix socket a container uses, and through
// CONNECT.
func benchClients(b *testing.B, f *fixture) map[string]func() (*http.Client, string) {
	sock := filepath.Join(b.TempDir(), "llm.sock")
	ln, err := unixsock.Listen(sock)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go f.sess.Serve(ctx, ln)
	unix := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		DisableCompression: true,
	}}
	direct := &http.Client{Transport: f.up.transport()}
	return map[string]func() (*http.Client, string){
		"direct":        func() (*http.Client, string) { return direct, "https://api.anthropic.com/v1/messages" },
		"base-url-tcp":  func() (*http.Client, string) { return f.direct(), f.base("/anthropic/v1/messages") },
		"base-url-unix": func() (*http.Client, string) { return unix, "http://llm/anthropic/v1/messages" },
		"connect":       func() (*http.Client, string) { return f.viaConnect(), "https://api.anthropic.com/v1/messages" },
	}
}

var benchModes = []string{"direct", "base-url-tcp", "base-url-unix", "connect"}

// BenchmarkLLMProxy measures one small request and response on a kept-alive
// connection. The proxy's added latency is a mode's ns/op minus direct's.
func BenchmarkLLMProxy(b *testing.B) {
	f := newFixture(b, func(o *Options) { o.Audit = func(Record) {} })
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","content":[{"type":"text","text":"hello"}]}`)
	})
	clients := benchClients(b, f)
	fake := f.sess.FakeKey("anthropic")
	body := `{"model":"claude","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	for _, mode := range benchModes {
		b.Run(mode, func(b *testing.B) {
			c, u := clients[mode]()
			send := func() {
				req, _ := http.NewRequest("POST", u, strings.NewReader(body))
				req.Header.Set("x-api-key", fake)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			send() // warm the connections and the certificate cache
			b.ResetTimer()
			for b.Loop() {
				send()
			}
		})
	}
}

// BenchmarkLLMProxyFirstByte measures the time from sending a streaming
// request to reading its first event while the upstream holds the rest of
// the stream back (reported as ttfb-µs); then the stream ends and the
// connection is reused.
func BenchmarkLLMProxyFirstByte(b *testing.B) {
	f := newFixture(b, func(o *Options) { o.Audit = func(Record) {} })
	release := make(chan struct{}, 1)
	f.up.holdStream(release, "event: message_start\ndata: {}\n\n", "event: message_stop\ndata: {}\n\n")
	clients := benchClients(b, f)
	fake := f.sess.FakeKey("anthropic")
	for _, mode := range benchModes {
		b.Run(mode, func(b *testing.B) {
			c, u := clients[mode]()
			var ttfb time.Duration
			first := func() {
				start := time.Now()
				req, _ := http.NewRequest("POST", u, strings.NewReader(`{"stream":true}`))
				req.Header.Set("x-api-key", fake)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				br := bufio.NewReader(resp.Body)
				if _, err := br.ReadString('\n'); err != nil {
					b.Fatal(err)
				}
				ttfb += time.Since(start)
				release <- struct{}{}
				io.Copy(io.Discard, br)
				resp.Body.Close()
			}
			first()
			ttfb = 0
			b.ResetTimer()
			n := 0
			for b.Loop() {
				first()
				n++
			}
			b.ReportMetric(float64(ttfb.Microseconds())/float64(n), "ttfb-µs")
		})
	}
}

// BenchmarkLeafCertificate measures minting a host certificate (a cache
// miss).
func BenchmarkLeafCertificate(b *testing.B) {
	ca, err := NewCA()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ca.mint("api.anthropic.com", ca.now()); err != nil {
			b.Fatal(err)
		}
	}
	_ = tls.Certificate{}
}
