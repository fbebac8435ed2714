package approve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
)

var dirScope = ironcurtain.Scope{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/w"}

func esc(p string) ironcurtain.Escalation {
	return ironcurtain.Escalation{
		Call: ironcurtain.ToolCall{Server: "fs", Tool: "write_file", Arguments: map[string]any{"path": p}},
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval",
			Resources: []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: p}}},
	}
}

func fixed(a ironcurtain.Approval, err error) ironcurtain.ApproverFunc {
	return func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) { return a, err }
}

// counting wraps an approver and counts the questions it is asked.
type counting struct {
	ironcurtain.Approver
	asked int
}

func (c *counting) Approve(ctx context.Context, e ironcurtain.Escalation) (ironcurtain.Approval, error) {
	c.asked++
	return c.Approver.Approve(ctx, e)
}

func TestChain(t *testing.T) {
	grant := &ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirScope}, TTL: time.Hour}
	approveWithGrant := ironcurtain.Approval{Answer: ironcurtain.Approve, By: "alice", Grant: grant}
	tests := []struct {
		name       string
		auto       ironcurtain.Approver
		human      ironcurtain.Approver
		noGrants   bool
		answer     ironcurtain.Answer
		by         string
		humanAsked int
		grantKept  bool
	}{
		{"auto approves", fixed(ironcurtain.Approval{Answer: ironcurtain.Approve, By: "auto:haiku"}, nil), nil, false, ironcurtain.Approve, "auto:haiku", 0, false},
		{"auto cannot grant", fixed(approveWithGrant, nil), nil, false, ironcurtain.Approve, "alice", 0, false},
		{"auto cannot reject", fixed(ironcurtain.Approval{Answer: ironcurtain.Reject}, nil), fixed(ironcurtain.Approval{Answer: ironcurtain.Approve, By: "bob"}, nil), false, ironcurtain.Approve, "bob", 1, false},
		{"auto error asks human", fixed(ironcurtain.Approval{Answer: ironcurtain.Approve}, errors.New("llm down")), fixed(ironcurtain.Approval{Answer: ironcurtain.Reject, By: "bob"}, nil), false, ironcurtain.Reject, "bob", 1, false},
		{"human grant kept", nil, fixed(approveWithGrant, nil), false, ironcurtain.Approve, "alice", 1, true},
		{"human grant without store", nil, fixed(approveWithGrant, nil), true, ironcurtain.Approve, "alice", 1, false},
		{"human rejects", nil, fixed(ironcurtain.Approval{Answer: ironcurtain.Reject, Grant: grant}, nil), false, ironcurtain.Reject, "human", 1, false},
		{"nobody", nil, nil, false, ironcurtain.Abstain, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var grants *approve.Grants
			if !tt.noGrants {
				var err error
				grants, err = approve.NewGrants(approve.GrantsOptions{})
				require.NoError(t, err)
			}
			var human *counting
			chain := approve.Chain{Grants: grants, Auto: tt.auto}
			if tt.human != nil {
				human = &counting{Approver: tt.human}
				chain.Human = human
			}
			a, err := chain.Approve(context.Background(), esc("/w/a.txt"))
			require.NoError(t, err)
			require.Equal(t, tt.answer, a.Answer)
			require.Equal(t, tt.by, a.By)
			if human != nil {
				require.Equal(t, tt.humanAsked, human.asked)
			}
			require.Equal(t, tt.grantKept, a.Grant != nil)
			if grants != nil {
				require.Len(t, grants.Live(), map[bool]int{true: 1, false: 0}[tt.grantKept])
			}
			if tt.grantKept {
				require.NotEmpty(t, a.Grant.ID)
			}
		})
	}
}

// TestChainGrantMustCoverTheCall: a person's grant that reaches beyond the
// call they were shown is not kept; the approval of the call itself stands.
func TestChainGrantMustCoverTheCall(t *testing.T) {
	grants, err := approve.NewGrants(approve.GrantsOptions{})
	require.NoError(t, err)
	elsewhere := &ironcurtain.Grant{Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/etc"}}, TTL: time.Hour}
	chain := approve.Chain{Grants: grants, Human: fixed(ironcurtain.Approval{Answer: ironcurtain.Approve, Grant: elsewhere}, nil)}
	a, err := chain.Approve(context.Background(), esc("/w/a.txt"))
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Nil(t, a.Grant)
	require.Contains(t, a.Reason, "not kept")
	require.Empty(t, grants.Live())
}

// pathPolicy escalates writes and reports the canonical path as the
// write-path resource, as the policy engine does.
type pathPolicy struct{}

func (pathPolicy) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	p, _ := call.Arguments["path"].(string)
	p = path.Clean(p)
	return ironcurtain.Decision{
		Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval",
		Resources: []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: p}},
		Arguments: map[string]any{"path": p},
	}, nil
}

type writer struct{}

func (writer) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{Name: "write_file", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)}}, nil
}

func (writer) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.TextResult("written"), nil
}

// TestGateWithGrants: through a Gate, a person's directory grant approves
// later writes inside it without asking again — and asks again, or denies,
// for anything outside it, however the agent spells the path.
func TestGateWithGrants(t *testing.T) {
	grants, err := approve.NewGrants(approve.GrantsOptions{})
	require.NoError(t, err)
	human := &counting{Approver: ironcurtain.ApproverFunc(func(_ context.Context, e ironcurtain.Escalation) (ironcurtain.Approval, error) {
		g, ok := approve.ScopedGrant(e, time.Hour)
		if !ok || e.Call.Arguments["path"] != "/w/p/a.txt" {
			return ironcurtain.Approval{Answer: ironcurtain.Reject, By: "alice"}, nil
		}
		return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "alice", Grant: &g}, nil
	})}
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers:  map[string]ironcurtain.ToolServer{"fs": writer{}},
		Policy:   pathPolicy{},
		Approver: approve.Chain{Grants: grants, Human: human},
	})
	require.NoError(t, err)
	defer gate.Close()
	call := func(p string) string {
		res, err := gate.Call(context.Background(), ironcurtain.ToolCall{Server: "fs", Tool: "write_file", Arguments: map[string]any{"path": p}})
		return ironcurtain.AgentResult(res, err).Text()
	}
	require.Equal(t, "written", call("/w/p/a.txt"))
	require.Equal(t, 1, human.asked)
	require.Equal(t, "written", call("/w/p/sub/b.txt"), "inside the granted directory")
	require.Equal(t, 1, human.asked, "covered by the grant: nobody asked")
	require.Equal(t, "ESCALATION DENIED: writes need approval", call("/w/p/../../etc/passwd"))
	require.Equal(t, "ESCALATION DENIED: writes need approval", call("/w/pp/c.txt"))
	require.Equal(t, 3, human.asked)
}

func ExampleChain() {
	grants, _ := approve.NewGrants(approve.GrantsOptions{})
	person := ironcurtain.ApproverFunc(func(_ context.Context, e ironcurtain.Escalation) (ironcurtain.Approval, error) {
		g, _ := approve.ScopedGrant(e, time.Hour) // the person picks "this directory, for an hour"
		return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "alice", Grant: &g}, nil
	})
	chain := approve.Chain{Grants: grants, Human: person}

	a, _ := chain.Approve(context.Background(), esc("/w/a.txt"))
	fmt.Println(a.Answer, a.By, a.Grant.Scopes[0].Kind, a.Grant.Scopes[0].Value)
	a, _ = chain.Approve(context.Background(), esc("/w/b.txt"))
	fmt.Println(a.Answer, a.By == "grant:"+grants.Live()[0].ID)
	// Output:
	// approve alice directory /w
	// approve true
}
