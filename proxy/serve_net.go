package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain/internal/unixsock"
)

// ServeUnix serves MCP sessions on a Unix socket at path, one session per
// connection, with the framing of ServeStdio. It is [ListenUnix] followed by
// [Server.ServeListener]: it returns when ctx is done, after closing every
// connection and removing the socket.
func (s *Server) ServeUnix(ctx context.Context, path string) error {
	ln, err := ListenUnix(path)
	if err != nil {
		return err
	}
	return s.ServeListener(ctx, ln)
}

// ListenUnix creates a listening Unix socket at path with mode 0600. The
// socket is made in a fresh directory of mode 0700 next to path and then
// renamed into place, so that no other user can connect in the moment
// between creating it and restricting it. An existing socket at path is
// replaced only if nothing answers on it; any other file at path is an
// error. Closing the listener removes the socket, if it is still the one
// ListenUnix made.
func ListenUnix(path string) (net.Listener, error) { return unixsock.Listen(path) }

// ServeListener serves one MCP session per accepted connection, with the
// framing of ServeStdio, until ctx is done; then it closes the listener and
// the connections and waits for their sessions to end. It takes ownership
// of ln. Use it with [ListenUnix], or any stream listener the caller has
// secured.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = aerr
			}
			break
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			if serr := s.serveStream(ctx, c, c, "conn"); serr != nil && ctx.Err() == nil {
				s.log.Debug("proxy: session ended", "err", serr)
			}
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		})
	}
	cancel()
	ln.Close()
	wg.Wait()
	if err == nil {
		err = context.Cause(ctx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
	}
	return err
}

// ListenHTTP serves the streamable-HTTP endpoint at path /mcp on addr until
// ctx is done. Unless ServerConfig.AllowNonLoopback is set, addr must name a
// loopback address ("127.0.0.1:8080", "[::1]:8080", "localhost:8080"); an
// empty host, which means every interface, is refused with ErrNotLoopback.
func (s *Server) ListenHTTP(ctx context.Context, addr string) error {
	if !s.cfg.AllowNonLoopback && !loopbackAddr(addr) {
		return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeHTTPListener(ctx, ln)
}

// ServeHTTPListener is ListenHTTP on a listener the caller made; it takes
// ownership of ln and applies the same loopback rule to its address.
func (s *Server) ServeHTTPListener(ctx context.Context, ln net.Listener) error {
	if !s.cfg.AllowNonLoopback && !loopbackAddr(ln.Addr().String()) {
		ln.Close()
		return fmt.Errorf("%w: %q", ErrNotLoopback, ln.Addr())
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	shutdown := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(shutdown)
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close() // notification streams do not end by themselves
		}
	})
	err := hs.Serve(ln)
	if !stop() {
		<-shutdown
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// loopbackAddr reports whether a host:port names a loopback address.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
