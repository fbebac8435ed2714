package llm

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// handshakeTimeout bounds the TLS handshake inside a CONNECT tunnel.
const handshakeTimeout = 10 * time.Second

// connect answers CONNECT host:443: refused unless host belongs to a
// provider; otherwise the connection is taken over, TLS is terminated with
// a certificate for host, and the decrypted connection is handed to the
// session's inner HTTP server.
func (s *Session) connect(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	host, err := splitConnectTarget(r.Host)
	if err != nil {
		s.refuseConnect(w, r, start, "", refuse(http.StatusForbidden, "%v", err))
		return
	}
	if s.proxy.table.byHost[host] == nil {
		s.refuseConnect(w, r, start, host, refuse(http.StatusForbidden, "host %s is not an allowed LLM API host", host))
		return
	}
	if s.isClosed() {
		s.refuseConnect(w, r, start, host, refuse(http.StatusForbidden, "the session is closed"))
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.proxy.log.Warn("llm: cannot take over a CONNECT connection", "err", err)
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	var raw net.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 {
		// The client sent its ClientHello without waiting for our answer.
		raw = &prefixConn{Conn: conn, r: brw.Reader}
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if hello.ServerName != "" && normalizeHost(hello.ServerName) != host {
				return nil, fmt.Errorf("llm: SNI %q does not match CONNECT host %s", hello.ServerName, host)
			}
			return s.proxy.ca.Leaf(host)
		},
	}
	tc := tls.Server(raw, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err = tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.proxy.log.Info("llm: TLS handshake in a tunnel failed", "host", host, "err", err)
		tc.Close()
		return
	}
	if !s.inner.push(&tunnelConn{Conn: tc, host: host}) {
		tc.Close()
	}
}

// prefixConn reads first what a bufio.Reader already holds.
type prefixConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tunnelConn is a decrypted connection from a CONNECT tunnel to host.
type tunnelConn struct {
	net.Conn
	host string
}

type tunnelHostKey struct{}

// innerServer serves the HTTP requests inside every tunnel of a session:
// one http.Server fed by a listener of handed-over connections.
type innerServer struct {
	srv *http.Server
	ln  *chanListener
}

func newInnerServer(s *Session) *innerServer {
	in := &innerServer{ln: newChanListener()}
	in.srv = &http.Server{
		Handler:           http.HandlerFunc(s.forwardTunnel),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          s.proxy.serverLog,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*tunnelConn); ok {
				return context.WithValue(ctx, tunnelHostKey{}, tc.host)
			}
			return ctx
		},
	}
	go in.srv.Serve(in.ln)
	return in
}

func (in *innerServer) push(c net.Conn) bool { return in.ln.push(c) }

func (in *innerServer) close() {
	in.srv.Close()
	in.ln.Close()
}

// chanListener is a net.Listener whose connections are pushed in.
type chanListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return tunnelAddr{} }

type tunnelAddr struct{}

func (tunnelAddr) Network() string { return "tunnel" }
func (tunnelAddr) String() string  { return "tunnel" }

// errNoTunnel is a programming error: a tunnel request without its host.
var errNoTunnel = errors.New("llm: request without a tunnel host")
