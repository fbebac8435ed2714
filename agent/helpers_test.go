package agent_test

import (
	"context"
	"flag"
	"path/filepath"
	"sync"
	"testing"

	goldenfile "github.com/ironcurtain-go/ironcurtain/internal/golden"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// scripted is a Model that gives its replies in order and records every
// request. Past the end of the script it fails the test.
type scripted struct {
	t       testing.TB
	mu      sync.Mutex
	replies []agent.Response
	reqs    []agent.Request
	name    string
}

func script(t testing.TB, replies ...agent.Response) *scripted {
	return &scripted{t: t, replies: replies}
}

// say is a reply of text that ended normally and cost 10+5 tokens.
func say(text string) agent.Response {
	return agent.Response{Text: text, Finish: agent.FinishEnd, Usage: agent.Usage{InputTokens: 10, OutputTokens: 5}}
}

// code is a reply that holds one TypeScript block.
func code(src string) agent.Response { return say("Let me look.\n\n```ts\n" + src + "\n```\n") }

func (m *scripted) Complete(ctx context.Context, req agent.Request) (agent.Response, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The caller may reuse its slices after we return; keep a copy.
	req.Messages = append([]agent.Message(nil), req.Messages...)
	m.reqs = append(m.reqs, req)
	if len(m.replies) == 0 {
		m.t.Errorf("the model was asked more often than scripted")
		return agent.Response{}, context.Canceled
	}
	r := m.replies[0]
	m.replies = m.replies[1:]
	return r, ctx.Err()
}

func (m *scripted) Name() string { return m.name }

func (m *scripted) requests() []agent.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]agent.Request(nil), m.reqs...)
}

// fakeSandbox answers each Job with run(source) and records the sources.
type fakeSandbox struct {
	mu    sync.Mutex
	jobs  []ironcurtain.Job
	run   func(src string) (ironcurtain.Report, error)
	decls string
}

func (s *fakeSandbox) Run(ctx context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
	s.mu.Lock()
	s.jobs = append(s.jobs, job)
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return ironcurtain.Report{}, err
	}
	if s.run == nil {
		return ironcurtain.Report{Value: []byte("null")}, nil
	}
	return s.run(job.Source)
}

func (s *fakeSandbox) sources() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, j := range s.jobs {
		out = append(out, j.Source)
	}
	return out
}

// declaringSandbox is a fakeSandbox that is also an agent.Declarer.
type declaringSandbox struct{ *fakeSandbox }

func (s declaringSandbox) Declarations(context.Context) (string, error) { return s.decls, nil }

// denied is the Report of a script whose one call the policy refused and
// whose error the script did not catch.
func denied(server, tool, reason string) (ironcurtain.Report, error) {
	return ironcurtain.Report{Calls: []ironcurtain.CallRecord{{
		Server: server, Tool: tool, Verdict: ironcurtain.Deny, Rule: "secret-rule-name", Reason: reason, Error: "DENIED: " + reason,
	}}}, scriptErr("Error: DENIED: " + reason + " (agent.ts:1:1)")
}

type scriptErr string

func (e scriptErr) Error() string { return "codemode: " + string(e) }

func TestSDKRetries(t *testing.T) {
	for _, tt := range []struct {
		in, n int
		set   bool
	}{{0, 0, false}, {-1, 0, true}, {-5, 0, true}, {3, 3, true}} {
		n, set := agent.SDKRetries(tt.in)
		require.Equal(t, tt.n, n, "n for %d", tt.in)
		require.Equal(t, tt.set, set, "set for %d", tt.in)
	}
}
