package llm

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// Session is the proxy as one agent run sees it: its own fake keys, served
// on a listener of its own (the Unix socket mounted into one container).
//
// A Session answers three kinds of request on the same listener:
//
//   - CONNECT api.anthropic.com:443, as an HTTPS_PROXY: TLS is terminated
//     with a certificate from the CA for that host only, and each request
//     inside the tunnel goes through the allowlist and the key swap;
//   - base-URL requests, "POST /anthropic/v1/messages" or a bare path that
//     exactly one provider allows, from an agent whose base URL points at
//     the proxy in plain HTTP (the container's loopback);
//   - anything else, such as plain-HTTP proxy requests, gets 403.
//
// A Session is safe for concurrent use. Close is idempotent.
type Session struct {
	proxy *Proxy
	name  string
	fake  map[string]string // provider name → fake key; read-only

	inner *innerServer

	mu      sync.Mutex
	servers []*http.Server
	closed  bool
	done    chan struct{}
}

// Name returns the session's name.
func (s *Session) Name() string { return s.name }

// FakeKey returns the session's fake key for the named provider, or "" if
// the proxy serves no such provider.
func (s *Session) FakeKey(provider string) string { return s.fake[provider] }

// FakeKeys returns a copy of the session's fake keys by provider name.
func (s *Session) FakeKeys() map[string]string { return maps.Clone(s.fake) }

// Serve answers requests on ln until ctx is done or the session is
// closed, then closes ln and every connection and returns nil. It takes
// ownership of ln. Serve may be called more than once, on different
// listeners.
func (s *Session) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          s.proxy.serverLog,
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops every Serve call, ends the tunnels and connections, and
// refuses any request still arriving. The fake keys stop working.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	for _, srv := range servers {
		srv.Close()
	}
	s.inner.close()
	return nil
}

func (s *Session) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// ServeHTTP answers one request on the session's outer listener.
func (s *Session) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		s.connect(w, r)
	case r.URL.Host != "" || r.URL.Scheme != "":
		s.refuseOuter(w, r, "base-url", refuse(http.StatusForbidden, "plain-HTTP proxying is not allowed; use HTTPS through CONNECT"))
	default:
		s.forwardBase(w, r)
	}
}
