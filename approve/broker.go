package approve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Scopes a [BrokerDecision] may ask for.
const (
	// ScopeOnce approves this call only.
	ScopeOnce = "once"
	// ScopeExact approves and keeps a grant for these exact arguments.
	ScopeExact = "exact"
	// ScopeScoped approves and keeps the broader grant [ScopedGrant]
	// offers (paths within a directory, URLs on a host).
	ScopeScoped = "scoped"
)

// Errors a [Broker] refuses a decision with.
var (
	// ErrNoSuchEscalation: the id names no pending escalation (it was
	// never one, was answered already, or its deadline passed).
	ErrNoSuchEscalation = errors.New("approve: no such pending escalation")
	// ErrDigestMismatch: an approval carries a digest other than the one of
	// the arguments presented, so the front end did not show what it
	// approves.
	ErrDigestMismatch = errors.New("approve: the decision's digest is not that of the arguments presented")
)

// BrokerOptions configures a [Broker].
type BrokerOptions struct {
	// Grants, when set, is the store whose grants the broker lists and
	// revokes for its front ends. It can also be set later with
	// [Broker.SetGrants] (the store is often made after the approver).
	Grants *Grants
	// MaxTTL caps the lifetime of a grant a front end asks for. Zero means
	// DefaultMaxTTL. (The grant store caps it again with its own maximum.)
	MaxTTL time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Broker holds escalations until a front end answers them: a web page, a
// messenger, a program on the escalation socket ([Broker.Serve]). It is the
// [ironcurtain.Approver] a Gate asks (as a Chain's Human), and front ends
// read [Broker.Pending], follow [Broker.Subscribe] and answer with
// [Broker.Decide].
//
// Each escalation gets a random id and is presented with [Present]. An
// approval must carry that presentation's digest, so a front end can only
// approve the arguments it showed; one with another digest is refused and
// the escalation stays pending. The first valid decision answers; no
// decision before the escalation's context is done (the Gate's deadline)
// is a denial. Grants a decision asks for are only those the broker offers
// for the call ([ExactGrant], [ScopedGrant]), for a TTL the front end
// chooses up to MaxTTL; the Chain keeps them, after checking them again.
//
// Broker is safe for concurrent use.
type Broker struct {
	maxTTL time.Duration
	now    func() time.Time

	mu      sync.Mutex
	grants  *Grants
	pending map[string]*pendingEsc
	order   []string // pending ids, oldest first
	subs    map[*Subscription]struct{}
}

// Pending is an escalation waiting for an answer, as front ends see it.
// Everything in it that an agent could influence is escaped (see
// [Presentation]).
type Pending struct {
	// ID names the escalation in decisions.
	ID string `json:"id"`
	// Presentation is the call as [Present] renders it; its Digest is what
	// an approval must carry.
	Presentation Presentation `json:"presentation"`
	// Exact reports whether a grant for these exact arguments is offered.
	Exact bool `json:"exact"`
	// Scoped describes the broader grant offered (ScopeScoped), "" when
	// none is.
	Scoped string `json:"scoped,omitempty"`
	// MaxTTL is the longest grant a decision may ask for.
	MaxTTL Duration `json:"maxTTL"`
	// Since is when the escalation arrived; Deadline, when set, is when it
	// is denied without an answer.
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline,omitzero"`
}

// BrokerDecision is a front end's answer to one escalation.
type BrokerDecision struct {
	// ID is the escalation's.
	ID string `json:"id"`
	// Decision is "approve" or "deny".
	Decision string `json:"decision"`
	// Scope, for an approval, is ScopeOnce (the default), ScopeExact or
	// ScopeScoped.
	Scope string `json:"scope,omitempty"`
	// TTL is how long a grant (ScopeExact, ScopeScoped) lasts: positive,
	// at most the broker's MaxTTL.
	TTL Duration `json:"ttl,omitzero"`
	// Digest must be the presentation's Digest for an approval. A denial
	// needs none, and ignores Scope and TTL.
	Digest string `json:"digest,omitempty"`
	// Reason, for a denial, says why, for the audit log; "" means "denied
	// by" the front end. Only a front end in this process can give one: it
	// is not read from JSON.
	Reason string `json:"-"`
}

// Duration is a time.Duration that JSON encodes as Go writes it ("1h30m")
// and decodes from that form.
type Duration time.Duration

// MarshalText encodes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText decodes a Go duration ("90s", "1h").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Event is what a [Subscription] receives.
type Event struct {
	// Kind is "escalation" (a new one, in Escalation), "resolved" (ID was
	// answered or timed out, as Outcome says) or "grants" (the grants in
	// force changed).
	Kind       string   `json:"event"`
	Escalation *Pending `json:"escalation,omitempty"`
	ID         string   `json:"id,omitempty"`
	// Outcome is "approved", "denied" or "expired".
	Outcome string `json:"outcome,omitempty"`
	// By names the front end that answered.
	By string `json:"by,omitempty"`
}

// subscriptionBuffer is how many events a subscriber may fall behind by
// before it is dropped.
const subscriptionBuffer = 64

// Subscription receives a broker's events on C, in order. A subscriber that
// falls too far behind is dropped: C is closed and Err says so; it should
// subscribe again and read Pending anew.
type Subscription struct {
	// C delivers the events.
	C <-chan Event

	c      chan Event
	b      *Broker
	mu     sync.Mutex
	err    error
	closed bool
}

// Err reports why C was closed: nil after Close, an error when the
// subscriber fell behind.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.end(nil)
}

