package llmtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// Provider describes a provider package to RunLoopTests.
type Provider struct {
	// Serve starts a fake server of the provider's wire format.
	Serve func(t testing.TB, h Handler) *Server
	// Model returns the provider's Model for the server, with the API key
	// and no retry delays beyond what the server asks for.
	Model func(t testing.TB, srv *Server, key string) agent.Model
	// KeyHeader is the only header the key may travel in, and KeyValue
	// its value there.
	KeyHeader string
	KeyValue  func(key string) string
	// The provider's stop reasons for a normal end, the length limit and
	// a refusal.
	StopEnd, StopLength, StopRefusal string
}

// Declarations and Constitution are what RunLoopTests gives the loop.
const (
	Declarations = "declare const notes: {\n  /** Write a note. */\n  write(args: { path: string; text: string }): string;\n};"
	Constitution = "The agent may write notes in its sandbox, and nowhere else."
	apiKey       = "sk-test-0123456789abcdef"
)

// deniedException is the refused write's error as the sandbox reports it:
// the text of the script's uncaught exception, as QuickJS prints it.
const deniedException = "Error: DENIED: notes outside the sandbox are off limits (agent.ts:1:8)"

// Sandbox is a stand-in sandbox: a write to /etc is refused, any other
// code returns "ok".
type Sandbox struct {
	mu   sync.Mutex
	jobs []string
}

// Run reports what the Gate would have for the code.
func (s *Sandbox) Run(_ context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
	s.mu.Lock()
	s.jobs = append(s.jobs, job.Source)
	s.mu.Unlock()
	if strings.Contains(job.Source, "/etc/") {
		return ironcurtain.Report{Calls: []ironcurtain.CallRecord{{Server: "notes", Tool: "write", Verdict: ironcurtain.Deny,
				Rule: "outside-sandbox", Reason: "notes outside the sandbox are off limits", Error: "DENIED: notes outside the sandbox are off limits"}}},
			//lint:ignore ST1005 the text is the script exception's, capital and all
			errors.New(deniedException)
	}
	return ironcurtain.Report{Value: []byte(`"ok"`), Output: []string{"wrote it"},
		Calls: []ironcurtain.CallRecord{{Server: "notes", Tool: "write", Verdict: ironcurtain.Allow}}}, nil
}

// Jobs returns the code that ran.
func (s *Sandbox) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.jobs...)
}

// Code is an answer with one TypeScript block.
func Code(src string) string { return "I will write it.\n\n```ts\n" + src + "\n```" }

