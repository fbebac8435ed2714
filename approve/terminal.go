package approve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Terminal asks a person at a terminal. It is a front end of a [Broker],
// like the web page and the Signal approver: [Terminal.Serve] shows a
// broker's escalations one at a time, and [Terminal.Approve] (a Terminal
// used directly as an [ironcurtain.Approver]) holds each escalation in a
// broker of the Terminal's own that it serves. So an escalation takes the
// same path whoever answers it: Gate, Broker, front ends, and the first
// answer wins; a prompt whose escalation another front end answered (or
// whose deadline passed) says so and is withdrawn.
//
// It prints the escalated call as [Present] renders it — the canonical
// resources, rule and reason first and never cut, the arguments' digest,
// then each other argument cut on its own with its size — and reads the
// answer: y approves once; e and s (offered when GrantTTL is set) approve
// and ask for a grant of these exact arguments or of the scope shown;
// anything else, or end of input, denies, and no answer before the
// escalation's deadline is a denial.
//
// It uses the controlling terminal (/dev/tty), never standard input or
// output, so that a tool protocol on stdio (an MCP server) is never
// disturbed. Without a terminal, Approve rejects with the reason "no
// terminal attached" and Serve returns an error. Everything shown that the
// agent could influence is escaped: control characters, newlines, ANSI
// escape sequences and invisible or bidirectional formatting characters
// appear as escapes, so an agent cannot forge prompt text. An approval
// carries the digest shown, so the Gate runs only the arguments the person
// saw. Lines typed before a prompt appears never answer it.
//
// Only one prompt is shown at a time; concurrent escalations wait their
// turn, each within its own deadline. A Terminal serves one broker: use
// either Approve or Serve, once. Use a Terminal by pointer; its zero value
// is ready to use. Close it to release the terminal.
type Terminal struct {
	// TTY is the terminal. Nil means /dev/tty, opened on first use. Tests
	// pass a pipe or a fake.
	TTY io.ReadWriter
	// GrantTTL, when positive, offers to turn an approval into a grant
	// lasting this long (at most the broker's MaxTTL).
	GrantTTL time.Duration

	ttyPath string // "" means /dev/tty; tests point it elsewhere

	once    sync.Once
	openErr error
	rw      io.ReadWriter
	owned   *os.File // the terminal Terminal opened itself
	lines   chan line
	ended   context.Context // done when the terminal's input ends
	end     context.CancelFunc
	serving sync.Mutex // held by the one front end reading lines

	ownOnce sync.Once
	own     *Broker // the broker Approve holds escalations in

	mu  sync.Mutex
	gen uint64 // counts prompts; a line read before a prompt carries an older value
}

type line struct {
	text string
	gen  uint64
}

func (t *Terminal) start() error {
	t.once.Do(func() {
		t.rw = t.TTY
		if t.rw == nil {
			p := t.ttyPath
			if p == "" {
				p = "/dev/tty"
			}
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.openErr = err
				return
			}
			t.rw, t.owned = f, f
		}
		t.lines = make(chan line, 16)
		t.ended, t.end = context.WithCancel(context.Background())
		go t.read()
	})
	return t.openErr
}

// read feeds the lines typed into t.lines, each tagged with the prompt it
// was typed under, until the terminal ends.
func (t *Terminal) read() {
	sc := bufio.NewScanner(t.rw)
	for sc.Scan() {
		t.mu.Lock()
		g := t.gen
		t.mu.Unlock()
		t.lines <- line{sc.Text(), g}
	}
	t.end()
	close(t.lines)
}

// Close releases the terminal if Terminal opened it. A TTY passed in is the
// caller's to close.
func (t *Terminal) Close() error {
	if t.owned != nil {
		return t.owned.Close()
	}
	return nil
}

func reject(reason string) ironcurtain.Approval {
	return ironcurtain.Approval{Answer: ironcurtain.Reject, By: "terminal", Reason: reason}
}

// Approve holds esc in the Terminal's own broker, which the Terminal
// serves, until the person answers or ctx is done; see [Terminal].
func (t *Terminal) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	if err := t.start(); err != nil {
		return reject("no terminal attached: " + err.Error()), nil
	}
	t.ownOnce.Do(func() {
		t.own = NewBroker(BrokerOptions{MaxTTL: t.GrantTTL})
		if !t.serving.TryLock() {
			return // Serve has the terminal: the own broker has no front end
		}
		go func() {
			defer t.serving.Unlock()
			_ = t.frontEnd(context.Background(), t.own, true)
		}()
	})
	// Once the terminal has closed nobody can answer here.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(t.ended, cancel)()
	a, err := t.own.Approve(ctx, esc)
	if a.Answer != ironcurtain.Approve && t.ended.Err() != nil {
		return reject("the terminal closed"), err
	}
	return a, err
}

// Serve shows b's escalations on the terminal, one at a time, and answers
// them with the person's decisions (by "terminal"), until ctx is done or
// the terminal's input ends; it returns why. Other front ends of b may
// answer too: the first answer wins, and a prompt answered elsewhere is
// withdrawn with a line saying so. When the terminal ends, what it showed
// stays pending for the other front ends (or until its deadline).
func (t *Terminal) Serve(ctx context.Context, b *Broker) error {
	if err := t.start(); err != nil {
		return fmt.Errorf("approve: no terminal attached: %w", err)
	}
	if !t.serving.TryLock() {
		return errors.New("approve: the terminal already serves a broker")
	}
	defer t.serving.Unlock()
	return t.frontEnd(ctx, b, false)
}

