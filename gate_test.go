package ironcurtain_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

func asDenied(err error) (*ironcurtain.DeniedError, bool) {
	return errors.AsType[*ironcurtain.DeniedError](err)
}

func TestGateAllows(t *testing.T) {
	clock := newFakeClock()
	g, srv, audit := testGate(t, allowAll(), func(c *ironcurtain.GateConfig) { c.Now = clock.Now })
	res, err := g.Call(context.Background(), ironcurtain.ToolCall{
		Session: "s1", Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": "/w/a", "head": 2.0},
	})
	require.NoError(t, err)
	require.Equal(t, "ran read_file", res.Text())
	require.Len(t, srv.ran(), 1)

	entries := audit.all()
	require.Len(t, entries, 1)
	e := entries[0]
	require.Equal(t, clock.Now(), e.Time)
	require.Equal(t, "s1", e.Session)
	require.NotEmpty(t, e.CallID, "the Gate assigns an ID")
	require.Equal(t, srv.ran()[0].ID, e.CallID, "the tool sees the same ID")
	require.Equal(t, "fs", e.Server)
	require.Equal(t, "read_file", e.Tool)
	require.Equal(t, map[string]any{"path": "/w/a", "head": 2.0}, e.Arguments)
	require.Equal(t, ironcurtain.Allow, e.Verdict)
	require.Equal(t, "allow-all", e.Rule)
	require.Equal(t, ironcurtain.OutcomeSuccess, e.Outcome)
	require.False(t, e.Escalated)
	require.Nil(t, e.Approval)
}

func TestGateKeepsCallerID(t *testing.T) {
	g, _, audit := testGate(t, allowAll(), nil)
	call := readCall("/a")
	call.ID = "agent-7"
	_, err := g.Call(context.Background(), call)
	require.NoError(t, err)
	_, err = g.Call(context.Background(), readCall("/a"))
	require.NoError(t, err)
	_, err = g.Call(context.Background(), readCall("/a"))
	require.NoError(t, err)
	e := audit.all()
	require.Equal(t, "agent-7", e[0].CallID)
	require.NotEqual(t, e[1].CallID, e[2].CallID)
}

