package ironcurtain_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

func answer(a ironcurtain.Answer, err error) ironcurtain.ApproverFunc {
	return func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
		return ironcurtain.Approval{Answer: a, By: "tester", Reason: "because"}, err
	}
}

func TestGateEscalation(t *testing.T) {
	const reason = "pushing requires approval"
	tests := []struct {
		name      string
		approver  ironcurtain.Approver
		timeout   time.Duration
		runs      bool
		agentSees string
		answer    ironcurtain.Answer // recorded in the audit entry when asked
	}{
		{"no approver", nil, 0, false, "ESCALATION DENIED: " + reason + " (approval is required, and no approver is configured)", 0},
		{"approve", answer(ironcurtain.Approve, nil), 0, true, "ran read_file", ironcurtain.Approve},
		{"reject", answer(ironcurtain.Reject, nil), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Reject},
		{"abstain", answer(ironcurtain.Abstain, nil), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Abstain},
		{"approve with error", answer(ironcurtain.Approve, errors.New("tty lost")), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Approve},
		{"unknown answer", answer(ironcurtain.Answer(7), nil), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Answer(7)},
		{"timeout", ironcurtain.ApproverFunc(func(ctx context.Context, _ ironcurtain.Escalation) (ironcurtain.Approval, error) {
			<-ctx.Done()
			return ironcurtain.Approval{}, ctx.Err()
		}), time.Nanosecond, false, "ESCALATION DENIED: " + reason, ironcurtain.Abstain},
		{"approval after the deadline", ironcurtain.ApproverFunc(func(ctx context.Context, _ ironcurtain.Escalation) (ironcurtain.Approval, error) {
			<-ctx.Done()
			return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "slow"}, nil
		}), time.Nanosecond, false, "ESCALATION DENIED: " + reason, ironcurtain.Approve},
		{"approval bound to other arguments", ironcurtain.ApproverFunc(func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
			d, err := ironcurtain.ArgumentsDigest(map[string]any{"path": "/b"})
			return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "tester", Reason: "because", Arguments: d}, err
		}), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Approve},
		{"approval bound to the arguments shown", ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
			d, err := ironcurtain.ArgumentsDigest(esc.Call.Arguments)
			return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "tester", Reason: "because", Arguments: d}, err
		}), 0, true, "ran read_file", ironcurtain.Approve},
		{"approver changes the arguments", ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
			esc.Call.Arguments["path"] = "/etc/shadow"
			return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "tester", Reason: "because"}, nil
		}), 0, false, "ESCALATION DENIED: " + reason, ironcurtain.Approve},
		{"approver panic", ironcurtain.ApproverFunc(func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
			panic("approver bug")
		}), 0, false, "DENIED: the call failed inside the tool gateway", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srv, audit := testGate(t, verdict(ironcurtain.Escalate, "escalate-push", reason), func(c *ironcurtain.GateConfig) {
				c.Approver = tt.approver
				c.EscalationTimeout = tt.timeout
			})
			res, err := g.Call(context.Background(), readCall("/a"))
			agent := ironcurtain.AgentResult(res, err)
			require.Equal(t, tt.agentSees, agent.Text())
			entries := audit.all()
			require.Len(t, entries, 1)
			e := entries[0]
			require.True(t, e.Escalated)
			if tt.runs {
				require.NoError(t, err)
				require.Len(t, srv.ran(), 1)
				require.Equal(t, ironcurtain.Allow, e.Verdict)
				require.Equal(t, ironcurtain.OutcomeSuccess, e.Outcome)
				require.Equal(t, "tester", e.Approval.By)
				require.Equal(t, "because", e.Approval.Reason)
				require.Equal(t, "escalate-push", e.Rule, "the escalating rule stays on record")
				return
			}
			require.ErrorIs(t, err, ironcurtain.ErrDenied)
			require.Empty(t, srv.ran())
			require.Equal(t, ironcurtain.OutcomeDenied, e.Outcome)
			if tt.approver != nil && tt.name != "approver panic" {
				require.Equal(t, ironcurtain.Escalate, e.Verdict)
				require.NotNil(t, e.Approval)
				require.Equal(t, tt.answer, e.Approval.Answer)
			}
		})
	}
}

// TestGateAuditsApprovalDigest: the audit entry holds the digest the
// approver bound its answer to, so that a reader of the log can tell what
// was approved, and see an approval refused for other arguments.
func TestGateAuditsApprovalDigest(t *testing.T) {
	other, err := ironcurtain.ArgumentsDigest(map[string]any{"path": "/b"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		bind func(ironcurtain.Escalation) string
		runs bool
	}{
		{"bound to what was shown", func(esc ironcurtain.Escalation) string {
			d, _ := ironcurtain.ArgumentsDigest(esc.Call.Arguments)
			return d
		}, true},
		{"bound to other arguments", func(ironcurtain.Escalation) string { return other }, false},
		{"bound to nothing", func(ironcurtain.Escalation) string { return "" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bound string
			g, _, audit := testGate(t, verdict(ironcurtain.Escalate, "escalate-push", "r"), func(c *ironcurtain.GateConfig) {
				c.Approver = ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
					bound = tc.bind(esc)
					return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "tester", Arguments: bound}, nil
				})
			})
			_, err := g.Call(context.Background(), readCall("/a"))
			require.Equal(t, tc.runs, err == nil, "%v", err)
			entries := audit.all()
			require.Len(t, entries, 1)
			require.NotNil(t, entries[0].Approval)
			shown, err := ironcurtain.ArgumentsDigest(map[string]any{"path": "/a"})
			require.NoError(t, err)
			require.Equal(t, shown, entries[0].Approval.Arguments, "the entry holds what the approver was shown")
			if bound != shown && bound != "" {
				require.Equal(t, bound, entries[0].Approval.BoundTo, "and what it bound its answer to, when that differs")
			} else {
				require.Empty(t, entries[0].Approval.BoundTo)
			}
		})
	}
}

