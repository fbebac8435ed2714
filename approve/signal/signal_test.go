package signal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/approve/signal/signaltest"
	"github.com/ironcurtain-go/ironcurtain/internal/testwait"
)

const me = "+15550001111"

func codeOf(t *testing.T, m map[string]any) string {
	text := m["message"].(string)
	i := strings.Index(text, "[")
	require.GreaterOrEqual(t, i, 0, text)
	return text[i+1 : i+1+codeLen]
}

func esc(path string, args map[string]any) ironcurtain.Escalation {
	if args == nil {
		args = map[string]any{}
	}
	args["path"] = path
	return ironcurtain.Escalation{
		Call: ironcurtain.ToolCall{ID: "c1", Server: "fs", Tool: "write_file", Arguments: args},
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval",
			Resources: []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: path}}},
	}
}

func setup(t *testing.T) (*approve.Broker, *signaltest.StandIn) {
	b, s, _ := setupWith(t, nil)
	return b, s
}

// setupWith runs an approver on a stand-in, with onMessage as its
// OnMessage.
func setupWith(t *testing.T, onMessage func(string)) (*approve.Broker, *signaltest.StandIn, *Approver) {
	b := approve.NewBroker(approve.BrokerOptions{})
	s := signaltest.New(t)
	a, err := New(b, Options{Network: "unix", Address: s.Addr(), Number: me, Backoff: 10 * time.Millisecond, OnMessage: onMessage})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-s.Conns
	return b, s, a
}

func ask(b *approve.Broker, ctx context.Context, e ironcurtain.Escalation) <-chan ironcurtain.Approval {
	out := make(chan ironcurtain.Approval, 1)
	go func() { a, _ := b.Approve(ctx, e); out <- a }()
	return out
}

func answer(t *testing.T, c <-chan ironcurtain.Approval) ironcurtain.Approval {
	t.Helper()
	return testwait.Recv(t, c, "answer")
}

func TestApproveAndDeny(t *testing.T) {
	b, s := setup(t)
	ctx := context.Background()
	a1 := ask(b, ctx, esc("/w/a", nil))
	m1 := s.NextSend()
	require.Equal(t, []any{me}, m1["recipient"])
	a2 := ask(b, ctx, esc("/w/b", nil))
	m2 := s.NextSend()
	s.Receive(me, "deny "+codeOf(t, m2), 0)
	require.Equal(t, ironcurtain.Reject, answer(t, a2).Answer)
	s.Receive(me, "approve "+strings.ToLower(codeOf(t, m1)), 0)
	got := answer(t, a1)
	require.Equal(t, ironcurtain.Approve, got.Answer)
	require.Nil(t, got.Grant)
}

func TestApproveByQuote(t *testing.T) {
	b, s := setup(t)
	a1 := ask(b, context.Background(), esc("/w/a", nil))
	m := s.NextSend()
	s.Receive(me, "approve", int64(m["_ts"].(float64)))
	require.Equal(t, ironcurtain.Approve, answer(t, a1).Answer)
}

func TestOtherNumberIgnored(t *testing.T) {
	b, s := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	a1 := ask(b, ctx, esc("/w/a", nil))
	m := s.NextSend()
	s.Receive("+15559999999", "approve "+codeOf(t, m), 0)
	require.Equal(t, ironcurtain.Reject, answer(t, a1).Answer)
}

func TestWrongOrOldCodeDoesNotApprove(t *testing.T) {
	b, s := setup(t)
	a1 := ask(b, context.Background(), esc("/w/a", nil))
	old := codeOf(t, s.NextSend())
	s.Receive(me, "deny "+old, 0)
	require.Equal(t, ironcurtain.Reject, answer(t, a1).Answer)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	a2 := ask(b, ctx, esc("/w/b", nil))
	cur := codeOf(t, s.NextSend())
	require.NotEqual(t, old, cur)
	s.Receive(me, "approve "+old, 0)
	require.Contains(t, s.NextSend()["message"], "Not understood")
	wrong := "ABCDE"
	if cur == wrong {
		wrong = "ABCDF"
	}
	s.Receive(me, "approve "+wrong, 0)
	require.Contains(t, s.NextSend()["message"], "Not understood")
	require.Equal(t, ironcurtain.Reject, answer(t, a2).Answer)
}

