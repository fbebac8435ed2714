package approve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Terminal asks a person at a terminal. It prints the escalated call as
// [Present] renders it — the canonical resources, rule and reason first and
// never cut, the arguments' digest, then each other argument cut on its own
// with its size — and reads the answer: y approves once; e and s (offered when GrantTTL is set) approve and
// ask for a grant of these exact arguments or of the scope shown; anything
// else, end of input, or no answer before the context is done, rejects.
//
// It uses the controlling terminal (/dev/tty), never standard input or
// output, so that a tool protocol on stdio (an MCP server) is never
// disturbed. Without a terminal it rejects with the reason "no terminal
// attached". Everything shown that the agent could influence is escaped:
// control characters, newlines, ANSI escape sequences and invisible or
// bidirectional formatting characters appear as escapes, so an agent
// cannot forge prompt text. An approval carries the digest shown, so the
// Gate runs only the arguments the person saw. Lines typed before a prompt appears never answer it.
//
// Only one prompt is shown at a time; concurrent escalations wait their
// turn, each within its own deadline. Use a Terminal by pointer; its zero
// value is ready to use. Close it to release the terminal.
type Terminal struct {
	// TTY is the terminal. Nil means /dev/tty, opened on first use. Tests
	// pass a pipe or a fake.
	TTY io.ReadWriter
	// GrantTTL, when positive, offers to turn an approval into a grant
	// lasting this long.
	GrantTTL time.Duration

	ttyPath string // "" means /dev/tty; tests point it elsewhere

	once    sync.Once
	openErr error
	rw      io.ReadWriter
	owned   *os.File // the terminal Terminal opened itself
	turn    chan struct{}
	lines   chan line

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
		t.turn = make(chan struct{}, 1)
		t.lines = make(chan line, 16)
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

// Approve asks the person; see [Terminal].
func (t *Terminal) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	if err := t.start(); err != nil {
		return reject("no terminal attached: " + err.Error()), nil
	}
	select {
	case t.turn <- struct{}{}:
	case <-ctx.Done():
		return reject("no answer before the deadline"), nil
	}
	defer func() { <-t.turn }()

	exact, exactErr := ExactGrant(esc, t.GrantTTL)
	scoped, scopedOK := ScopedGrant(esc, t.GrantTTL)
	offers := t.GrantTTL > 0
	t.mu.Lock()
	t.gen++
	gen := t.gen
	t.mu.Unlock()
	if t.owned != nil {
		flushInput(t.owned)
	}
	shown := Present(esc)
	if shown.Digest == "" {
		return reject("the arguments cannot be shown"), nil
	}
	prompt := render(shown, offers && exactErr == nil, offers && scopedOK, scoped, t.GrantTTL)
	if _, err := io.WriteString(t.rw, prompt); err != nil {
		return reject("the terminal cannot be written: " + err.Error()), nil
	}
	for {
		select {
		case l, ok := <-t.lines:
			if !ok {
				return reject("the terminal closed"), nil
			}
			if l.gen != gen {
				continue // typed before this prompt appeared
			}
			a := parseAnswer(l.text, offers && exactErr == nil, offers && scopedOK, exact, scoped)
			if a.Answer == ironcurtain.Approve {
				a.Arguments = shown.Digest // the approval is for what was shown
			}
			fmt.Fprintf(t.rw, "%s\n", map[bool]string{true: "approved", false: "denied"}[a.Answer == ironcurtain.Approve])
			return a, nil
		case <-ctx.Done():
			_, _ = io.WriteString(t.rw, "\nno answer in time: denied\n")
			return reject("no answer before the deadline"), nil
		}
	}
}

func parseAnswer(text string, exactOK, scopedOK bool, exact, scoped ironcurtain.Grant) ironcurtain.Approval {
	a := ironcurtain.Approval{Answer: ironcurtain.Approve, By: "terminal"}
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "y", "yes":
		a.Reason = "approved once at the terminal"
	case "e":
		if !exactOK {
			return reject("denied at the terminal")
		}
		a.Reason = "approved at the terminal, with a grant for these exact arguments"
		a.Grant = &exact
	case "s":
		if !scopedOK {
			return reject("denied at the terminal")
		}
		a.Reason = "approved at the terminal, with a grant for " + describe(scoped)
		a.Grant = &scoped
	default:
		return reject("denied at the terminal")
	}
	return a
}

// render builds the prompt from the call's [Presentation], which has
// escaped everything the agent could influence.
func render(p Presentation, exactOK, scopedOK bool, scoped ironcurtain.Grant, ttl time.Duration) string {
	var b strings.Builder
	b.WriteString("\n== IronCurtain: a tool call needs your approval ==\n")
	b.WriteString(p.Text())
	b.WriteString("[y] approve once, these exact arguments\n")
	if exactOK {
		fmt.Fprintf(&b, "[e] approve, and allow these exact arguments for %s\n", ttl)
	}
	if scopedOK {
		fmt.Fprintf(&b, "[s] approve, and allow %s/%s with %s for %s\n", p.Server, p.Tool, escape(describe(scoped)), ttl)
	}
	b.WriteString("[n] deny (the default)\napprove? ")
	return b.String()
}
