package approve

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// fakeTTY is a terminal for tests: what Terminal writes arrives on wrote,
// what the test types goes through type_, and reads reports each time
// Terminal's reader comes back for more input.
type fakeTTY struct {
	in    *io.PipeReader
	keys  *io.PipeWriter
	wrote chan string
	reads chan struct{}
}

func newFakeTTY() *fakeTTY {
	r, w := io.Pipe()
	return &fakeTTY{in: r, keys: w, wrote: make(chan string, 16), reads: make(chan struct{}, 64)}
}

func (f *fakeTTY) Read(p []byte) (int, error) {
	f.reads <- struct{}{}
	return f.in.Read(p)
}

func (f *fakeTTY) Write(p []byte) (int, error) {
	f.wrote <- string(p)
	return len(p), nil
}

func (f *fakeTTY) type_(t *testing.T, s string) {
	t.Helper()
	_, err := io.WriteString(f.keys, s)
	require.NoError(t, err)
}

type result struct {
	a   ironcurtain.Approval
	err error
}

func ask(ctx context.Context, term *Terminal, e ironcurtain.Escalation) chan result {
	out := make(chan result, 1)
	go func() {
		a, err := term.Approve(ctx, e)
		out <- result{a, err}
	}()
	return out
}

func TestTerminalAnswers(t *testing.T) {
	e := escalation(pathRes("write-path", "/w/p/a.txt"))
	e.Call.Arguments = map[string]any{"path": "/w/p/a.txt"}
	tests := []struct {
		typed  string
		answer ironcurtain.Answer
		grant  ironcurtain.ScopeKind // scope kind of the grant asked for, "" for none
	}{
		{"y\n", ironcurtain.Approve, ""},
		{" YES \n", ironcurtain.Approve, ""},
		{"e\n", ironcurtain.Approve, ironcurtain.ScopeArguments},
		{"s\n", ironcurtain.Approve, ironcurtain.ScopeDirectory},
		{"n\n", ironcurtain.Reject, ""},
		{"\n", ironcurtain.Reject, ""},
		{"yep\n", ironcurtain.Reject, ""},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.typed), func(t *testing.T) {
			tty := newFakeTTY()
			term := &Terminal{TTY: tty, GrantTTL: time.Hour}
			res := ask(context.Background(), term, e)
			prompt := <-tty.wrote
			for _, want := range []string{"server:    fs", "tool:      write_file", "rule:      escalate-writes",
				"reason:    writes need approval", "  write-path (path, path): /w/p/a.txt\n", "[e] approve, and allow these exact arguments for 1h0m0s",
				"[s] approve, and allow fs/write_file with write-path within /w/p for 1h0m0s"} {
				require.Contains(t, prompt, want)
			}
			tty.type_(t, tt.typed)
			r := <-res
			require.NoError(t, r.err)
			require.Equal(t, tt.answer, r.a.Answer)
			require.Equal(t, "terminal", r.a.By)
			if tt.answer == ironcurtain.Approve {
				d, err := ironcurtain.ArgumentsDigest(e.Call.Arguments)
				require.NoError(t, err)
				require.Equal(t, d, r.a.Arguments, "the approval is bound to the arguments shown")
				require.Contains(t, prompt, "digest:    sha256:"+d+"\n")
			}
			if tt.grant == "" {
				require.Nil(t, r.a.Grant)
				return
			}
			require.Equal(t, tt.grant, r.a.Grant.Scopes[0].Kind)
			require.Equal(t, time.Hour, r.a.Grant.TTL)
			require.True(t, covers(r.a.Grant.Scopes, e), "the grant offered covers the call shown")
		})
	}
}

func TestTerminalOffersNoGrantsByDefault(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	res := ask(context.Background(), term, escalation(pathRes("write-path", "/w/a")))
	prompt := <-tty.wrote
	require.NotContains(t, prompt, "[e]")
	require.NotContains(t, prompt, "[s]")
	tty.type_(t, "e\n")
	r := <-res
	require.Equal(t, ironcurtain.Reject, r.a.Answer, "an answer not offered is a denial")
}

// TestTerminalEscapesAgentText: nothing the agent controls reaches the
// terminal as a control sequence or invisible formatting.
func TestTerminalEscapesAgentText(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	e := escalation()
	e.Call.Tool = "write\x1b[2Jfile"
	e.Call.Server = "fs\xff\u202e"
	e.Call.Arguments = map[string]any{
		"path":    "/w/\x1b]0;owned\x07a\u202egnp.exe",
		"content": "line1\napproved\r[y] \x7f\u200b\u0085\xff",
		"\x1b[1m": "key",
	}
	e.Decision.Reason = "looks fine\x1b[8m hidden"
	res := ask(context.Background(), term, e)
	prompt := <-tty.wrote
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\r", "\x7f", "\u200b", "\u0085", "\xff"} {
		require.NotContains(t, prompt, bad)
	}
	for _, shown := range []string{`write\u001b[2Jfile`, `fs\xff\u202e`, `\u202e`, `\u200b`, `\u007f`, `\u0085`, `looks fine\u001b[8m hidden`} {
		require.Contains(t, prompt, shown)
	}
	require.NotContains(t, prompt, "\napproved", "a newline inside an argument cannot start a line of the prompt")
	tty.type_(t, "n\n")
	<-res
}