// frontEnd is Serve's loop. With own (the broker is the Terminal's, and
// has no other front end), the end of the terminal denies what waits.
func (t *Terminal) frontEnd(ctx context.Context, b *Broker, own bool) error {
	sub := b.Subscribe()
	defer func() { sub.Close() }()
	var (
		queue  []Pending // not shown yet, oldest first
		cur    *Pending  // the prompt shown, nil when none
		curGen uint64
		offer  termOffer
	)
	enqueue := func(ps ...Pending) {
		for _, p := range ps {
			if (cur == nil || cur.ID != p.ID) && !slices.ContainsFunc(queue, func(q Pending) bool { return q.ID == p.ID }) {
				queue = append(queue, p)
			}
		}
	}
	enqueue(b.Pending()...)
	for {
		for cur == nil && len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			t.mu.Lock()
			t.gen++
			curGen = t.gen
			t.mu.Unlock()
			if t.owned != nil {
				flushInput(t.owned)
			}
			offer = newTermOffer(p, t.GrantTTL)
			if _, err := io.WriteString(t.rw, render(p, offer)); err != nil {
				_ = b.Decide("terminal", BrokerDecision{ID: p.ID, Decision: "deny", Reason: "the terminal cannot be written: " + err.Error()})
				continue
			}
			cur = &p
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-sub.C:
			if !ok { // fell behind: subscribe again and read what waits
				sub = b.Subscribe()
				now := b.Pending()
				if cur != nil && !slices.ContainsFunc(now, func(p Pending) bool { return p.ID == cur.ID }) {
					_, _ = io.WriteString(t.rw, "\nanswered elsewhere\n")
					cur = nil
				}
				queue = slices.DeleteFunc(queue, func(q Pending) bool {
					return !slices.ContainsFunc(now, func(p Pending) bool { return p.ID == q.ID })
				})
				enqueue(now...)
				continue
			}
			switch ev.Kind {
			case "escalation":
				enqueue(*ev.Escalation)
			case "resolved":
				if cur != nil && cur.ID == ev.ID {
					if ev.Outcome == "expired" {
						_, _ = io.WriteString(t.rw, "\nno answer in time: denied\n")
					} else {
						fmt.Fprintf(t.rw, "\n%s elsewhere (by %s)\n", ev.Outcome, ev.By)
					}
					cur = nil
				}
				queue = slices.DeleteFunc(queue, func(q Pending) bool { return q.ID == ev.ID })
			}
		case l, ok := <-t.lines:
			if !ok {
				if own {
					if cur != nil {
						queue = append(queue, *cur)
					}
					for _, p := range queue {
						_ = b.Decide("terminal", BrokerDecision{ID: p.ID, Decision: "deny", Reason: "the terminal closed"})
					}
				}
				return errors.New("approve: the terminal closed")
			}
			if cur == nil || l.gen != curGen {
				continue // typed before this prompt appeared, or with none shown
			}
			d := offer.decision(*cur, l.text)
			err := b.Decide("terminal", d)
			if err != nil && d.Decision == "approve" {
				d = BrokerDecision{ID: cur.ID, Decision: "deny", Reason: "denied at the terminal: " + err.Error()}
				err = b.Decide("terminal", d)
			}
			switch {
			case err != nil:
				_, _ = io.WriteString(t.rw, "already decided\n")
			case d.Decision == "approve":
				_, _ = io.WriteString(t.rw, "approved\n")
			default:
				_, _ = io.WriteString(t.rw, "denied\n")
			}
			cur = nil
		}
	}
}

// termOffer is what a prompt offers beside approving once.
type termOffer struct {
	exact, scoped bool
	ttl           time.Duration
}

func newTermOffer(p Pending, grantTTL time.Duration) termOffer {
	ttl := min(grantTTL, time.Duration(p.MaxTTL))
	return termOffer{exact: ttl > 0 && p.Exact, scoped: ttl > 0 && p.Scoped != "", ttl: ttl}
}

// decision turns the line typed into a decision on p: anything not
// offered denies.
func (o termOffer) decision(p Pending, text string) BrokerDecision {
	approve := BrokerDecision{ID: p.ID, Decision: "approve", Digest: p.Presentation.Digest}
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "y", "yes":
		approve.Scope = ScopeOnce
		return approve
	case "e":
		if o.exact {
			approve.Scope, approve.TTL = ScopeExact, Duration(o.ttl)
			return approve
		}
	case "s":
		if o.scoped {
			approve.Scope, approve.TTL = ScopeScoped, Duration(o.ttl)
			return approve
		}
	}
	return BrokerDecision{ID: p.ID, Decision: "deny", Reason: "denied at the terminal"}
}

// render builds the prompt from the escalation as the broker presents it,
// with everything the agent could influence escaped.
func render(p Pending, o termOffer) string {
	var b strings.Builder
	b.WriteString("\n== IronCurtain: a tool call needs your approval ==\n")
	b.WriteString(p.Presentation.Text())
	b.WriteString("[y] approve once, these exact arguments\n")
	if o.exact {
		fmt.Fprintf(&b, "[e] approve, and allow these exact arguments for %s\n", o.ttl)
	}
	if o.scoped {
		fmt.Fprintf(&b, "[s] approve, and allow %s/%s with %s for %s\n", p.Presentation.Server, p.Presentation.Tool, p.Scoped, o.ttl)
	}
	b.WriteString("[n] deny (the default)\napprove? ")
	return b.String()
}
