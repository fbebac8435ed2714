package approve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
)

// Terminal asks a person at a terminal. It prints the escalated call —
// server, tool, rule, reason and the canonical arguments — and reads the
// answer: y approves once; e and s (offered when GrantTTL is set) approve and
// ask for a grant of these exact arguments or of the scope shown; anything
// else, end of input, or no answer before the context is done, rejects.
//
// It uses the controlling terminal (/dev/tty), never standard input or
// output, so that a tool protocol on stdio (an MCP server) is never
// disturbed. Without a terminal it rejects with the reason "no terminal
// attached". Everything shown that the agent could influence is escaped:
// control characters, ANSI escape sequences and invisible or bidirectional
// formatting characters appear as \u escapes, so an agent cannot forge
// prompt text. Lines typed before a prompt appears never answer it.
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

// maxShown bounds how much of the arguments a prompt shows.
const maxShown = 16 << 10

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
	prompt := render(esc, offers && exactErr == nil, offers && scopedOK, scoped, t.GrantTTL)
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

// render builds the prompt. Every string that could come from the agent
// passes through escape.
func render(esc ironcurtain.Escalation, exactOK, scopedOK bool, scoped ironcurtain.Grant, ttl time.Duration) string {
	var b strings.Builder
	c, d := esc.Call, esc.Decision
	b.WriteString("\n== IronCurtain: a tool call needs your approval ==\n")
	fmt.Fprintf(&b, "server:    %s\n", escape(c.Server))
	fmt.Fprintf(&b, "tool:      %s\n", escape(c.Tool))
	fmt.Fprintf(&b, "rule:      %s\n", escape(d.Rule))
	fmt.Fprintf(&b, "reason:    %s\n", escape(d.Reason))
	b.WriteString("arguments:\n")
	for _, l := range strings.Split(showArguments(c.Arguments), "\n") {
		b.WriteString("  ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("[y] approve once\n")
	if exactOK {
		fmt.Fprintf(&b, "[e] approve, and allow these exact arguments for %s\n", ttl)
	}
	if scopedOK {
		fmt.Fprintf(&b, "[s] approve, and allow %s/%s with %s for %s\n", escape(c.Server), escape(c.Tool), escape(describe(scoped)), ttl)
	}
	b.WriteString("[n] deny (the default)\napprove? ")
	return b.String()
}

// showArguments renders the arguments as indented JSON, escaped, and cut at
// maxShown bytes with a note saying how much is hidden.
func showArguments(args map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(args); err != nil {
		return "(the arguments cannot be shown: " + escape(err.Error()) + ")"
	}
	s := escape(strings.TrimSuffix(buf.String(), "\n"))
	if len(s) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "\n… " + strconv.Itoa(len(s)-cut) + " more bytes not shown"
	}
	return s
}

// escape makes text safe to print on a terminal: newlines are kept, every
// other character that is not visible — control characters (so no ANSI
// escape sequence gets through), DEL, C1 controls, invisible and
// bidirectional formatting characters, odd spaces — and invalid UTF-8 are
// shown as escapes.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == ' ' || (unicode.IsGraphic(r) && !unicode.IsSpace(r)):
			b.WriteString(s[i : i+size])
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}
