package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// guard dials for http_fetch. It resolves the host itself, refuses the
// connection when any resolved address is refused, dials the checked
// addresses only (never the name, so the dialer cannot resolve again), and
// checks the address once more in the socket's Control hook, right before
// connect: what is judged is what is connected to.
type guard struct {
	allow    allowList
	ports    func(uint16) bool
	resolver Resolver
	// dial connects to one literal address. It is a net.Dialer with control
	// as its ControlContext; tests replace it to stand in for a remote host.
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

func newGuard(c *config) *guard {
	g := &guard{allow: c.allow, ports: c.portAllowed, resolver: c.resolver}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
	g.dial = d.DialContext
	return g
}

// portError reports a port outside the allowed set.
type portError struct{ port uint16 }

func (e *portError) Error() string {
	return "web: port " + strconv.Itoa(int(e.port)) + " is not allowed"
}

// resolveError reports a failed lookup. Its Describe hides the resolver's
// own text, which can name internal DNS servers; its Error, for the
// operator, includes it.
type resolveError struct {
	host     string
	notFound bool
	err      error
}

// Describe says what failed without the resolver's details, for the agent.
func (e *resolveError) Describe() string {
	if e.notFound {
		return "no such host " + strconv.Quote(e.host)
	}
	return "could not resolve " + strconv.Quote(e.host)
}

func (e *resolveError) Error() string { return e.Describe() + ": " + e.err.Error() }

func (e *resolveError) Unwrap() error { return e.err }

// dialContext is the Transport's DialContext.
func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("web: bad port %q", portText)
	}
	if !g.ports(uint16(port)) {
		return nil, &portError{uint16(port)}
	}
	addrs, err := g.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	// One refused address refuses the host: an answer that mixes public and
	// internal addresses is the signature of a rebinding attempt.
	for _, a := range addrs {
		if err := g.allow.check(a); err != nil {
			return nil, err
		}
	}
	var first error
	for _, a := range addrs {
		conn, err := g.dial(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

func (g *guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	lookup := "ip"
	switch network {
	case "tcp4":
		lookup = "ip4"
	case "tcp6":
		lookup = "ip6"
	}
	addrs, err := g.resolver.LookupNetIP(ctx, lookup, host)
	if err != nil {
		var dnsErr *net.DNSError
		return nil, &resolveError{host: host, notFound: errors.As(err, &dnsErr) && dnsErr.IsNotFound, err: err}
	}
	if len(addrs) == 0 {
		return nil, &resolveError{host: host, notFound: true, err: errors.New("no addresses")}
	}
	return addrs, nil
}

// control runs right before connect(2) with the address being connected to.
func (g *guard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("web: cannot check the address %q: %w", address, ErrBlockedAddress)
	}
	if !g.ports(ap.Port()) {
		return &portError{ap.Port()}
	}
	return g.allow.check(ap.Addr())
}