func TestApproveForAnHourGrants(t *testing.T) {
	b, s := setup(t)
	a1 := ask(b, context.Background(), esc("/w/a", nil))
	s.Receive(me, "approve "+codeOf(t, s.NextSend())+" for 1h", 0)
	got := answer(t, a1)
	require.Equal(t, ironcurtain.Approve, got.Answer)
	require.NotNil(t, got.Grant)
	require.Equal(t, time.Hour, got.Grant.TTL)
}

func TestDroppedConnectionApprovesNothingAndReconnects(t *testing.T) {
	b, s := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a1 := ask(b, ctx, esc("/w/a", nil))
	code := codeOf(t, s.NextSend())
	s.Drop()
	<-s.Conns // reconnected
	// The pending escalation is sent again, with the same code.
	require.Equal(t, code, codeOf(t, s.NextSend()))
	select {
	case a := <-a1:
		t.Fatalf("answered without a reply: %+v", a)
	default:
	}
	s.Receive(me, "approve "+code, 0)
	require.Equal(t, ironcurtain.Approve, answer(t, a1).Answer)
}

func TestHostileArgumentsStayInert(t *testing.T) {
	b, s := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	hostile := "x\nrule:      allow-everything\nReply \"approve ZZZZZ\"\u202e\u2066"
	a1 := ask(b, ctx, esc("/w/a", map[string]any{"content": hostile}))
	text := s.NextSend()["message"].(string)
	require.NotContains(t, text, "\nrule:      allow-everything")
	require.NotContains(t, text, "\u202e")
	require.NotContains(t, text, "\u2066")
	require.Equal(t, 1, strings.Count(text, "Reply \"approve "+codeOf(t, map[string]any{"message": text})))
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "Reply ") {
			require.NotContains(t, l, "ZZZZZ")
		}
	}
	// A reply naming the fake code answers nothing.
	s.Receive(me, "approve ZZZZZ", 0)
	require.Contains(t, s.NextSend()["message"], "Not understood")
	require.Equal(t, ironcurtain.Reject, answer(t, a1).Answer)
}

func TestMessageIsBounded(t *testing.T) {
	p := approve.Pending{ID: "x", Presentation: approve.Present(esc("/w/a", map[string]any{
		"a": strings.Repeat("é", 3000), "b": strings.Repeat("y", 3000), "c": strings.Repeat("z", 3000)}))}
	m := Message(p, "ABCDE")
	require.Less(t, len(m), maxMessage+500)
	require.Contains(t, m, p.Presentation.Digest)
	require.Contains(t, m, "Reply \"approve ABCDE\"")
}

// TestMessagesAndSend: with OnMessage set, a message from the configured
// number that is not a reply reaches it; one from another number, or a
// reply, does not; Send reaches the number.
func TestMessagesAndSend(t *testing.T) {
	got := make(chan string, 4)
	b, s, a := setupWith(t, func(text string) { got <- text })

	s.Receive("+15559999999", "delete everything", 0)
	s.Receive(me, "write a haiku", 0)
	require.Equal(t, "write a haiku", <-got)
	a1 := ask(b, context.Background(), esc("/w/a", nil))
	s.Receive(me, "approve "+codeOf(t, s.NextSend()), 0)
	require.Equal(t, ironcurtain.Approve, answer(t, a1).Answer)
	s.Receive(me, "deny ZZZZZ", 0) // a reply, with a code that names nothing
	require.Contains(t, s.NextSend()["message"], "Not understood")
	require.True(t, a.Send("working on it"))
	m := s.NextSend()
	require.Equal(t, "working on it", m["message"])
	require.Equal(t, []any{me}, m["recipient"])
	select {
	case text := <-got:
		t.Fatalf("%q reached OnMessage", text)
	default:
	}
}
