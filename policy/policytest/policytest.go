// Package policytest is the contract of [ironcurtain.PolicyEngine] as a
// reusable test suite. Run it against every engine, with calls that
// exercise its rules:
//
//	func TestContract(t *testing.T) {
//		e := newEngine(t)
//		policytest.Run(t, e, []ironcurtain.ToolCall{
//			{Server: "filesystem", Tool: "read_file", Arguments: map[string]any{"path": "/sandbox/a"}},
//			...
//		})
//	}
//
// The suite evaluates the calls many times, in turn and at once, and
// never runs a tool.
package policytest

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// evalTimeout bounds one evaluation made by the suite.
const evalTimeout = 10 * time.Second

// Run checks the contract of ironcurtain.PolicyEngine on calls, and on
// calls it derives from them:
//   - every evaluation gives a Decision with a known Verdict and a Rule,
//     and a Reason when the Verdict is Deny or Escalate; or an error;
//   - the same call gives the same Verdict, Rule and Reason again
//     (nothing on disk changes during the suite), in turn and from many
//     goroutines at once (run the suite with -race);
//   - Evaluate leaves the call's Arguments as they were, and a Decision's
//     canonical Arguments are a map of their own;
//   - a call whose context is done returns promptly;
//   - fail closed: a call to a server or a tool the engine has never
//     heard of, and a call without arguments, are never allowed unless
//     the same call with its arguments is;
//
// and that calls hold at least one call, so the suite cannot pass empty.
func Run(t *testing.T, engine ironcurtain.PolicyEngine, calls []ironcurtain.ToolCall) {
	t.Helper()
	require.NotEmpty(t, calls, "policytest.Run needs calls that exercise the engine")
	first := make([]outcome, len(calls))
	for i, c := range calls {
		first[i] = evaluate(t, engine, context.Background(), c)
	}
	t.Run("Decisions", func(t *testing.T) {
		for i, o := range first {
			checkOutcome(t, calls[i], o)
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		for i, c := range calls {
			require.Equal(t, first[i], evaluate(t, engine, context.Background(), c), "%s: evaluated twice", label(c))
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, c := range calls {
					if got := evaluate(t, engine, context.Background(), c); !reflect.DeepEqual(first[i], got) {
						t.Errorf("%s: concurrently %+v, alone %+v", label(c), got, first[i])
					}
				}
			}()
		}
		wg.Wait()
	})
	t.Run("DoneContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, c := range calls {
			start := time.Now()
			evaluate(t, engine, ctx, c)
			require.Less(t, time.Since(start), 5*time.Second, "%s: a done context returns promptly", label(c))
		}
	})
	t.Run("FailClosed", func(t *testing.T) {
		for i, c := range calls {
			unknownServer := c
			unknownServer.Server = "policytest-no-such-server"
			unknownTool := c
			unknownTool.Tool = "policytest_no_such_tool"
			for _, u := range []ironcurtain.ToolCall{unknownServer, unknownTool} {
				o := evaluate(t, engine, context.Background(), u)
				require.False(t, o.Err == "" && o.Verdict == ironcurtain.Allow, "%s: an unknown server or tool is allowed (rule %q)", label(u), o.Rule)
			}
			if first[i].Err != "" || first[i].Verdict != ironcurtain.Allow {
				for _, args := range []map[string]any{nil, {}} {
					bare := c
					bare.Arguments = args
					o := evaluate(t, engine, context.Background(), bare)
					require.False(t, o.Err == "" && o.Verdict == ironcurtain.Allow,
						"%s: refused with its arguments, allowed without them (rule %q)", label(c), o.Rule)
				}
			}
		}
	})
}

// outcome is what the suite compares of one evaluation.
type outcome struct {
	Verdict ironcurtain.Verdict
	Rule    string
	Reason  string
	Err     string
}

func label(c ironcurtain.ToolCall) string { return c.Server + "/" + c.Tool }

// evaluate evaluates c once, checking that its arguments are left alone.
func evaluate(t *testing.T, engine ironcurtain.PolicyEngine, ctx context.Context, c ironcurtain.ToolCall) outcome {
	t.Helper()
	before, err := json.Marshal(c.Arguments)
	require.NoError(t, err, "%s: the suite's calls must hold JSON values", label(c))
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	d, err := engine.Evaluate(ctx, c)
	after, _ := json.Marshal(c.Arguments) // encoded once already
	require.JSONEq(t, string(before), string(after), "%s: Evaluate modified the call's arguments", label(c))
	if err != nil {
		return outcome{Err: err.Error()}
	}
	if d.Arguments != nil && c.Arguments != nil {
		require.NotEqual(t, reflect.ValueOf(c.Arguments).Pointer(), reflect.ValueOf(d.Arguments).Pointer(),
			"%s: the Decision's Arguments are the call's own map", label(c))
	}
	return outcome{Verdict: d.Verdict, Rule: d.Rule, Reason: d.Reason}
}

func checkOutcome(t *testing.T, c ironcurtain.ToolCall, o outcome) {
	if o.Err != "" {
		return
	}
	switch o.Verdict {
	case ironcurtain.Allow, ironcurtain.Deny, ironcurtain.Escalate:
	default:
		t.Errorf("%s: unknown verdict %d", label(c), o.Verdict)
	}
	require.NotEmpty(t, o.Rule, "%s: a decision names its rule", label(c))
	if o.Verdict != ironcurtain.Allow {
		require.NotEmpty(t, o.Reason, "%s: a refusal gives its reason", label(c))
	}
}
