// Package sandboxtest is the contract of [ironcurtain.Sandbox] as a
// reusable test suite. A sandbox runs work written for it (a script, a
// command), so the suite asks for a few jobs in the sandbox's own terms
// and checks what every sandbox must do with them:
//
//	func TestContract(t *testing.T) {
//		sandboxtest.Run(t, func(t *testing.T, exit *sandboxtest.Exit) ironcurtain.Sandbox {
//			return mysandbox.New(mysandbox.Options{Backend: exit})
//		}, sandboxtest.Jobs{
//			Return:  ironcurtain.Job{Source: "return 42;"},
//			Call:    ironcurtain.Job{Source: `return kit.echo({ text: "hi" });`},
//			Forever: ironcurtain.Job{Source: "for (;;) {}"},
//		})
//	}
package sandboxtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// Server and Tool name the one tool the Exit offers. It takes
// {"text": string} and returns the text.
const (
	Server = "kit"
	Tool   = "echo"
)

// Jobs are the work the suite runs, written for the sandbox under test.
type Jobs struct {
	// Return ends at once with the JSON value 42 and calls no tool.
	Return ironcurtain.Job
	// Call calls the Exit's tool once with {"text": "hi"}, and ends with
	// the tool's text as its result, or with an error when the call is
	// refused.
	Call ironcurtain.Job
	// Forever never ends by itself and calls no tool.
	Forever ironcurtain.Job
}

// Exit is the only way out the suite gives a sandbox: one tool, which
// records its calls and can be told to refuse them. It is an
// [ironcurtain.Backend].
type Exit struct {
	mu    sync.Mutex
	deny  bool
	calls []ironcurtain.ToolCall
}

// Tools lists the one tool.
func (e *Exit) Tools(context.Context) ([]ironcurtain.ServerTool, error) {
	return []ironcurtain.ServerTool{{Server: Server, Tool: ironcurtain.Tool{
		Name:        Tool,
		Description: "Return the text it is given.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`),
	}}}, nil
}

// Call records call and answers it, or refuses it as a policy would.
func (e *Exit) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, call)
	if e.deny {
		return ironcurtain.Result{}, &ironcurtain.DeniedError{Decision: ironcurtain.Decision{
			Verdict: ironcurtain.Deny, Rule: "sandboxtest-deny", Reason: "the suite refuses this call"}}
	}
	if call.Server != Server || call.Tool != Tool {
		return ironcurtain.Result{}, fmt.Errorf("sandboxtest: no tool %s/%s: %w", call.Server, call.Tool, ironcurtain.ErrUnknownTool)
	}
	text, _ := call.Arguments["text"].(string)
	return ironcurtain.TextResult(text), nil
}

var _ ironcurtain.Backend = (*Exit)(nil)

func (e *Exit) received() []ironcurtain.ToolCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ironcurtain.ToolCall(nil), e.calls...)
}

// Factory returns a sandbox whose only way out is exit.
type Factory func(t *testing.T, exit *Exit) ironcurtain.Sandbox

// Run checks the contract of ironcurtain.Sandbox:
//   - a job's result reaches the Report as JSON;
//   - a tool call goes to the exit with the job's arguments, exactly
//     once, and is in the Report with its verdict: Allow, or Deny with
//     the rule and reason when the exit refuses it;
//   - a deadline ends a job that never ends, with an error satisfying
//     errors.Is(err, context.DeadlineExceeded), promptly;
//   - a cancelled context ends it too;
//   - runs at once are isolated: each Report holds its own call only.
func Run(t *testing.T, newSandbox Factory, jobs Jobs) {
	t.Helper()
	t.Run("Return", func(t *testing.T) {
		exit := &Exit{}
		rep, err := newSandbox(t, exit).Run(context.Background(), jobs.Return)
		require.NoError(t, err)
		require.JSONEq(t, "42", string(rep.Value))
		require.Empty(t, rep.Calls)
		require.Empty(t, exit.received(), "a job that calls no tool reaches no tool")
	})
	t.Run("Call", func(t *testing.T) {
		exit := &Exit{}
		rep, err := newSandbox(t, exit).Run(context.Background(), jobs.Call)
		require.NoError(t, err)
		require.JSONEq(t, `"hi"`, string(rep.Value))
		got := exit.received()
		require.Len(t, got, 1, "one call reaches the exit")
		require.Equal(t, Server, got[0].Server)
		require.Equal(t, Tool, got[0].Tool)
		require.True(t, reflect.DeepEqual(map[string]any{"text": "hi"}, got[0].Arguments), "arguments as the job gave them: %v", got[0].Arguments)
		require.Len(t, rep.Calls, 1)
		require.Equal(t, ironcurtain.Allow, rep.Calls[0].Verdict)
	})
	t.Run("Denied", func(t *testing.T) {
		exit := &Exit{deny: true}
		rep, _ := newSandbox(t, exit).Run(context.Background(), jobs.Call)
		require.Len(t, exit.received(), 1)
		require.Len(t, rep.Calls, 1, "the refused call is in the Report")
		require.Equal(t, ironcurtain.Deny, rep.Calls[0].Verdict)
		require.Equal(t, "sandboxtest-deny", rep.Calls[0].Rule)
		require.NotEqual(t, `"hi"`, string(rep.Value), "a refused call gives no result")
	})
	t.Run("Deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := newSandbox(t, &Exit{}).Run(ctx, jobs.Forever)
		require.Error(t, err)
		require.True(t, errors.Is(err, context.DeadlineExceeded), "a deadline is reported as one: %v", err)
		require.Less(t, time.Since(start), 15*time.Second, "the run ends promptly after its deadline")
	})
	t.Run("Cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(500*time.Millisecond, cancel)
		start := time.Now()
		_, err := newSandbox(t, &Exit{}).Run(ctx, jobs.Forever)
		require.Error(t, err)
		require.Less(t, time.Since(start), 15*time.Second, "the run ends promptly after its context")
	})
	t.Run("Isolated", func(t *testing.T) {
		exit := &Exit{}
		sb := newSandbox(t, exit)
		var wg sync.WaitGroup
		reps := make([]ironcurtain.Report, 4)
		errs := make([]error, 4)
		for i := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i], errs[i] = sb.Run(context.Background(), jobs.Call)
			}()
		}
		wg.Wait()
		for i := range reps {
			require.NoError(t, errs[i])
			require.Len(t, reps[i].Calls, 1, "run %d holds its own call only", i)
		}
		require.Len(t, exit.received(), len(reps))
	})
}
