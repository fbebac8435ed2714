package sandboxtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/faultchild"
	"github.com/ironcurtain-go/ironcurtain/sandbox/sandboxtest"
)

// toy runs three fixed jobs, named by their Source, unless one of its
// faults is switched on.
type toy struct {
	exit  ironcurtain.Caller
	fault string
}

func (s *toy) Run(ctx context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
	switch job.Source {
	case "return":
		return ironcurtain.Report{Value: json.RawMessage("42")}, nil
	case "call":
		n := 1
		if s.fault == "twice" {
			n = 2
		}
		var rep ironcurtain.Report
		for i := 0; i < n; i++ {
			res, err := s.exit.Call(ctx, ironcurtain.ToolCall{Server: sandboxtest.Server, Tool: sandboxtest.Tool, Arguments: map[string]any{"text": "hi"}})
			rec := ironcurtain.CallRecord{Server: sandboxtest.Server, Tool: sandboxtest.Tool, Verdict: ironcurtain.Allow}
			var de *ironcurtain.DeniedError
			if errors.As(err, &de) && s.fault != "verdict" {
				rec.Verdict, rec.Rule = ironcurtain.Deny, de.Decision.Rule
			}
			rep.Calls = append(rep.Calls, rec)
			if err != nil {
				return rep, err
			}
			rep.Value, _ = json.Marshal(res.Text())
		}
		return rep, nil
	case "forever":
		if s.fault == "deadline" {
			<-ctx.Done()
			return ironcurtain.Report{}, errors.New("stopped")
		}
		<-ctx.Done()
		return ironcurtain.Report{}, ctx.Err()
	}
	return ironcurtain.Report{}, errors.New("unknown job")
}

// TestKeepsContract: a sandbox that keeps the contract passes.
func TestKeepsContract(t *testing.T) {
	fault := os.Getenv("SANDBOXTEST_FAULT")
	sandboxtest.Run(t, func(t *testing.T, exit *sandboxtest.Exit) ironcurtain.Sandbox {
		return &toy{exit: exit, fault: fault}
	}, sandboxtest.Jobs{
		Return:  ironcurtain.Job{Source: "return"},
		Call:    ironcurtain.Job{Source: "call"},
		Forever: ironcurtain.Job{Source: "forever"},
	})
}

// TestCatchesBrokenSandboxes runs the suite, in a child process, against
// sandboxes that each break one promise, and requires it to fail.
func TestCatchesBrokenSandboxes(t *testing.T) {
	faultchild.RequireCaught(t, "SANDBOXTEST_FAULT", "TestKeepsContract", "twice", "verdict", "deadline")
}
