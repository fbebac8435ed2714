package approve

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/unixsock"
)

// socketClient is a front end on the escalation socket.
type socketClient struct {
	t  *testing.T
	c  net.Conn
	sc *bufio.Scanner
	// events are the events reply read past while it waited for its
	// reply; next returns them first, in order. The broker may send an
	// event (a resolution) before the reply to the decision that caused it.
	events []map[string]any
}

func dialSocket(t *testing.T, path string) *socketClient {
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 1<<20)
	return &socketClient{t: t, c: c, sc: sc}
}

func (s *socketClient) send(line string) {
	_, err := s.c.Write([]byte(line + "\n"))
	require.NoError(s.t, err)
}

// next reads the next line as a generic object.
func (s *socketClient) next() map[string]any {
	s.t.Helper()
	if len(s.events) > 0 {
		m := s.events[0]
		s.events = s.events[1:]
		return m
	}
	return s.read()
}

// read reads the next line from the socket.
func (s *socketClient) read() map[string]any {
	s.t.Helper()
	require.NoError(s.t, s.c.SetReadDeadline(time.Now().Add(10*time.Second)))
	require.True(s.t, s.sc.Scan(), "no line: %v", s.sc.Err())
	var m map[string]any
	require.NoError(s.t, json.Unmarshal(s.sc.Bytes(), &m), s.sc.Text())
	return m
}

// reply reads lines until the reply to op, skipping events.
func (s *socketClient) reply(op string) map[string]any {
	s.t.Helper()
	for {
		m := s.read()
		if m["reply"] == op || m["reply"] == "error" {
			return m
		}
		if m["event"] != nil {
			s.events = append(s.events, m)
		}
	}
}

func serveSocket(t *testing.T, b *Broker) string {
	path := filepath.Join(t.TempDir(), "escalations.sock")
	ln, err := unixsock.Listen(path)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- b.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return path
}

func TestSocketProtocol(t *testing.T) {
	g, err := NewGrants(GrantsOptions{})
	require.NoError(t, err)
	b := NewBroker(BrokerOptions{Grants: g})
	path := serveSocket(t, b)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	cl := dialSocket(t, path)
	cl.send(`{"op":"subscribe"}`)
	require.Equal(t, true, cl.reply("subscribe")["ok"])

	esc := escalation(pathRes("write-path", "/w/d/a.txt"))
	done := make(chan ironcurtain.Approval, 1)
	go func() {
		a, _ := Chain{Grants: g, Human: b}.Approve(context.Background(), esc)
		done <- a
	}()
	ev := cl.next()
	require.Equal(t, "escalation", ev["event"])
	p := ev["escalation"].(map[string]any)
	id := p["id"].(string)
	digest := p["presentation"].(map[string]any)["Digest"].(string)
	require.Equal(t, Present(esc).Digest, digest)

	cl.send(`{"op":"pending"}`)
	rep := cl.reply("pending")
	require.Len(t, rep["pending"], 1)

	// Attacks: bad JSON, unknown fields, an unknown op, another digest.
	for _, bad := range []string{
		`{"op":"decide"`,
		`{"op":"decide","id":"` + id + `","decision":"approve","digest":"` + digest + `","grant":{"scopes":[]}}`,
		`{"op":"approve-all"}`,
		`{"op":"pending"} {"op":"pending"}`,
	} {
		cl.send(bad)
		rep := cl.reply("error")
		require.Equal(t, false, rep["ok"], bad)
	}
	cl.send(`{"op":"decide","id":"` + id + `","decision":"approve","digest":"` + strings.Repeat("a", 64) + `"}`)
	rep = cl.reply("decide")
	require.Equal(t, false, rep["ok"])
	require.Contains(t, rep["error"], "digest")
	require.Len(t, b.Pending(), 1)

	cl.send(`{"op":"decide","id":"` + id + `","decision":"approve","scope":"scoped","ttl":"30m","digest":"` + digest + `"}`)
	require.Equal(t, true, cl.reply("decide")["ok"])
	a := <-done
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Equal(t, "socket", a.By)
	require.Equal(t, 30*time.Minute, a.Grant.TTL)

	require.Eventually(t, func() bool { return len(b.Grants()) == 1 }, 10*time.Second, time.Millisecond)
	cl.send(`{"op":"grants"}`)
	rep = cl.reply("grants")
	grants := rep["grants"].([]any)
	require.Len(t, grants, 1)
	gid := grants[0].(map[string]any)["id"].(string)
	cl.send(`{"op":"revoke","id":"` + gid + `"}`)
	rep = cl.reply("revoke")
	require.Equal(t, true, rep["revoked"])
	require.Empty(t, b.Grants())
}

func TestSocketOverlongLineEndsConnection(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	cl := dialSocket(t, serveSocket(t, b))
	cl.send(`{"op":"pending","id":"` + strings.Repeat("x", MaxSocketLine) + `"}`)
	require.NoError(t, cl.c.SetReadDeadline(time.Now().Add(10*time.Second)))
	require.False(t, cl.sc.Scan())
}

func FuzzSocketRequest(f *testing.F) {
	for _, s := range []string{
		`{"op":"pending"}`, `{"op":"decide","id":"x","decision":"approve","scope":"exact","ttl":"1h","digest":"d"}`,
		`{"op":"revoke","id":"g"}`, `{"op":"subscribe"}`, `{"op":"grants"}`, `{"op":"decide","ttl":"-1h"}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	esc := escalation(pathRes("write-path", "/w/d/a.txt"))
	digest := Present(esc).Digest
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseSocketRequest(line)
		if err != nil {
			return
		}
		require.Contains(t, []string{"pending", "decide", "grants", "revoke", "subscribe"}, r.Op)
		if r.Op != "decide" {
			return
		}
		// Whatever a front end sends, an approval is bound to the digest
		// presented and a grant to the TTL limit.
		b := NewBroker(BrokerOptions{MaxTTL: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p, out := askBroker(t, ctx, b, esc)
		r.ID = p.ID
		err = b.Decide("fuzz", BrokerDecision{ID: r.ID, Decision: r.Decision, Scope: r.Scope, TTL: r.TTL, Digest: r.Digest})
		if err != nil {
			require.Len(t, b.Pending(), 1)
			return
		}
		a := recv(t, out)
		if a.Answer == ironcurtain.Approve {
			require.Equal(t, digest, r.Digest)
			require.Equal(t, digest, a.Arguments)
			if a.Grant != nil {
				require.Positive(t, a.Grant.TTL)
				require.LessOrEqual(t, a.Grant.TTL, time.Hour)
			}
		}
	})
}
