package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// seqResolver answers lookups from a script: the i-th lookup gets
// answers[i], and the last answer repeats.
type seqResolver struct {
	mu      sync.Mutex
	answers [][]netip.Addr
	err     error
	hosts   []string
}

func (r *seqResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, host)
	if r.err != nil {
		return nil, r.err
	}
	i := min(len(r.hosts), len(r.answers)) - 1
	return r.answers[i], nil
}

func (r *seqResolver) lookups() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.hosts)
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// publicIP stands for a public web server. No test ever connects to it: a
// fake dial sends its connections to a local httptest server instead.
const publicIP = "93.184.216.34"

// fakePublic replaces the server's socket dial so that connections to
// publicIP reach target, and records every address dialled. Any other
// address fails: the test must never touch the network.
func fakePublic(s *Server, target string) *[]string {
	var mu sync.Mutex
	dialled := &[]string{}
	s.guard.dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		mu.Lock()
		*dialled = append(*dialled, address)
		mu.Unlock()
		ap := netip.MustParseAddrPort(address)
		if ap.Addr().String() != publicIP {
			return nil, fmt.Errorf("test: unexpected dial to %s", address)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}
	return dialled
}

// Without AllowNetworks, loopback is refused in every spelling, and the
// local server never sees a request.
func TestLoopbackRefusedByDefault(t *testing.T) {
	site := &counter{h: content("text/plain", "secret")}
	srv, port := newSite(t, site)
	_ = srv
	res := &seqResolver{answers: [][]netip.Addr{addrs("127.0.0.1")}}
	s, err := New(Options{AllowPorts: []uint16{port}, Resolver: res})
	require.NoError(t, err)
	defer s.Close()
	for _, host := range []string{"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "127.1.2.3", "localhost.test"} {
		t.Run(host, func(t *testing.T) {
			msg := fetchErr(t, s, map[string]any{"url": fmt.Sprintf("http://%s:%d/", host, port)})
			require.Contains(t, msg, "refused")
			require.Regexp(t, "loopback|unspecified", msg)
		})
	}
	require.Zero(t, site.count())
}

// rebindingSite serves site on a local port reached through a fake public
// address, behind a resolver whose first answer is that public address and
// whose second is 127.0.0.1. It returns the server, the port, the resolver
// and the addresses dialled.
func rebindingSite(t *testing.T, site http.Handler) (*Server, uint16, *seqResolver, *[]string) {
	t.Helper()
	srv, port := newSite(t, site)
	res := &seqResolver{answers: [][]netip.Addr{addrs(publicIP), addrs("127.0.0.1")}}
	s, err := New(Options{AllowPorts: []uint16{port}, Resolver: res})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, port, res, fakePublic(s, srv.Listener.Addr().String())
}

// DNS rebinding across calls: the first lookup answers a public address,
// the next one 127.0.0.1. The first fetch succeeds; the second is refused
// when it dials, though the host name is the same.
func TestRebindingAcrossLookups(t *testing.T) {
	site := &counter{h: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close") // force a new dial, hence a new lookup
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("public page"))
	})}
	s, port, res, dialled := rebindingSite(t, site)
	target := fmt.Sprintf("http://rebind.test:%d/", port)

	_, out := fetchOK(t, s, map[string]any{"url": target})
	require.Equal(t, "public page", out.Body)

	msg := fetchErr(t, s, map[string]any{"url": target})
	require.Contains(t, msg, "loopback")
	require.Equal(t, 2, res.lookups())
	require.Equal(t, 1, site.count())
	require.Equal(t, []string{fmt.Sprintf("%s:%d", publicIP, port)}, *dialled, "127.0.0.1 was never dialled")
}

// DNS rebinding within one fetch: the public page redirects to its own
// host name, which now resolves to 127.0.0.1.
func TestRebindingOnRedirect(t *testing.T) {
	site := &counter{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "/next", http.StatusFound)
	})}
	s, port, _, dialled := rebindingSite(t, site)
	msg := fetchErr(t, s, map[string]any{"url": fmt.Sprintf("http://rebind.test:%d/", port)})
	require.Contains(t, msg, "/next: refused: the host is a loopback address")
	require.Len(t, *dialled, 1)
	require.Equal(t, 1, site.count())
}