func TestTerminalCutsLongArguments(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	e := escalation()
	e.Call.Arguments = map[string]any{"content": strings.Repeat("x", 100_000)}
	res := ask(context.Background(), term, e)
	prompt := <-tty.wrote
	require.Less(t, len(prompt), MaxArgumentShown+1000)
	require.Contains(t, prompt, "content (100000 bytes, cut): xxx")
	tty.type_(t, "n\n")
	<-res
}

func TestTerminalTimesOut(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	ctx, cancel := context.WithCancel(context.Background())
	res := ask(ctx, term, escalation())
	<-tty.wrote
	cancel()
	r := <-res
	require.NoError(t, r.err)
	require.Equal(t, ironcurtain.Reject, r.a.Answer)
	require.Contains(t, r.a.Reason, "no answer")
	require.Contains(t, <-tty.wrote, "no answer in time: denied")
}

// TestTerminalIgnoresTypeahead: a line typed before a prompt appears never
// answers it.
func TestTerminalIgnoresTypeahead(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	res := ask(context.Background(), term, escalation())
	<-tty.wrote
	tty.type_(t, "n\n")
	require.Equal(t, ironcurtain.Reject, (<-res).a.Answer)
	<-tty.wrote // "denied"

	tty.type_(t, "y\n") // typed while no prompt is shown
	// The reader has read twice ("n", then "y"); its third read means it has
	// tagged the "y" and come back for more.
	for range 3 {
		<-tty.reads
	}
	res = ask(context.Background(), term, escalation())
	<-tty.wrote
	tty.type_(t, "n\n")
	require.Equal(t, ironcurtain.Reject, (<-res).a.Answer, "the early y was not taken as the answer")
}

// TestTerminalOnePromptAtATime: a second escalation waits, unseen, until
// the first is answered. synctest.Wait makes "it waits" checkable: every
// goroutine is blocked when the count of prompts is taken.
func TestTerminalOnePromptAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tty := newFakeTTY()
		term := &Terminal{TTY: tty}
		at := func(p string) ironcurtain.Escalation {
			e := escalation(pathRes("write-path", p))
			e.Call.Arguments = map[string]any{"path": p}
			return e
		}
		first := ask(context.Background(), term, at("/first"))
		synctest.Wait()
		require.Len(t, tty.wrote, 1)
		require.Contains(t, <-tty.wrote, "/first")
		second := ask(context.Background(), term, at("/second"))
		synctest.Wait()
		require.Empty(t, tty.wrote, "the second prompt is not shown while the first waits")
		tty.type_(t, "y\n")
		require.Equal(t, ironcurtain.Approve, (<-first).a.Answer)
		<-tty.wrote // "approved"
		require.Contains(t, <-tty.wrote, "/second")
		tty.type_(t, "n\n")
		require.Equal(t, ironcurtain.Reject, (<-second).a.Answer)
		require.NoError(t, tty.keys.Close()) // end the reader inside the bubble
	})
}

func TestTerminalEndOfInput(t *testing.T) {
	tty := newFakeTTY()
	term := &Terminal{TTY: tty}
	res := ask(context.Background(), term, escalation())
	<-tty.wrote
	require.NoError(t, tty.keys.Close())
	r := <-res
	require.Equal(t, ironcurtain.Reject, r.a.Answer)
	require.Contains(t, r.a.Reason, "closed")
}

func TestTerminalWithoutTerminal(t *testing.T) {
	term := &Terminal{ttyPath: filepath.Join(t.TempDir(), "no-tty")}
	a, err := term.Approve(context.Background(), escalation())
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Reject, a.Answer)
	require.Contains(t, a.Reason, "no terminal attached")
	require.NoError(t, term.Close())
}

// TestTerminalNeverReadsStdin: without a terminal, an answer waiting on
// standard input (an MCP stdio stream, say) is neither read nor obeyed.
func TestTerminalNeverReadsStdin(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	_, err = w.WriteString("y\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()

	term := &Terminal{ttyPath: filepath.Join(t.TempDir(), "no-tty")}
	a, err := term.Approve(context.Background(), escalation())
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Reject, a.Answer)
	buf := make([]byte, 8)
	n, _ := r.Read(buf)
	require.Equal(t, "y\n", string(buf[:n]), "standard input is left untouched")
}