// TestGateBadInput covers hostile input refused before the policy runs: the
// policy is never asked, the tool never runs, one audit entry is written,
// and the agent is told what is wrong without host detail.
func TestGateBadInput(t *testing.T) {
	deep := any("x")
	for range 70 {
		deep = []any{deep}
	}
	tests := []struct {
		name      string
		call      ironcurtain.ToolCall
		maxBytes  int
		rule      string
		sentinel  error
		agentSees string
		noArgs    bool // the audit entry must not carry the arguments
	}{
		{"unknown server", ironcurtain.ToolCall{Server: "nope", Tool: "read_file"}, 0,
			ironcurtain.RuleUnknownTool, ironcurtain.ErrUnknownTool, `DENIED: there is no tool server named "nope"`, false},
		{"unknown tool", ironcurtain.ToolCall{Server: "fs", Tool: "rm_rf"}, 0,
			ironcurtain.RuleUnknownTool, ironcurtain.ErrUnknownTool, `DENIED: server "fs" has no tool named "rm_rf"`, false},
		{"wrong type", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": 42.0}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "path" must be a string`, false},
		{"wrong nested type", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": []any{"a"}}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "path" must be a string`, false},
		{"integer", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": "/a", "head": 1.5}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "head" must be an integer`, false},
		{"missing", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "path" is required`, false},
		{"nil arguments", ironcurtain.ToolCall{Server: "fs", Tool: "read_file"}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "path" is required`, false},
		{"unknown argument", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": "/a", "sudo": true}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "sudo" is not a known argument`, false},
		{"oversized default cap", ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": strings.Repeat("a", 4<<20)}}, 0,
			ironcurtain.RuleArgumentSizeLimit, ironcurtain.ErrLimit, "DENIED: the arguments are larger than the limit of 4194304 bytes", true},
		{"oversized in an array", ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{"x": []any{strings.Repeat("a", 600), strings.Repeat("b", 600)}}}, 1024,
			ironcurtain.RuleArgumentSizeLimit, ironcurtain.ErrLimit, "DENIED: the arguments are larger than the limit of 1024 bytes", true},
		{"too deep", ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{"d": deep}}, 0,
			ironcurtain.RuleArgumentSizeLimit, ironcurtain.ErrLimit, `DENIED: argument "d" nests more than 64 levels deep`, true},
		{"NaN", ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{"n": math.NaN()}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "n" holds a value that is not JSON`, true},
		{"Go struct", ironcurtain.ToolCall{Server: "fs", Tool: "list", Arguments: map[string]any{"n": struct{}{}}}, 0,
			ironcurtain.RuleInvalidArguments, ironcurtain.ErrInvalidArguments, `DENIED: argument "n": it holds a Go struct {}, which JSON has no value for; pass JSON values as encoding/json decodes them: string, float64, bool, nil, []any and map[string]any`, true},
		{"long names are cut", ironcurtain.ToolCall{Server: strings.Repeat("s", 5000), Tool: "x"}, 0,
			ironcurtain.RuleUnknownTool, ironcurtain.ErrUnknownTool, `DENIED: there is no tool server named "` + strings.Repeat("s", 64) + `…"`, false},
		{"names count against the cap", ironcurtain.ToolCall{Server: "fs", Tool: strings.Repeat("t", 2000), Arguments: map[string]any{}}, 1024,
			ironcurtain.RuleArgumentSizeLimit, ironcurtain.ErrLimit, "DENIED: the arguments are larger than the limit of 1024 bytes", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policyCalled := false
			policy := policyFunc(func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
				policyCalled = true
				return ironcurtain.Decision{Verdict: ironcurtain.Allow}, nil
			})
			g, srv, audit := testGate(t, policy, func(c *ironcurtain.GateConfig) { c.MaxArgumentBytes = tt.maxBytes })
			res, err := g.Call(context.Background(), tt.call)
			de := requireDenied(t, res, err, tt.rule)
			require.ErrorIs(t, err, tt.sentinel)
			require.Equal(t, ironcurtain.Deny, de.Decision.Verdict)
			agent := ironcurtain.AgentResult(res, err)
			require.True(t, agent.IsError)
			require.Equal(t, tt.agentSees, agent.Text())
			require.False(t, policyCalled, "the policy must not see malformed calls")
			require.Empty(t, srv.ran())

			entries := audit.all()
			require.Len(t, entries, 1)
			require.Equal(t, ironcurtain.OutcomeDenied, entries[0].Outcome)
			require.Equal(t, tt.rule, entries[0].Rule)
			require.Equal(t, ironcurtain.Deny, entries[0].Verdict)
			if tt.noArgs {
				require.Nil(t, entries[0].Arguments)
			}
			require.LessOrEqual(t, len(entries[0].Server)+len(entries[0].Tool), 2*1024+8, "names are clipped in the audit log")
		})
	}
}

func TestGateArgumentsUnderCapPass(t *testing.T) {
	g, srv, _ := testGate(t, allowAll(), func(c *ironcurtain.GateConfig) { c.MaxArgumentBytes = 1024 })
	_, err := g.Call(context.Background(), readCall(strings.Repeat("a", 900)))
	require.NoError(t, err)
	require.Len(t, srv.ran(), 1)
}

// TestGateForwardsCanonicalArguments: the tool and the audit log get the
// arguments the policy judged, and the caller's map is left alone.
func TestGateForwardsCanonicalArguments(t *testing.T) {
	var judged ironcurtain.ToolCall
	policy := policyFunc(func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		judged = call
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "r", Arguments: map[string]any{"path": "/real/a"}}, nil
	})
	g, srv, audit := testGate(t, policy, nil)
	call := readCall("/link/../real/a")
	_, err := g.Call(context.Background(), call)
	require.NoError(t, err)
	require.Equal(t, "/link/../real/a", judged.Arguments["path"])
	require.Equal(t, map[string]any{"path": "/real/a"}, srv.ran()[0].Arguments)
	require.Equal(t, map[string]any{"path": "/real/a"}, audit.all()[0].Arguments)
	require.Equal(t, map[string]any{"path": "/link/../real/a"}, call.Arguments)
}

func TestGatePolicyDecisions(t *testing.T) {
	tests := []struct {
		name      string
		policy    policyFunc
		rule      string
		agentSees string
		hidden    string // must not reach the agent
	}{
		{"deny", verdict(ironcurtain.Deny, "no-secrets", "reading secrets is forbidden"),
			"no-secrets", "DENIED: reading secrets is forbidden", ""},
		{"unknown verdict", verdict(ironcurtain.Verdict(9), "odd", "odd verdict"),
			"odd", "DENIED: odd verdict", ""},
		{"zero decision", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
			return ironcurtain.Decision{}, nil
		}, "", "DENIED: the call was refused", ""},
		{"policy error", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
			return ironcurtain.Decision{Verdict: ironcurtain.Allow}, errors.New("stat /home/alice/.secret: permission denied")
		}, ironcurtain.RulePolicyError, "DENIED: the policy could not decide on this call", "/home/alice"},
		{"policy panic", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
			panic("boom at /home/alice")
		}, ironcurtain.RuleInternalError, "DENIED: the call failed inside the tool gateway", "/home/alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srv, audit := testGate(t, tt.policy, nil)
			res, err := g.Call(context.Background(), readCall("/a"))
			requireDenied(t, res, err, tt.rule)
			agent := ironcurtain.AgentResult(res, err)
			require.Equal(t, tt.agentSees, agent.Text())
			if tt.hidden != "" {
				require.NotContains(t, agent.Text(), tt.hidden)
				require.Contains(t, err.Error(), tt.hidden, "the operator sees the cause")
				require.Contains(t, audit.all()[0].Error, tt.hidden, "the audit log keeps the cause")
			}
			require.Empty(t, srv.ran())
			require.Len(t, audit.all(), 1)
			require.Equal(t, ironcurtain.OutcomeDenied, audit.all()[0].Outcome)
		})
	}
}

func TestGateToolOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		handle  func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error)
		timeout time.Duration
		outcome ironcurtain.Outcome
		agent   string
		denied  bool
	}{
		{"tool error result passes through", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
			return ironcurtain.ErrorResult("no such file"), nil
		}, 0, ironcurtain.OutcomeError, "no such file", false},
		{"transport failure is generic", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
			return ironcurtain.TextResult("ignored"), errors.New("pipe to /usr/lib/mcp broken")
		}, 0, ironcurtain.OutcomeError, "ERROR: the tool call failed", false},
		{"timeout", func(ctx context.Context, _ ironcurtain.ToolCall) (ironcurtain.Result, error) {
			<-ctx.Done()
			return ironcurtain.Result{}, ctx.Err()
		}, time.Nanosecond, ironcurtain.OutcomeError, "ERROR: the tool call timed out", false},
		{"tool panic", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
			panic("tool exploded")
		}, 0, ironcurtain.OutcomeDenied, "DENIED: the call failed inside the tool gateway", true},
		{"nil content becomes empty", func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
			return ironcurtain.Result{}, nil
		}, 0, ironcurtain.OutcomeSuccess, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srv, audit := testGate(t, allowAll(), func(c *ironcurtain.GateConfig) { c.CallTimeout = tt.timeout })
			srv.handle = tt.handle
			res, err := g.Call(context.Background(), readCall("/a"))
			require.Equal(t, tt.denied, errors.Is(err, ironcurtain.ErrDenied))
			agent := ironcurtain.AgentResult(res, err)
			require.Equal(t, tt.agent, agent.Text())
			require.NotNil(t, agent.Content)
			entries := audit.all()
			require.Len(t, entries, 1, "exactly one audit entry, also after a panic")
			require.Equal(t, tt.outcome, entries[0].Outcome)
			if err != nil && !tt.denied {
				require.NotEmpty(t, entries[0].Error)
			}
		})
	}
}

func TestGatePrepareCall(t *testing.T) {
	srv := &preparingServer{fakeServer: newFakeServer()}
	var judged ironcurtain.ToolCall
	policy := policyFunc(func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		judged = call
		return ironcurtain.Decision{Verdict: ironcurtain.Allow}, nil
	})
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{Servers: map[string]ironcurtain.ToolServer{"git": srv}, Policy: policy})
	require.NoError(t, err)

	_, err = g.Call(context.Background(), ironcurtain.ToolCall{Server: "git", Tool: "list", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.Equal(t, "/work/repo", judged.Arguments["path"], "the policy sees the implicit argument")
	require.Equal(t, "git", judged.Server, "a preparer cannot redirect the call")
	require.Equal(t, "/work/repo", srv.ran()[0].Arguments["path"])

	srv.fail = &ironcurtain.DeniedError{Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-workdir", Reason: "call git_set_working_dir first"}}
	res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: "git", Tool: "list", Arguments: map[string]any{}})
	requireDenied(t, res, err, "no-workdir")
	require.Equal(t, "DENIED: call git_set_working_dir first", ironcurtain.AgentResult(res, err).Text())

	srv.fail = errors.New("stat /home/alice/repo: no such file")
	res, err = g.Call(context.Background(), ironcurtain.ToolCall{Server: "git", Tool: "list", Arguments: map[string]any{}})
	requireDenied(t, res, err, ironcurtain.RulePrepareFailed)
	require.NotContains(t, ironcurtain.AgentResult(res, err).Text(), "alice")
}

type preparingServer struct {
	*fakeServer
	fail error
}

func (s *preparingServer) PrepareCall(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.ToolCall, error) {
	if s.fail != nil {
		return ironcurtain.ToolCall{}, s.fail
	}
	args := map[string]any{"path": "/work/repo"}
	for k, v := range call.Arguments {
		args[k] = v
	}
	call.Arguments = args
	call.Server = "elsewhere"
	return call, nil
}

func TestGateSchemaChangeIsSeen(t *testing.T) {
	g, srv, _ := testGate(t, allowAll(), nil)
	_, err := g.Call(context.Background(), readCall("/a"))
	require.NoError(t, err)
	srv.mu.Lock()
	srv.tools[0].InputSchema = json.RawMessage(`{"type":"object","properties":{"file":{"type":"string"}}}`)
	srv.mu.Unlock()
	res, err := g.Call(context.Background(), readCall("/a"))
	requireDenied(t, res, err, ironcurtain.RuleInvalidArguments)
	require.Contains(t, err.Error(), `argument "path" is not a known argument`)
}

func TestGateInvalidSchemaDenies(t *testing.T) {
	g, srv, _ := testGate(t, allowAll(), nil)
	srv.tools = append(srv.tools, ironcurtain.Tool{Name: "bad", InputSchema: json.RawMessage(`{"$ref":"https://evil.example/schema"}`)})
	res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: "fs", Tool: "bad"})
	requireDenied(t, res, err, ironcurtain.RuleInvalidSchema)
	require.Empty(t, srv.ran())
}

func TestGateTools(t *testing.T) {
	a, b := newFakeServer(), newFakeServer()
	b.tools = b.tools[:1]
	broken := &brokenLister{}
	g, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"zeta": a, "alpha": b, "mid": broken},
		Policy:  allowAll(),
	})
	require.NoError(t, err)
	tools, err := g.Tools(context.Background())
	require.ErrorContains(t, err, `"mid"`)
	var names []string
	for _, st := range tools {
		names = append(names, ironcurtain.QualifiedName(st.Server, st.Tool.Name))
	}
	require.Equal(t, []string{"alpha__read_file", "zeta__read_file", "zeta__list"}, names)
}

type brokenLister struct{ fakeServer }

func (*brokenLister) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return nil, errors.New("upstream gone")
}

func TestNewGateValidates(t *testing.T) {
	srv := newFakeServer()
	for name, cfg := range map[string]ironcurtain.GateConfig{
		"no policy":        {Servers: map[string]ironcurtain.ToolServer{"fs": srv}},
		"empty name":       {Policy: allowAll(), Servers: map[string]ironcurtain.ToolServer{"": srv}},
		"double under":     {Policy: allowAll(), Servers: map[string]ironcurtain.ToolServer{"a__b": srv}},
		"nil server":       {Policy: allowAll(), Servers: map[string]ironcurtain.ToolServer{"fs": nil}},
		"negative cap":     {Policy: allowAll(), MaxArgumentBytes: -1},
		"negative timeout": {Policy: allowAll(), EscalationTimeout: -time.Second},
		"negative breaker": {Policy: allowAll(), Breaker: ironcurtain.BreakerConfig{Threshold: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ironcurtain.NewGate(cfg)
			require.Error(t, err)
		})
	}
}

func TestAgentResult(t *testing.T) {
	ok := ironcurtain.TextResult("fine")
	require.Equal(t, ok, ironcurtain.AgentResult(ok, nil))
	toolErr := ironcurtain.ErrorResult("bad path")
	require.Equal(t, toolErr, ironcurtain.AgentResult(toolErr, nil))

	denied := &ironcurtain.DeniedError{
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Reason: "pushing needs approval"},
		Cause:    errors.New("token ghp_secret in /home/alice"),
	}
	got := ironcurtain.AgentResult(ironcurtain.Result{}, denied)
	require.True(t, got.IsError)
	require.Equal(t, "ESCALATION DENIED: pushing needs approval", got.Text())

	got = ironcurtain.AgentResult(ironcurtain.Result{}, errors.New("dial unix /run/secret.sock: refused"))
	require.Equal(t, "ERROR: the tool call failed", got.Text())
	got = ironcurtain.AgentResult(ironcurtain.Result{}, context.DeadlineExceeded)
	require.Equal(t, "ERROR: the tool call timed out", got.Text())
}

// TestGateConcurrent runs many calls at once (run with -race): every call
// is audited once and the Gate's state stays consistent.
func TestGateConcurrent(t *testing.T) {
	g, srv, audit := testGate(t, allowAll(), func(c *ironcurtain.GateConfig) { c.Breaker.Threshold = 1000 })
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			for j := range 20 {
				call := readCall("/a")
				if j%3 == 0 {
					call.Tool = "missing"
				}
				call.Arguments["head"] = float64(i%5 + 1)
				_, _ = g.Call(context.Background(), call)
			}
		})
	}
	wg.Wait()
	require.Len(t, audit.all(), 64*20)
	require.Len(t, srv.ran(), 64*13)
}

// CallDecided reports the rule behind every call: the one that allowed it,
// the escalating one a person approved, or the refusal's.
func TestCallDecided(t *testing.T) {
	ctx := context.Background()
	g, _, _ := testGate(t, verdict(ironcurtain.Allow, "allow-reads", "reads are fine"), nil)
	res, d, err := g.CallDecided(ctx, readCall("/w/a"))
	require.NoError(t, err)
	require.Equal(t, "ran read_file", res.Text())
	require.Equal(t, ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-reads", Reason: "reads are fine"}, d)

	g, _, _ = testGate(t, verdict(ironcurtain.Escalate, "ask-first", "a person decides"), func(c *ironcurtain.GateConfig) {
		c.Approver = ironcurtain.ApproverFunc(func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
			return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "test"}, nil
		})
	})
	_, d, err = g.CallDecided(ctx, readCall("/w/a"))
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Allow, d.Verdict)
	require.Equal(t, "ask-first", d.Rule, "an approved call names the rule that escalated it")

	g, _, _ = testGate(t, verdict(ironcurtain.Deny, "no-reads", "not here"), nil)
	_, d, err = g.CallDecided(ctx, readCall("/w/a"))
	var de *ironcurtain.DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, de.Decision.Rule, d.Rule)
	require.Equal(t, ironcurtain.Deny, d.Verdict)
}