// One answer holding a public address first and 127.0.0.1 next refuses
// the host outright: nothing is dialled, not even the public address.
func TestMixedAnswerRefused(t *testing.T) {
	res := &seqResolver{answers: [][]netip.Addr{addrs(publicIP, "127.0.0.1")}}
	s, err := New(Options{Resolver: res})
	require.NoError(t, err)
	defer s.Close()
	dialled := fakePublic(s, "127.0.0.1:1")
	msg := fetchErr(t, s, map[string]any{"url": "http://mixed.test/"})
	require.Contains(t, msg, "loopback")
	require.NotContains(t, msg, "127.0.0.1", "the agent is not told the internal address")
	require.Empty(t, *dialled)
}

// The socket's Control hook refuses the address being connected to, even
// when nothing before it checked: the last line of defence.
func TestControlRefusesAtConnect(t *testing.T) {
	srv, port := newSite(t, content("text/plain", "x"))
	addr := srv.Listener.Addr().String()

	cfg, err := Options{AllowPorts: []uint16{port}}.config()
	require.NoError(t, err)
	g := newGuard(cfg)
	_, err = g.dial(context.Background(), "tcp", addr) // straight to the socket, no lookup, no pre-check
	require.ErrorIs(t, err, ErrBlockedAddress)
	var op *net.OpError
	require.ErrorAs(t, err, &op, "refused by the dialer, before connect")

	cfg.allow = allowList{loopback}
	g = newGuard(cfg)
	conn, err := g.dial(context.Background(), "tcp", addr)
	require.NoError(t, err, "with the exception, the same dial connects")
	require.NoError(t, conn.Close())

	cfg.ports = []uint16{80, 443}
	g = newGuard(cfg)
	_, err = g.dial(context.Background(), "tcp", addr)
	var pe *portError
	require.ErrorAs(t, err, &pe, "a port outside the allowed set is refused at connect too")
}

func TestControlUnparsableAddress(t *testing.T) {
	cfg, err := Options{}.config()
	require.NoError(t, err)
	require.ErrorIs(t, newGuard(cfg).control(context.Background(), "tcp", "nonsense", nil), ErrBlockedAddress)
}

// Resolver failures are reported without the resolver's details.
func TestResolverErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"not found", &net.DNSError{Err: "no such host", Name: "nx.test", Server: "10.0.0.53:53", IsNotFound: true}, `no such host "nx.test"`},
		{"server failure", &net.DNSError{Err: "server misbehaving", Name: "nx.test", Server: "10.0.0.53:53"}, `could not resolve "nx.test"`},
		{"other", errors.New("resolver at 10.0.0.53 exploded"), `could not resolve "nx.test"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Resolver: &seqResolver{err: tc.err}})
			require.NoError(t, err)
			defer s.Close()
			msg := fetchErr(t, s, map[string]any{"url": "http://nx.test/"})
			require.Contains(t, msg, tc.want)
			require.NotContains(t, msg, "10.0.0.53")
		})
	}
	s, err := New(Options{Resolver: &seqResolver{answers: [][]netip.Addr{nil}}})
	require.NoError(t, err)
	defer s.Close()
	require.Contains(t, fetchErr(t, s, map[string]any{"url": "http://empty.test/"}), "no such host")
}

// A host name is resolved by the guard, never by the dialer: the socket
// dial always receives a literal address.
func TestDialReceivesLiteralAddresses(t *testing.T) {
	srv, port := newSite(t, content("text/plain", "ok"))
	res := &seqResolver{answers: [][]netip.Addr{addrs(publicIP)}}
	s := newLocal(t, Options{Resolver: res}, port)
	dialled := fakePublic(s, srv.Listener.Addr().String())
	fetchOK(t, s, map[string]any{"url": fmt.Sprintf("http://some.name.test:%d/", port)})
	require.Len(t, *dialled, 1)
	require.False(t, strings.Contains((*dialled)[0], "name"))
}
