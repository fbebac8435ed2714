package jail

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Limits of the connections the trusted process makes for a jailed
// program with host grants.
const (
	// maxForwarded bounds the connections forwarded at once for one
	// program; further ones wait in the listening sockets' queues.
	maxForwarded = 64
	// dialTimeout bounds making one connection with the default dialer.
	dialTimeout = 30 * time.Second
)

// forwarder makes, from the trusted process, the connections a jailed
// program makes to its granted hosts: it accepts on the listening sockets
// the launcher made in the jail's network namespace and connects each
// connection to the host and port its socket stands for. It stops, closing
// every socket and connection, when the program exits.
type forwarder struct {
	sock    *os.File         // the parent's end of the socketpair; nil once read
	targets []string         // per listening socket, the "host:port" to dial
	addrs   []netip.AddrPort // per listening socket, where it must listen
	dial    func(ctx context.Context, network, address string) (net.Conn, error)

	slots  chan struct{} // one per connection forwarded now
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	open   map[io.Closer]struct{} // listeners and connections
	wg     sync.WaitGroup
}

// newForwarder prepares the forwarding of g's host grants: one listening
// socket per host and port, in the plan's order.
func newForwarder(sock *os.File, hosts []hostGrant, dial func(context.Context, string, string) (net.Conn, error)) *forwarder {
	if dial == nil {
		dial = (&net.Dialer{Timeout: dialTimeout}).DialContext
	}
	f := &forwarder{sock: sock, dial: dial, slots: make(chan struct{}, maxForwarded), open: map[io.Closer]struct{}{}}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	for _, h := range hosts {
		for _, port := range h.ports {
			f.targets = append(f.targets, HostPort{Host: h.host, Port: port}.String())
			f.addrs = append(f.addrs, netip.AddrPortFrom(h.addr, port))
		}
	}
	return f
}

// planHosts is g's host grants in the launcher's terms.
func planHosts(hosts []hostGrant) []planHost {
	var out []planHost
	for _, h := range hosts {
		ph := planHost{Addr: h.addr.String(), Ports: h.ports}
		if h.name {
			ph.Name = h.host
		}
		out = append(out, ph)
	}
	return out
}

// serve forwards the connections accepted on ln, each to target, until
// the forwarder stops.
func (f *forwarder) serve(ln net.Listener, target string) {
	defer f.wg.Done()
	for {
		select {
		case f.slots <- struct{}{}:
		case <-f.ctx.Done():
			return
		}
		c, err := ln.Accept()
		if err != nil {
			<-f.slots
			return
		}
		f.wg.Add(1)
		go f.forward(c, target)
	}
}

// forward connects c, accepted in the jail, to target and copies both
// ways until both sides are done or the forwarder stops.
func (f *forwarder) forward(c net.Conn, target string) {
	defer f.wg.Done()
	defer func() { <-f.slots }()
	if !f.track(c) {
		return
	}
	defer f.untrack(c)
	up, err := f.dial(f.ctx, "tcp", target)
	if err != nil {
		return
	}
	if !f.track(up) {
		return
	}
	defer f.untrack(up)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		closeWrite(up)
		close(done)
	}()
	_, _ = io.Copy(c, up)
	closeWrite(c)
	<-done
}

// closeWrite half-closes a connection that supports it.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// track registers c to be closed when the forwarder stops; once stopped,
// it closes c and reports false.
func (f *forwarder) track(c io.Closer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.open[c] = struct{}{}
	return true
}

// untrack closes c and forgets it.
func (f *forwarder) untrack(c io.Closer) {
	f.mu.Lock()
	delete(f.open, c)
	f.mu.Unlock()
	_ = c.Close()
}

// stop closes every listening socket and connection; serve and forward
// return.
func (f *forwarder) stop() {
	f.cancel()
	f.mu.Lock()
	f.closed = true
	open := f.open
	f.open = nil
	f.mu.Unlock()
	for c := range open {
		_ = c.Close()
	}
}

// discard releases what an unstarted forwarder holds.
func (f *forwarder) discard() {
	if f.sock != nil {
		_ = f.sock.Close()
		f.sock = nil
	}
	f.stop()
}
