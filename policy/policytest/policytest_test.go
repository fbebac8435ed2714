package policytest_test

import (
	"context"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy/policytest"
	"github.com/stretchr/testify/require"
)

// toy allows reads of "ok" on server fs and denies the rest, unless one
// of its faults is switched on.
type toy struct {
	fault string
	n     atomic.Int64
}

func (e *toy) Evaluate(ctx context.Context, c ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	if e.fault == "mutate" && c.Arguments != nil {
		c.Arguments["path"] = "rewritten"
	}
	if e.fault == "flaky" && e.n.Add(1)%5 == 0 {
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "sometimes"}, nil
	}
	known := c.Server == "fs" && c.Tool == "read"
	if e.fault == "open" && c.Server != "fs" {
		known = true
	}
	if !known {
		return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "unknown-tool", Reason: "no such tool"}, nil
	}
	if c.Arguments["path"] == "ok" || (e.fault == "bare" && len(c.Arguments) == 0) {
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-ok"}, nil
	}
	reason := "only ok may be read"
	if e.fault == "reason" {
		reason = ""
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "deny-rest", Reason: reason}, nil
}

var calls = []ironcurtain.ToolCall{
	{Server: "fs", Tool: "read", Arguments: map[string]any{"path": "ok"}},
	{Server: "fs", Tool: "read", Arguments: map[string]any{"path": "secret"}},
}

// TestKeepsContract: an engine that keeps the contract passes.
func TestKeepsContract(t *testing.T) {
	policytest.Run(t, &toy{fault: os.Getenv("POLICYTEST_FAULT")}, calls)
}

// TestCatchesBrokenEngines runs the suite, in a child process, against
// engines that each break one promise, and requires it to fail.
func TestCatchesBrokenEngines(t *testing.T) {
	if os.Getenv("POLICYTEST_FAULT") != "" {
		t.Skip("in the child")
	}
	for _, fault := range []string{"mutate", "flaky", "open", "bare", "reason"} {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestKeepsContract$", "-test.count=1")
			cmd.Env = append(os.Environ(), "POLICYTEST_FAULT="+fault)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the suite passed an engine with the fault %q:\n%s", fault, out)
			require.Contains(t, string(out), "--- FAIL")
		})
	}
}
