//go:build linux

package jail

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireNetns skips the test where a jail cannot have a network
// namespace of its own, and returns k with it.
func requireNetns(t testing.TB, k kernel) kernel {
	t.Helper()
	if !netnsWork() {
		t.Skip("no user, mount and network namespaces here (unprivileged user namespaces disabled?)")
	}
	k.netns = true
	return k
}

// twoHosts starts a TCP server on 127.0.0.2 and one on 127.0.0.3, on the
// same port, each answering its name ("allowed", "other") to every
// connection, and a UDP socket on 127.0.0.3 at that port counting what it
// receives. It returns the port, the count, and a dialer that resolves
// allowed.test and other.test to them: the trusted side's resolver.
func twoHosts(t *testing.T) (uint16, *atomic.Int32, func(context.Context, string, string) (net.Conn, error)) {
	t.Helper()
	serve := func(addr, name string) net.Listener {
		return serveConns(t, "tcp", addr, func(c net.Conn) { _, _ = c.Write([]byte(name + "\n")) })
	}
	a := serve("127.0.0.2:0", "allowed")
	port := uint16(a.Addr().(*net.TCPAddr).Port)
	serve(net.JoinHostPort("127.0.0.3", strconv.Itoa(int(port))), "other")
	u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.3", strconv.Itoa(int(port))))
	require.NoError(t, err)
	t.Cleanup(func() { u.Close() })
	var got atomic.Int32
	go func() {
		b := make([]byte, 512)
		for {
			if _, _, err := u.ReadFrom(b); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	names := map[string]string{"allowed.test": "127.0.0.2", "other.test": "127.0.0.3", "2001:db8::7": "127.0.0.2"}
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if ip, ok := names[host]; ok {
			host = ip
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(host, p))
	}
	return port, &got, dial
}

// TestEscapeHosts grants one host and port, by name: the program reaches
// that server by name, and neither the other server on the same port (by
// name, by its address), nor IPv6, nor any address by UDP.
func TestEscapeHosts(t *testing.T) {
	k := requireNetns(t, requireJail(t))
	f := newFixture(t)
	port, udpGot, dial := twoHosts(t)
	at := func(host string) string { return net.JoinHostPort(host, strconv.Itoa(int(port))) }
	p := Policy{Connect: []HostPort{{Host: "allowed.test", Port: port}}, Dial: dial}

	// Without the jail, the other server answers by address, and UDP
	// reaches it.
	require.Equal(t, []string{"other", "ok"}, unjailed(t, "hello:"+at("127.0.0.3"), "udp:"+at("127.0.0.3")))
	require.Eventually(t, func() bool { return udpGot.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	udpGot.Store(0)

	check(t, p, f.env(k), []probeCase{
		{"hello:" + at("allowed.test"), "allowed"},
		{"hello:" + at("ALLOWED.test."), "allowed"},
		{"hello:" + at("other.test"), "!other"},
		{"connect:" + at("other.test"), "!ok"},
		{"hello:" + at("127.0.0.3"), "!other"},
		{"hello:" + at("127.0.0.2"), "!allowed"},
		{"connect:" + at("127.0.0.3"), "!ok"},
		{"connect:" + at("::1"), "!ok"},
		{"connect:" + at("192.0.2.1"), "ENETUNREACH"},
		{"connect:" + at("2001:db8::1"), "ENETUNREACH"},
		{"udp:" + at("127.0.0.3"), "!err"}, // sent, inside the jail's own loopback
		{"udp:192.0.2.1:53", "ENETUNREACH"},
		{"connect:" + at("localhost"), "!ok"},
		{"open-sockets", "0"}, // neither the listening sockets nor the socketpair reach the program
	})
	time.Sleep(100 * time.Millisecond)
	require.Zero(t, udpGot.Load(), "a UDP datagram from the jail reached the other host")
}

// TestHostsAddress grants hosts by IP address, IPv4 and IPv6: each is
// reached at its address, and nothing else.
func TestHostsAddress(t *testing.T) {
	k := requireNetns(t, requireJail(t))
	f := newFixture(t)
	port, _, dial := twoHosts(t)
	at := func(host string) string { return net.JoinHostPort(host, strconv.Itoa(int(port))) }
	p := Policy{Connect: []HostPort{{Host: "127.0.0.2", Port: port}, {Host: "2001:db8::7", Port: port}}, Dial: dial}
	check(t, p, f.env(k), []probeCase{
		{"hello:" + at("127.0.0.2"), "allowed"},
		{"hello:" + at("2001:db8::7"), "allowed"},
		{"connect:" + at("2001:db8::8"), "!ok"},
		{"hello:" + at("127.0.0.3"), "!other"},
		{"connect:" + at("allowed.test"), "!ok"},
	})
}

// TestForwarderStops: the trusted side's listening sockets and forwarded
// connections close when the program exits, however it was waited for.
func TestForwarderStops(t *testing.T) {
	k := requireNetns(t, requireJail(t))
	f := newFixture(t)
	port, _, dial := twoHosts(t)
	p := Policy{Connect: []HostPort{{Host: "allowed.test", Port: port}}, Dial: dial, Env: []string{probeEnv + "=1"}}
	c, err := newCmd(context.Background(), p, f.env(k), testBinary(t), []string{"hello:allowed.test:" + strconv.Itoa(int(port))})
	require.NoError(t, err)
	require.True(t, c.Enforcement.Hosts)
	require.NoError(t, c.Start())
	fwd := c.fwd
	require.NoError(t, c.Cmd.Wait(), "waited for as exec.Cmd, as the MCP client does")
	require.Eventually(t, func() bool {
		fwd.mu.Lock()
		defer fwd.mu.Unlock()
		return fwd.closed && len(fwd.open) == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// TestForwarderBound: at most maxForwarded connections are forwarded at
// once; the rest wait until one ends.
func TestForwarderBound(t *testing.T) {
	var dialled atomic.Int32
	release := make(chan struct{})
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		dialled.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, errors.New("refused")
	}
	fwd := newForwarder(nil, nil, dial)
	defer fwd.stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fwd.track(ln)
	fwd.wg.Add(1)
	go fwd.serve(ln, "x.example:1")
	for range maxForwarded + 10 {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
	}
	require.Eventually(t, func() bool { return dialled.Load() == maxForwarded }, 5*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, int32(maxForwarded), dialled.Load(), "no connection beyond the bound is forwarded")
	close(release)
	require.Eventually(t, func() bool { return dialled.Load() == maxForwarded+10 }, 5*time.Second, time.Millisecond)
}

// TestHostsCLibrary: a program resolving through the C library (git, by
// curl) finds a granted name and connects to it, and finds no other name.
func TestHostsCLibrary(t *testing.T) {
	k := requireNetns(t, requireJail(t))
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	f := newFixture(t)
	port, _, dial := twoHosts(t)
	p := Policy{Connect: []HostPort{{Host: "allowed.test", Port: port}}, Dial: dial}
	lsRemote := func(host string) string {
		c, err := newCmd(context.Background(), p, f.env(k), "git", []string{"ls-remote", "http://" + host + ":" + strconv.Itoa(int(port)) + "/r"})
		require.NoError(t, err)
		out, err := c.CombinedOutput()
		require.Error(t, err, "neither server speaks HTTP")
		return string(out)
	}
	allowed := lsRemote("allowed.test")
	require.NotContains(t, allowed, "resolve")
	require.NotContains(t, allowed, "connect")
	require.Contains(t, lsRemote("other.test"), "Could not resolve host")
}
