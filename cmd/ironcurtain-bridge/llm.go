package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
)

// llmListener accepts the agent's connections on loopback TCP and carries
// each to the LLM proxy socket.
type llmListener struct {
	ln     net.Listener
	socket string
}

// listenLLM listens on addr, which must be a loopback address: nothing
// outside the container may use the proxy through the bridge, and with
// network none there is nothing else anyway.
func listenLLM(addr, socket string) (*llmListener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen address %q is not a loopback IP address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &llmListener{ln: ln, socket: socket}, nil
}

// serve accepts connections until ctx is done, then closes the listener
// and the connections in flight.
func (l *llmListener) serve(ctx context.Context) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		l.ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	track := func(c net.Conn, add bool) bool {
		mu.Lock()
		defer mu.Unlock()
		if add {
			if ctx.Err() != nil {
				return false
			}
			conns[c] = struct{}{}
		} else {
			delete(conns, c)
		}
		return true
	}
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		wg.Go(func() {
			defer c.Close()
			if !track(c, true) {
				return
			}
			defer track(c, false)
			up, err := (&net.Dialer{}).DialContext(ctx, "unix", l.socket)
			if err != nil {
				return // the agent sees the connection close
			}
			if !track(up, true) {
				up.Close()
				return
			}
			defer track(up, false)
			defer up.Close()
			splice(c.(*net.TCPConn), up.(*net.UnixConn))
		})
	}
}

// halfCloser is a connection whose write side can be closed alone.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// splice copies both ways, passing on each side's end of stream, until
// both directions are done.
func splice(a, b halfCloser) {
	done := make(chan struct{})
	go func() {
		io.Copy(b, a)
		b.CloseWrite()
		close(done)
	}()
	io.Copy(a, b)
	a.CloseWrite()
	<-done
}
