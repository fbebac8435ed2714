package approve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testwait"
)

// askBroker starts b.Approve(esc) and returns the escalation's pending entry (as
// the event announcing it carries) and the approval to come.
func askBroker(t *testing.T, ctx context.Context, b *Broker, esc ironcurtain.Escalation) (Pending, <-chan ironcurtain.Approval) {
	t.Helper()
	sub := b.Subscribe()
	defer sub.Close()
	out := make(chan ironcurtain.Approval, 1)
	go func() {
		a, err := b.Approve(ctx, esc)
		require.NoError(t, err)
		out <- a
	}()
	select {
	case e := <-sub.C:
		require.Equal(t, "escalation", e.Kind)
		return *e.Escalation, out
	case <-time.After(10 * time.Second):
		t.Fatal("no escalation event")
	}
	panic("unreachable")
}

func recv(t *testing.T, c <-chan ironcurtain.Approval) ironcurtain.Approval {
	t.Helper()
	return testwait.Recv(t, c, "approval")
}

func TestBrokerApprovesOnlyWhatItPresented(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	esc := escalation(pathRes("write-path", "/w/a.txt"))
	p, out := askBroker(t, context.Background(), b, esc)
	require.Equal(t, Present(esc), p.Presentation)
	require.Len(t, b.Pending(), 1)

	// An approval with another digest, or none, is refused and changes
	// nothing.
	other := strings.Repeat("0", 64)
	require.ErrorIs(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "approve", Digest: other}), ErrDigestMismatch)
	require.ErrorIs(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "approve"}), ErrDigestMismatch)
	require.Error(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "yes", Digest: p.Presentation.Digest}))
	require.ErrorIs(t, b.Decide("t", BrokerDecision{ID: "nope", Decision: "approve", Digest: p.Presentation.Digest}), ErrNoSuchEscalation)
	require.Len(t, b.Pending(), 1)

	require.NoError(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "approve", Digest: p.Presentation.Digest}))
	a := recv(t, out)
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Equal(t, p.Presentation.Digest, a.Arguments)
	require.Nil(t, a.Grant)
	require.Empty(t, b.Pending())
	// The first decision answers; a second finds nothing.
	require.ErrorIs(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "deny"}), ErrNoSuchEscalation)
}

func TestBrokerDeadlineDenies(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	sub := b.Subscribe()
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	a, err := b.Approve(ctx, escalation(pathRes("write-path", "/w/a.txt")))
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Reject, a.Answer)
	require.Empty(t, b.Pending())
	e := <-sub.C
	require.Equal(t, "escalation", e.Kind)
	require.False(t, e.Escalation.Deadline.IsZero())
	id := e.Escalation.ID
	require.Equal(t, Event{Kind: "resolved", ID: id, Outcome: "expired"}, <-sub.C)
}

func TestBrokerGrants(t *testing.T) {
	g, err := NewGrants(GrantsOptions{})
	require.NoError(t, err)
	b := NewBroker(BrokerOptions{MaxTTL: 2 * time.Hour})
	b.SetGrants(g)
	chain := Chain{Grants: g, Human: b}
	sub := b.Subscribe()
	defer sub.Close()

	esc := escalation(pathRes("write-path", "/w/d/a.txt"))
	done := make(chan ironcurtain.Approval, 1)
	go func() {
		a, err := chain.Approve(context.Background(), esc)
		require.NoError(t, err)
		done <- a
	}()
	p := *(<-sub.C).Escalation
	require.True(t, p.Exact)
	require.Equal(t, "write-path within /w/d", p.Scoped)
	d := BrokerDecision{ID: p.ID, Decision: "approve", Scope: ScopeScoped, Digest: p.Presentation.Digest}
	// A grant needs a TTL within the broker's limit; an unknown scope is refused.
	require.Error(t, b.Decide("t", d))
	d.TTL = Duration(3 * time.Hour)
	require.Error(t, b.Decide("t", d))
	d.Scope, d.TTL = "everything", Duration(time.Hour)
	require.Error(t, b.Decide("t", d))
	d.Scope = ScopeScoped
	require.NoError(t, b.Decide("web", d))
	a := recv(t, done)
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.NotNil(t, a.Grant)
	require.Equal(t, time.Hour, a.Grant.TTL)

	require.Equal(t, "resolved", (<-sub.C).Kind)
	require.Equal(t, Event{Kind: "grants"}, <-sub.C) // the Chain kept the grant
	list := b.Grants()
	require.Len(t, list, 1)
	require.Equal(t, a.Grant.ID, list[0].ID)
	require.Equal(t, "write-path within /w/d", list[0].Description)
	require.Equal(t, "web", list[0].By)

	// The grant now answers a call within it without asking the broker.
	a, err = chain.Approve(context.Background(), escalation(pathRes("write-path", "/w/d/b.txt")))
	require.NoError(t, err)
	require.Equal(t, "grant:"+list[0].ID, a.By)

	ok, err := b.Revoke(list[0].ID)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, Event{Kind: "grants"}, <-sub.C)
	require.Empty(t, b.Grants())
}

func TestBrokerScopedNotOffered(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	// Two hosts: no single-domain grant can cover the call.
	esc := escalation(urlRes("fetch-url", "a.example"), urlRes("fetch-url", "b.example"))
	p, out := askBroker(t, context.Background(), b, esc)
	require.Empty(t, p.Scoped)
	require.Error(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "approve", Scope: ScopeScoped, TTL: Duration(time.Hour), Digest: p.Presentation.Digest}))
	require.NoError(t, b.Decide("t", BrokerDecision{ID: p.ID, Decision: "deny"}))
	require.Equal(t, ironcurtain.Reject, recv(t, out).Answer)
}

func TestBrokerDropsSlowSubscriber(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	slow := b.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range subscriptionBuffer + 1 {
		go func() { _, _ = b.Approve(ctx, escalation(pathRes("write-path", "/w/a.txt"))) }()
	}
	require.Eventually(t, func() bool { return len(b.Pending()) == subscriptionBuffer+1 }, 10*time.Second, time.Millisecond)
	n := 0
	for range slow.C {
		n++
	}
	require.Equal(t, subscriptionBuffer, n)
	require.Error(t, slow.Err())
}

// An escalation whose arguments cannot be digested is never pending: no
// approval could be bound to it.
func TestBrokerRejectsUndigestable(t *testing.T) {
	b := NewBroker(BrokerOptions{})
	esc := escalation()
	esc.Call.Arguments = map[string]any{"x": func() {}}
	a, err := b.Approve(context.Background(), esc)
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Reject, a.Answer)
	require.Empty(t, b.Pending())
}
