package web

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testvault"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

// causeMarker and causeSecret stand for what an upstream's error body or an
// internal error may hold: text that is not the agent's to read.
const (
	causeMarker = "MARKER-upstream-7f3a"
	causeSecret = "sk-live-4d1c0ffee"
)

// resetServer accepts connections on loopback, reads the request and
// resets the connection (SO_LINGER 0) without answering.
func resetServer(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			_ = c.(*net.TCPConn).SetLinger(0)
			_ = c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// dnsFailure makes every dial of the searcher fail as a lookup through an
// internal resolver does.
func dnsFailure(s *Server) {
	s.search.transport.DialContext = func(_ context.Context, network, address string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(address)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{
			Err: "no such host", Name: host, Server: "10.0.0.53:53", IsNotFound: true,
		}}
	}
}

// TestErrorCauseInAuditOnly: through a Gate, a failed fetch or search shows
// the agent a reason in IronCurtain's words only, while the audit entry of
// the call keeps the underlying error (Go's net, TLS and resolver text, the
// provider's own error body) that the reason was made from. The search key
// is in neither.
func TestErrorCauseInAuditOnly(t *testing.T) {
	type setup func(t *testing.T) (srv *Server, tool string, args map[string]any)
	tests := []struct {
		name    string
		setup   setup
		public  string   // in the agent's text
		hidden  []string // in neither the agent's text nor, for testKey, the audit entry
		cause   []string // in the audit entry
		noAudit []string // not in the audit entry either
	}{
		{
			name: "fetch connection reset",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				port := resetServer(t)
				s := newLocal(t, Options{Resolver: &seqResolver{answers: [][]netip.Addr{addrs("127.0.0.1")}}}, port)
				return s, ToolFetch, map[string]any{"url": fmt.Sprintf("http://reset.test:%d/", port)}
			},
			public: ": connection reset by the server",
			hidden: []string{"read tcp", "reset by peer", "127.0.0.1", "Get \""},
			cause:  []string{"connection reset by peer", "127.0.0.1"},
		},
		{
			name: "fetch certificate for another host",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				site := httptest.NewTLSServer(content("text/plain", "x"))
				t.Cleanup(site.Close)
				pool := x509.NewCertPool()
				pool.AddCert(site.Certificate())
				port := portOf(t, site.URL)
				s := newLocal(t, Options{RootCAs: pool, Resolver: &seqResolver{answers: [][]netip.Addr{addrs("127.0.0.1")}}}, port)
				return s, ToolFetch, map[string]any{"url": fmt.Sprintf("https://tls.test:%d/", port)}
			},
			public: "the server's TLS certificate is not valid for this host",
			hidden: []string{"x509", "example.com", "127.0.0.1"},
			cause:  []string{"x509: certificate is valid for", "example.com"},
		},
		{
			name: "fetch lookup failure",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				s := newLocal(t, Options{Resolver: &seqResolver{err: &net.DNSError{
					Err: "server misbehaving", Name: "nx.test", Server: "10.0.0.53:53",
				}}})
				return s, ToolFetch, map[string]any{"url": "http://nx.test/"}
			},
			public: `http_fetch: http://nx.test/: could not resolve "nx.test"`,
			hidden: []string{"10.0.0.53", "misbehaving"},
			cause:  []string{"lookup nx.test on 10.0.0.53:53: server misbehaving"},
		},
		{
			name: "fetch internal address",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				s, err := New(Options{Resolver: &seqResolver{answers: [][]netip.Addr{addrs("10.1.2.3")}}})
				require.NoError(t, err)
				t.Cleanup(func() { _ = s.Close() })
				return s, ToolFetch, map[string]any{"url": "http://intra.test/"}
			},
			public: "refused: the host is a private address (10.0.0.0/8)",
			hidden: []string{"10.1.2.3"},
			cause:  []string{"10.1.2.3"},
		},
		{
			name: "search provider error body",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				s := newSearch(t, "brave", func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = io.WriteString(w, `{"error":{"detail":"`+causeMarker+`: backend 10.9.8.7 refused token `+causeSecret+` for key `+testKey+`"}}`)
				}, testvault.Map{"BRAVE_API_KEY": testKey})
				return s, ToolSearch, map[string]any{"query": "q"}
			},
			public:  "web_search: brave answered HTTP 500 Internal Server Error",
			hidden:  []string{causeMarker, causeSecret, "10.9.8.7", testKey},
			cause:   []string{causeMarker, causeSecret},
			noAudit: []string{testKey},
		},
		{
			name: "search provider error in a 200",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				s := newSearch(t, "serpapi", func(w http.ResponseWriter, _ *http.Request) {
					_, _ = io.WriteString(w, `{"error":"`+causeMarker+` `+causeSecret+`"}`)
				}, testvault.Map{"SERPAPI_API_KEY": testKey})
				return s, ToolSearch, map[string]any{"query": "q"}
			},
			public: "web_search: serpapi answered with a response that could not be read",
			hidden: []string{causeMarker, causeSecret},
			cause:  []string{causeMarker},
		},
		{
			name: "search lookup failure",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				s := newSearch(t, "serpapi", http.NotFound, testvault.Map{"SERPAPI_API_KEY": testKey})
				dnsFailure(s)
				return s, ToolSearch, map[string]any{"query": "q"}
			},
			public:  "web_search: could not reach serpapi: its host name could not be resolved",
			hidden:  []string{"10.0.0.53", "lookup", "api_key", testKey, "Get \""},
			cause:   []string{"lookup", "10.0.0.53:53", "api_key=[redacted]"},
			noAudit: []string{testKey},
		},
		{
			name: "search vault failure",
			setup: func(t *testing.T) (*Server, string, map[string]any) {
				return newSearch(t, "brave", http.NotFound, failingVault{}), ToolSearch, map[string]any{"query": "q"}
			},
			public: "web_search: the brave API key could not be read from the vault",
			hidden: []string{"/run/secrets"},
			cause:  []string{"vault at /run/secrets unreachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, tool, args := tt.setup(t)
			g := toolsettest.Gate(t, ServerName, srv)
			res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tool, Arguments: args})
			require.NoError(t, err)
			require.True(t, res.IsError, res.Text())
			require.Contains(t, res.Text(), tt.public)
			for _, h := range tt.hidden {
				require.NotContains(t, res.Text(), h)
			}
			require.Equal(t, ironcurtain.ErrorResult(res.Text()), ironcurtain.AgentResult(res, err), "nothing but the text reaches the agent")
			audited := g.Audited()
			require.Len(t, audited, 1)
			require.Contains(t, audited[0].Error, tt.public)
			for _, c := range tt.cause {
				require.Contains(t, audited[0].Error, c, "the internal error is in the audit entry")
			}
			for _, n := range tt.noAudit {
				require.NotContains(t, audited[0].Error, n)
			}
		})
	}
}