// end closes C once; b.mu is held.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed, s.err = true, err
	delete(s.b.subs, s)
	close(s.c)
}

type pendingEsc struct {
	info   Pending
	esc    ironcurtain.Escalation
	exact  ironcurtain.Grant
	scoped ironcurtain.Grant
	answer chan ironcurtain.Approval // buffered; receives exactly one
}

// NewBroker returns a broker with nothing pending.
func NewBroker(opts BrokerOptions) *Broker {
	b := &Broker{maxTTL: opts.MaxTTL, now: opts.Now, pending: map[string]*pendingEsc{}, subs: map[*Subscription]struct{}{}}
	if b.maxTTL <= 0 {
		b.maxTTL = DefaultMaxTTL
	}
	if b.now == nil {
		b.now = time.Now
	}
	if opts.Grants != nil {
		b.SetGrants(opts.Grants)
	}
	return b
}

// SetGrants makes g the store the broker lists and revokes, and has its
// changes announced to subscribers as "grants" events.
func (b *Broker) SetGrants(g *Grants) {
	b.mu.Lock()
	b.grants = g
	b.mu.Unlock()
	g.Watch(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.grants == g {
			b.publish(Event{Kind: "grants"})
		}
	})
}

func brokerReject(reason string) ironcurtain.Approval {
	return ironcurtain.Approval{Answer: ironcurtain.Reject, By: "broker", Reason: reason}
}

// Approve holds esc until a front end decides or ctx is done; see [Broker].
func (b *Broker) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	shown := Present(esc)
	if shown.Digest == "" {
		return brokerReject("the arguments cannot be shown"), nil
	}
	var idb [12]byte
	_, _ = rand.Read(idb[:])
	p := &pendingEsc{esc: esc, answer: make(chan ironcurtain.Approval, 1)}
	p.info = Pending{ID: hex.EncodeToString(idb[:]), Presentation: shown, MaxTTL: Duration(b.maxTTL), Since: b.now()}
	if dl, ok := ctx.Deadline(); ok {
		p.info.Deadline = dl
	}
	var err error
	if p.exact, err = ExactGrant(esc, b.maxTTL); err == nil {
		p.info.Exact = true
	}
	if g, ok := ScopedGrant(esc, b.maxTTL); ok {
		p.scoped = g
		p.info.Scoped = escape(describe(g))
	}

	b.mu.Lock()
	b.pending[p.info.ID] = p
	b.order = append(b.order, p.info.ID)
	info := p.info
	b.publish(Event{Kind: "escalation", Escalation: &info})
	b.mu.Unlock()

	select {
	case a := <-p.answer:
		return a, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.remove(p.info.ID) {
		b.publish(Event{Kind: "resolved", ID: p.info.ID, Outcome: "expired"})
	}
	// Also when a decision raced the deadline: the Gate would refuse a late
	// approval anyway.
	return brokerReject("no answer before the deadline"), nil
}

