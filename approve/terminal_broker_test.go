package approve

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// termAndSocket is a broker with the terminal and a third-party client on
// the escalation socket both attached, the client subscribed.
func termAndSocket(t *testing.T) (*Broker, *fakeTTY, *socketClient) {
	b := NewBroker(BrokerOptions{})
	sc := dialSocket(t, serveSocket(t, b))
	sc.send(`{"op":"subscribe"}`)
	require.Equal(t, true, sc.reply("subscribe")["ok"])
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- term.Serve(ctx, b) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-served, context.Canceled)
		_ = tty.keys.Close()
	})
	return b, tty, sc
}

func approveAsync(b *Broker, e ironcurtain.Escalation) chan result {
	out := make(chan result, 1)
	go func() {
		a, err := b.Approve(context.Background(), e)
		out <- result{a, err}
	}()
	return out
}

// nextEvent reads the socket's next event, which must be of kind.
func nextEvent(t *testing.T, sc *socketClient, kind string) map[string]any {
	t.Helper()
	m := sc.next()
	require.Equal(t, kind, m["event"], "%v", m)
	return m
}

// TestTermSocketFirstWins: with the terminal and a program on
// the escalation socket both attached, whichever answers first decides,
// once; the other sees the escalation resolved and cannot answer it again.
func TestTermSocketFirstWins(t *testing.T) {
	// Subtests have short names: a socket path is bounded.
	t.Run("socket", func(t *testing.T) {
		b, tty, sc := termAndSocket(t)
		res := approveAsync(b, escalation(pathRes("write-path", "/w/a.txt")))
		ev := nextEvent(t, sc, "escalation")["escalation"].(map[string]any)
		require.Contains(t, <-tty.wrote, "approve? ", "the terminal shows the same escalation")
		id, digest := ev["id"].(string), ev["presentation"].(map[string]any)["Digest"].(string)
		sc.send(fmt.Sprintf(`{"op":"decide","id":%q,"decision":"approve","digest":%q}`, id, digest))
		require.Equal(t, true, sc.reply("decide")["ok"])
		r := <-res
		require.Equal(t, ironcurtain.Approve, r.a.Answer)
		require.Equal(t, "socket", r.a.By)
		resolved := nextEvent(t, sc, "resolved")
		require.Equal(t, id, resolved["id"])
		require.Equal(t, "socket", resolved["by"])
		require.Equal(t, "\napproved elsewhere (by socket)\n", <-tty.wrote, "the terminal withdraws its prompt")

		// The person's late answer decides nothing: no second resolution
		// reaches the socket before the next escalation, and the next
		// prompt is not answered by it either.
		for len(tty.reads) > 0 {
			<-tty.reads
		}
		tty.type_(t, "n\n")
		<-tty.reads // the reader has tagged the line and come back for more
		res2 := approveAsync(b, escalation(pathRes("write-path", "/w/b.txt")))
		ev2 := nextEvent(t, sc, "escalation")["escalation"].(map[string]any)
		require.NotEqual(t, id, ev2["id"])
		require.Contains(t, <-tty.wrote, "/w/b.txt")
		tty.type_(t, "y\n")
		r2 := <-res2
		require.Equal(t, ironcurtain.Approve, r2.a.Answer)
		require.Equal(t, "terminal", r2.a.By)
		require.Equal(t, ev2["id"], nextEvent(t, sc, "resolved")["id"])
	})
	t.Run("term", func(t *testing.T) {
		b, tty, sc := termAndSocket(t)
		res := approveAsync(b, escalation(pathRes("write-path", "/w/a.txt")))
		ev := nextEvent(t, sc, "escalation")["escalation"].(map[string]any)
		require.True(t, strings.HasSuffix(<-tty.wrote, "approve? "))
		tty.type_(t, "n\n")
		r := <-res
		require.Equal(t, ironcurtain.Reject, r.a.Answer)
		require.Equal(t, "terminal", r.a.By)
		require.Equal(t, "denied\n", <-tty.wrote)
		resolved := nextEvent(t, sc, "resolved")
		require.Equal(t, ev["id"], resolved["id"])
		require.Equal(t, "denied", resolved["outcome"])
		require.Equal(t, "terminal", resolved["by"])

		// The socket's approval, too late, is refused and changes nothing.
		sc.send(fmt.Sprintf(`{"op":"decide","id":%q,"decision":"approve","digest":%q}`, ev["id"], ev["presentation"].(map[string]any)["Digest"]))
		rep := sc.reply("decide")
		require.Equal(t, false, rep["ok"])
		require.Contains(t, rep["error"], ErrNoSuchEscalation.Error())
		require.Empty(t, b.Pending())
		select {
		case w := <-tty.wrote:
			t.Fatalf("the terminal wrote %q after its answer", w)
		case <-time.After(50 * time.Millisecond):
		}
	})
}

// TestTerminalServeWithoutTerminal: Serve without a terminal fails at
// once, leaving the escalations to the other front ends.
func TestTerminalServeWithoutTerminal(t *testing.T) {
	term := &Terminal{ttyPath: "/nonexistent/tty"}
	require.ErrorContains(t, term.Serve(context.Background(), NewBroker(BrokerOptions{})), "no terminal attached")
}