// RunLoopTests runs the agent loop over the provider's real client and a
// fake server of its wire format: a multi-turn conversation with a denial,
// the budgets, retries, errors and malformed answers.
func RunLoopTests(t *testing.T, p Provider) {
	say := func(text string, in, out int) Reply { return Reply{Text: text, InputTokens: in, OutputTokens: out} }
	run := func(t *testing.T, h Handler, edit func(*agent.Config)) (agent.Transcript, *Server, *Sandbox, error) {
		srv := p.Serve(t, h)
		sb := &Sandbox{}
		cfg := agent.Config{Model: p.Model(t, srv, apiKey), Sandbox: sb, Declarations: Declarations, Constitution: Constitution,
			Task: "Leave a note saying hello in /etc/motd."}
		if edit != nil {
			edit(&cfg)
		}
		tr, err := agent.Run(t.Context(), cfg)
		return tr, srv, sb, err
	}

	t.Run("denial, change of course, answer", func(t *testing.T) {
		first := Code(`return notes.write({ path: "/etc/motd", text: "hello" });`)
		second := Code(`return notes.write({ path: "motd.txt", text: "hello" });`)
		tr, srv, sb, err := run(t, Script(
			say(first, 1000, 50), say(second, 1200, 40),
			say("I could not write /etc/motd (off limits), so I left the note in motd.txt.", 1400, 30),
		), nil)
		require.NoError(t, err)
		require.Equal(t, agent.StopAnswered, tr.Stop)
		require.Equal(t, "I could not write /etc/motd (off limits), so I left the note in motd.txt.", tr.Answer)
		require.Equal(t, agent.Usage{InputTokens: 3600, OutputTokens: 120}, tr.Usage)
		require.Len(t, sb.Jobs(), 2)

		reqs := srv.Requests()
		require.Len(t, reqs, 3)
		for i, r := range reqs {
			require.Equal(t, "test-model", r.Model)
			require.Equal(t, agent.DefaultMaxAnswerTokens, r.MaxTokens)
			require.Contains(t, r.System, Declarations, "request %d", i)
			require.Contains(t, r.System, Constitution, "request %d", i)
			require.Len(t, r.Messages, 2*i+1)
			requireKeyOnlyIn(t, p, r)
		}
		require.Equal(t, "Task:\n\nLeave a note saying hello in /etc/motd.", reqs[0].Messages[0].Text)
		// The denial goes back with its reason, and the next answer follows.
		require.Equal(t, first, reqs[1].Messages[1].Text)
		require.Contains(t, reqs[1].Last(), "1. notes.write: refused: DENIED: notes outside the sandbox are off limits")
		require.Contains(t, reqs[1].Last(), "(agent.ts:1:8)")
		require.NotContains(t, reqs[1].Last(), "outside-sandbox", "rule names stay with the operator")
		require.Equal(t, second, reqs[2].Messages[3].Text)
		require.Contains(t, reqs[2].Last(), "Returned:\n\"ok\"")
	})

	t.Run("step budget", func(t *testing.T) {
		tr, srv, _, err := run(t, Script(say(Code("return 1;"), 10, 10), say(Code("return 2;"), 10, 10)),
			func(c *agent.Config) { c.Budget.MaxSteps = 2 })
		require.NoError(t, err)
		require.Equal(t, agent.StopMaxSteps, tr.Stop)
		require.Len(t, srv.Requests(), 2)
	})

	t.Run("token budget", func(t *testing.T) {
		tr, srv, sb, err := run(t, Script(say(Code("return 1;"), 900, 200)),
			func(c *agent.Config) { c.Budget.MaxTokens = 1000 })
		require.NoError(t, err)
		require.Equal(t, agent.StopMaxTokens, tr.Stop)
		require.Equal(t, int64(1100), tr.Usage.Total())
		require.Len(t, srv.Requests(), 1)
		require.Empty(t, sb.Jobs(), "the code of the step over budget does not run")
	})

	for _, status := range []int{500, 429, 503} {
		t.Run("retried "+strconv.Itoa(status), func(t *testing.T) {
			tr, srv, _, err := run(t, Script(Retry(status), say("Nothing to do.", 5, 5)), nil)
			require.NoError(t, err)
			require.Equal(t, agent.StopAnswered, tr.Stop)
			require.Len(t, srv.Requests(), 2)
		})
	}

	t.Run("bad request is surfaced, not retried", func(t *testing.T) {
		tr, srv, _, err := run(t, Script(Reply{Status: 400, Text: "messages: roles must alternate"}), nil)
		require.Error(t, err)
		require.ErrorContains(t, err, "400")
		require.ErrorContains(t, err, "roles must alternate")
		require.Equal(t, agent.StopError, tr.Stop)
		require.Len(t, srv.Requests(), 1)
	})

	t.Run("server errors past the retries are surfaced", func(t *testing.T) {
		_, srv, _, err := run(t, Script(Retry(500), Retry(500), Retry(500), Retry(500)), nil)
		require.ErrorContains(t, err, "500")
		require.Len(t, srv.Requests(), 3, "one try and two retries")
	})

	for name, raw := range map[string]string{
		"not JSON":       "this is not JSON",
		"truncated JSON": `{"id":"x","type":"message","content":[{"type":"text","text":"hi"`,
		"empty object":   `{}`,
	} {
		t.Run("malformed response: "+name, func(t *testing.T) {
			tr, _, sb, err := run(t, Script(Reply{Raw: raw}), nil)
			require.Error(t, err)
			require.Equal(t, agent.StopError, tr.Stop)
			require.Empty(t, sb.Jobs())
		})
	}

	t.Run("answer cut off at the length limit", func(t *testing.T) {
		tr, srv, sb, err := run(t, Script(
			Reply{Text: "```ts\nconst lines = [", Stop: p.StopLength, InputTokens: 10, OutputTokens: 10},
			say("Giving up.", 10, 10),
		), nil)
		require.NoError(t, err)
		require.Equal(t, agent.StopAnswered, tr.Stop)
		require.Equal(t, agent.FinishLength, tr.Steps[0].Finish)
		require.Empty(t, sb.Jobs())
		require.Contains(t, srv.Requests()[1].Last(), "cut off")
	})

	t.Run("refusal", func(t *testing.T) {
		tr, _, _, err := run(t, Script(Reply{Text: "I won't do that.", Stop: p.StopRefusal}), nil)
		require.NoError(t, err)
		require.Equal(t, agent.StopRefused, tr.Stop)
	})
}

// requireKeyOnlyIn checks that the API key travelled in the provider's
// header and nowhere else.
func requireKeyOnlyIn(t *testing.T, p Provider, r Request) {
	t.Helper()
	require.Equal(t, p.KeyValue(apiKey), r.Header.Get(p.KeyHeader))
	for name, values := range r.Header {
		if strings.EqualFold(name, p.KeyHeader) {
			continue
		}
		for _, v := range values {
			require.NotContains(t, v, apiKey, "the key is in header %s", name)
		}
	}
	require.NotContains(t, string(r.Body), apiKey)
}