// remove drops id from the pending set; b.mu is held. It reports whether it
// was there.
func (b *Broker) remove(id string) bool {
	if _, ok := b.pending[id]; !ok {
		return false
	}
	delete(b.pending, id)
	b.order = slices.DeleteFunc(b.order, func(s string) bool { return s == id })
	return true
}

// Pending returns the escalations waiting for an answer, oldest first.
func (b *Broker) Pending() []Pending {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Pending, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.pending[id].info)
	}
	return out
}

// Decide answers a pending escalation on behalf of the front end by ("web",
// "socket", ...). A decision that is not valid — an unknown id, an
// approval without the presented digest, a scope not offered, a TTL out of
// range, an unknown decision — is refused with an error and changes
// nothing: the escalation stays pending.
func (b *Broker) Decide(by string, d BrokerDecision) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.pending[d.ID]
	if !ok {
		return ErrNoSuchEscalation
	}
	var a ironcurtain.Approval
	switch d.Decision {
	case "deny": // its scope, TTL and digest do not matter
		a = ironcurtain.Approval{Answer: ironcurtain.Reject, By: by, Reason: d.Reason}
		if a.Reason == "" {
			a.Reason = "denied by " + by
		}
	case "approve":
		if d.Digest != p.info.Presentation.Digest {
			return ErrDigestMismatch
		}
		a = p.info.Presentation.Approval(by, "")
		switch d.Scope {
		case "", ScopeOnce:
			if d.TTL != 0 {
				return errors.New("approve: an approval for once takes no TTL")
			}
			a.Reason = "approved once by " + by
		case ScopeExact, ScopeScoped:
			ttl := time.Duration(d.TTL)
			if ttl <= 0 || ttl > b.maxTTL {
				return fmt.Errorf("approve: a grant's TTL must be positive and at most %s", b.maxTTL)
			}
			g := p.exact
			if d.Scope == ScopeScoped {
				g = p.scoped
			}
			if (d.Scope == ScopeExact && !p.info.Exact) || (d.Scope == ScopeScoped && p.info.Scoped == "") {
				return fmt.Errorf("approve: no %s grant is offered for this call", d.Scope)
			}
			g.Scopes = slices.Clone(g.Scopes)
			g.TTL = ttl
			a.Grant = &g
			a.Reason = fmt.Sprintf("approved by %s, with a grant for %s for %s", by, describe(g), ttl)
		default:
			return fmt.Errorf("approve: unknown scope %q (want once, exact or scoped)", d.Scope)
		}
	default:
		return fmt.Errorf("approve: unknown decision %q (want approve or deny)", d.Decision)
	}
	b.remove(d.ID)
	p.answer <- a
	outcome := "denied"
	if a.Answer == ironcurtain.Approve {
		outcome = "approved"
	}
	b.publish(Event{Kind: "resolved", ID: d.ID, Outcome: outcome, By: escape(by)})
	return nil
}

// Grants returns the grants in force, escaped, or none when the broker has
// no store.
func (b *Broker) Grants() []GrantInfo {
	b.mu.Lock()
	g := b.grants
	b.mu.Unlock()
	if g == nil {
		return []GrantInfo{}
	}
	return g.List()
}

// Revoke removes a grant from the store. It reports whether there was one.
func (b *Broker) Revoke(id string) (bool, error) {
	b.mu.Lock()
	g := b.grants
	b.mu.Unlock()
	if g == nil {
		return false, nil
	}
	return g.Revoke(id)
}

// Subscribe returns a subscription to the broker's events from now on.
func (b *Broker) Subscribe() *Subscription {
	c := make(chan Event, subscriptionBuffer)
	s := &Subscription{C: c, c: c, b: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[s] = struct{}{}
	return s
}

// publish sends e to every subscriber, dropping those that fell behind;
// b.mu is held.
func (b *Broker) publish(e Event) {
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.end(errors.New("approve: the subscriber fell behind and was dropped"))
		}
	}
}
