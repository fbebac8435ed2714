package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// newSite starts an httptest server and returns it with its port.
func newSite(t testing.TB, h http.Handler) (*httptest.Server, uint16) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, portOf(t, srv.URL)
}

func portOf(t testing.TB, raw string) uint16 {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p, err := strconv.ParseUint(u.Port(), 10, 16)
	require.NoError(t, err)
	return uint16(p)
}

// newLocal returns a Server that may reach loopback on the given ports:
// the explicit exception every test against httptest needs.
func newLocal(t testing.TB, opts Options, ports ...uint16) *Server {
	t.Helper()
	opts.AllowNetworks = append(opts.AllowNetworks, loopback)
	opts.AllowPorts = append(opts.AllowPorts, ports...)
	s, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func call(t testing.TB, s *Server, tool string, args map[string]any) ironcurtain.Result {
	t.Helper()
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tool, Arguments: args})
	require.NoError(t, err)
	return res
}

// fetchOK fetches and requires a successful result.
func fetchOK(t testing.TB, s *Server, args map[string]any) (ironcurtain.Result, fetchOutput) {
	t.Helper()
	res := call(t, s, ToolFetch, args)
	require.False(t, res.IsError, res.Text())
	var out fetchOutput
	require.NoError(t, json.Unmarshal(res.Structured, &out))
	return res, out
}

// fetchErr fetches and requires a tool error.
func fetchErr(t testing.TB, s *Server, args map[string]any) string {
	t.Helper()
	res := call(t, s, ToolFetch, args)
	require.True(t, res.IsError, res.Text())
	require.Empty(t, res.Structured)
	return res.Text()
}

// content serves body with a content type.
func content(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(body))
	}
}

// counter counts requests a handler served.
type counter struct {
	mu sync.Mutex
	n  int
	h  http.Handler
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
