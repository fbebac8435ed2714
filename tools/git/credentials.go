package git

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials reach git without touching a file, an argument or an
// environment variable. For every network invocation the server listens
// on a fresh Unix socket in its private directory (mode 0700) and sets
//
//	credential.helper=            (clears every configured helper)
//	credential.helper=cache --socket <that socket>
//
// git's own credential-cache client then forwards each request to the
// socket, and the server answers from the vault. The server speaks the
// cache daemon's side of the protocol: "action=get|store|erase",
// "timeout=N", then the credential attributes, then end of stream. Only
// "get" is answered, only for protocol=https and only for hosts listed in
// Options.Credentials; "store" and "erase" are read and ignored, so
// nothing is ever cached. The socket is removed when the invocation
// ends. No helper binary is needed: the client ships with git.

// credRequest is one request of git's credential-cache client.
type credRequest struct {
	action   string
	protocol string
	host     string
}

// maxCredRequest bounds a request read from the socket.
const maxCredRequest = 64 << 10

// parseCredRequest parses a credential-cache request.
func parseCredRequest(b []byte) (credRequest, error) {
	var r credRequest
	if len(b) > maxCredRequest {
		return r, fmt.Errorf("credential request of %d bytes is too long", len(b))
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return credRequest{}, fmt.Errorf("malformed credential line %q", line)
		}
		switch k {
		case "action":
			r.action = v
		case "protocol":
			r.protocol = v
		case "host":
			r.host = strings.ToLower(v)
		}
	}
	if r.action == "" {
		return credRequest{}, fmt.Errorf("credential request without an action")
	}
	return r, nil
}

// credServer answers one invocation's credential requests.
type credServer struct {
	s       *Server
	ctx     context.Context
	ln      net.Listener
	path    string
	wg      sync.WaitGroup
	mu      sync.Mutex
	secrets []string // values handed out, scrubbed from the output
}

// startCredentials listens on a fresh socket for one invocation.
func (s *Server) startCredentials(ctx context.Context) (*credServer, error) {
	path := filepath.Join(s.sockets, "c"+strconv.FormatUint(s.seq.Add(1), 10))
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("git: credential socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("git: credential socket: %w", err)
	}
	if u := s.cfg.runAs; u != nil {
		if err := os.Lchown(path, u.UID, u.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("git: credential socket: %w", err)
		}
	}
	c := &credServer{s: s, ctx: ctx, ln: ln, path: path}
	c.wg.Go(c.serve)
	return c, nil
}

// helperConfig points git at the socket.
func (c *credServer) helperConfig() configEntry {
	return configEntry{"credential.helper", "cache --socket " + shellQuote(c.path)}
}

func (c *credServer) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.handle(conn)
	}
}

// handle answers one connection. git's client writes the request, shuts
// down its side for writing, and copies whatever comes back to git.
func (c *credServer) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(io.LimitReader(conn, maxCredRequest+1))
	if err != nil {
		return
	}
	req, err := parseCredRequest(b)
	if err != nil || req.action != "get" || req.protocol != "https" {
		return
	}
	cred, ok := c.s.cfg.creds[req.host]
	if !ok {
		return
	}
	secret, err := c.s.cfg.vault.Credential(c.ctx, cred.Name)
	if err != nil || secret.IsZero() {
		return
	}
	value := secret.Reveal()
	if strings.ContainsAny(value, "\n\x00") {
		return // git would misread it; never send a broken credential
	}
	c.mu.Lock()
	c.secrets = append(c.secrets, value)
	c.mu.Unlock()
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "username=%s\npassword=%s\n", cred.Username, value)
	_ = w.Flush()
}

// close stops listening, waits for the handler and removes the socket.
func (c *credServer) close() {
	c.ln.Close()
	c.wg.Wait()
	_ = os.Remove(c.path)
}

// scrub replaces every credential handed out with "[redacted]". git does
// not print credentials; this is a second line of defence.
func (c *credServer) scrub(b []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.secrets {
		b = bytes.ReplaceAll(b, []byte(v), []byte("[redacted]"))
	}
	return b
}