// TestGateEscalationAsksWithCanonicalCall: the approver sees the call as the
// policy judged it, and the decision that escalated it.
func TestGateEscalationAsksWithCanonicalCall(t *testing.T) {
	var asked ironcurtain.Escalation
	policy := policyFunc(func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		return ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "r", Reason: "why",
			Arguments: map[string]any{"path": "/canonical"}, EscalatedRoles: []string{"read-path"}}, nil
	})
	approver := ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
		asked = esc
		return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "t",
			Grant: &ironcurtain.Grant{ID: "g1", Scopes: []ironcurtain.Scope{{Role: "read-path", Kind: "directory", Value: "/"}}}}, nil
	})
	g, _, audit := testGate(t, policy, func(c *ironcurtain.GateConfig) { c.Approver = approver })
	_, err := g.Call(context.Background(), readCall("/x/../canonical"))
	require.NoError(t, err)
	require.Equal(t, "/canonical", asked.Call.Arguments["path"])
	require.Equal(t, []string{"read-path"}, asked.Decision.EscalatedRoles)
	require.Equal(t, "g1", audit.all()[0].Approval.Grant.ID, "the grant the approval created is on record")
	shown, err := ironcurtain.ArgumentsDigest(map[string]any{"path": "/canonical"})
	require.NoError(t, err)
	require.Equal(t, shown, audit.all()[0].Approval.Arguments, "the record names the arguments the approver was shown")
}

func TestGateCircuitBreaker(t *testing.T) {
	clock := newFakeClock()
	g, srv, audit := testGate(t, allowAll(), func(c *ironcurtain.GateConfig) {
		c.Now = clock.Now
		c.Breaker = ironcurtain.BreakerConfig{Threshold: 3, Window: time.Minute}
	})
	ctx := context.Background()
	for range 3 {
		_, err := g.Call(ctx, readCall("/a"))
		require.NoError(t, err)
		clock.Advance(time.Second)
	}
	res, err := g.Call(ctx, readCall("/a"))
	de := requireDenied(t, res, err, ironcurtain.RuleCircuitBreaker)
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
	require.Contains(t, de.AgentMessage(), "already made 3 times with the same arguments within 1m0s; try a different approach")
	require.Equal(t, ironcurtain.OutcomeDenied, audit.all()[3].Outcome)

	// Other arguments, or the same arguments written in another order, are
	// other calls — or the same one.
	_, err = g.Call(ctx, readCall("/b"))
	require.NoError(t, err)
	_, err = g.Call(ctx, ironcurtain.ToolCall{Server: "fs", Tool: "read_file", Arguments: map[string]any{"head": 1.0, "path": "/a"}})
	require.NoError(t, err)

	// The window slides: once the first call is a minute old, one more fits.
	clock.Advance(time.Minute - 3*time.Second)
	_, err = g.Call(ctx, readCall("/a"))
	require.NoError(t, err)
	_, err = g.Call(ctx, readCall("/a"))
	requireDenied(t, ironcurtain.Result{}, err, ironcurtain.RuleCircuitBreaker)
	require.Len(t, srv.ran(), 6)
}

func TestGateBreakerIgnoresDeniedCalls(t *testing.T) {
	deny := true
	policy := policyFunc(func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		if deny {
			return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no"}, nil
		}
		return ironcurtain.Decision{Verdict: ironcurtain.Allow}, nil
	})
	g, _, _ := testGate(t, policy, func(c *ironcurtain.GateConfig) { c.Breaker.Threshold = 2 })
	for range 10 {
		_, err := g.Call(context.Background(), readCall("/a"))
		requireDenied(t, ironcurtain.Result{}, err, "no")
	}
	deny = false
	for range 2 {
		_, err := g.Call(context.Background(), readCall("/a"))
		require.NoError(t, err)
	}
}

// TestGateBreakerBeforeAsking: a person is not asked about a call the
// breaker would refuse.
func TestGateBreakerBeforeAsking(t *testing.T) {
	asked := 0
	approver := ironcurtain.ApproverFunc(func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
		asked++
		return ironcurtain.Approval{Answer: ironcurtain.Approve}, nil
	})
	g, _, _ := testGate(t, verdict(ironcurtain.Escalate, "e", "why"), func(c *ironcurtain.GateConfig) {
		c.Approver = approver
		c.Breaker.Threshold = 2
	})
	for range 2 {
		_, err := g.Call(context.Background(), readCall("/a"))
		require.NoError(t, err)
	}
	_, err := g.Call(context.Background(), readCall("/a"))
	requireDenied(t, ironcurtain.Result{}, err, ironcurtain.RuleCircuitBreaker)
	require.Equal(t, 2, asked)
}
