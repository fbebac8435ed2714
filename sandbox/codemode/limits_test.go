package codemode

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

func TestLimitToolCalls(t *testing.T) {
	b := &fakeBackend{tools: testTools()}
	s := newTestSandbox(t, b, Options{MaxToolCalls: 3})
	rep, err := runScript(t, s, `
for (let i = 0; i < 10; i++) {
  try { filesystem.read_file({ path: "f" + i }); } catch (e) { console.log((e as Error).message); }
}
return "kept going";`)
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
	require.ErrorContains(t, err, "more than 3 tool calls")
	require.Nil(t, rep.Value, "the run ends at the limit even if the script catches it")
	require.Len(t, b.received(), 3)
	require.Len(t, rep.Calls, 3)
}

func TestLimitOutput(t *testing.T) {
	s := newTestSandbox(t, nil, Options{MaxOutputBytes: 20})
	rep, err := runScript(t, s, `for (let i = 0; i < 1000; i++) console.log("line " + i); return "done";`)
	require.NoError(t, err, "too much output is cut, not an error")
	require.JSONEq(t, `"done"`, string(rep.Value))
	require.Equal(t, []string{"line 0", "line 1", "line 2", "li", "[output truncated: the script printed more than 20 bytes]"}, rep.Output)
}

func TestLimitResult(t *testing.T) {
	s := newTestSandbox(t, nil, Options{MaxResultBytes: 100})
	rep, err := runScript(t, s, `return "x".repeat(99);`)
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
	require.Nil(t, rep.Value)
	rep, err = runScript(t, s, `return "x".repeat(98);`)
	require.NoError(t, err)
	require.Len(t, rep.Value, 100)
}

func TestLimitToolResultTooLargeForMemory(t *testing.T) {
	big := strings.Repeat("x", 8<<20)
	b := &fakeBackend{tools: testTools(), fn: func(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
		return ironcurtain.TextResult(big), nil
	}}
	s := newTestSandbox(t, b, Options{MemoryLimit: 4 << 20})
	_, err := runScript(t, s, `return filesystem.read_file({ path: "big" }).length;`)
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
}

func TestCancelDuringToolCall(t *testing.T) {
	entered := make(chan struct{})
	b := &fakeBackend{tools: testTools(), fn: func(ctx context.Context, _ ironcurtain.ToolCall) (ironcurtain.Result, error) {
		close(entered)
		<-ctx.Done()
		return ironcurtain.Result{}, ctx.Err()
	}}
	s := newTestSandbox(t, b, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	rep, err := s.Run(ctx, ironcurtain.Job{Source: `console.log("calling"); filesystem.read_file({ path: "a" }); return 1;`})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"calling"}, rep.Output)
	require.Len(t, rep.Calls, 1)
}

// TestTimeoutPausesDuringToolCalls runs in a synctest bubble: time moves
// only when everything waits, so the test shows which clock fires first.
func TestTimeoutPausesDuringToolCalls(t *testing.T) {
	require.NoError(t, Precompile()) // outside the bubble
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{tools: testTools(), fn: func(ctx context.Context, _ ironcurtain.ToolCall) (ironcurtain.Result, error) {
			select {
			case <-time.After(time.Minute): // an approver taking its time
				return ironcurtain.TextResult("approved at last"), nil
			case <-ctx.Done():
				return ironcurtain.Result{}, ctx.Err()
			}
		}}
		s := newTestSandbox(t, b, Options{Timeout: time.Second})
		rep, err := runScript(t, s, `return filesystem.read_file({ path: "a" });`)
		require.NoError(t, err)
		require.JSONEq(t, `"approved at last"`, string(rep.Value))
		require.GreaterOrEqual(t, rep.Calls[0].Duration, time.Minute)

		// Waiting on a timer is the script's own time.
		_, err = runScript(t, s, `await new Promise((r) => setTimeout(r, 5000)); return 1;`)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fired := make(chan struct{})
		c := startClock(time.Second, func() { close(fired) })
		time.Sleep(600 * time.Millisecond) // fake time
		c.pause()
		time.Sleep(time.Hour)
		c.resume()
		time.Sleep(300 * time.Millisecond)
		select {
		case <-fired:
			t.Fatal("fired while paused time was counted")
		default:
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		select {
		case <-fired:
		default:
			t.Fatal("did not fire after the budget")
		}
		c.pause() // after firing: no effect
		c.resume()
		c.stop()
	})
}

func TestGateDecisions(t *testing.T) {
	policy := policyFunc(func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		switch call.Tool {
		case "write_file":
			return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-writes", Reason: "writes are not allowed"}, nil
		case "git_status":
			return ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "ask-git", Reason: "git needs a person"}, nil
		}
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "read", Reason: "reads are fine"}, nil
	})
	asked := make(chan ironcurtain.Escalation)
	answer := make(chan ironcurtain.Approval)
	approver := ironcurtain.ApproverFunc(func(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
		asked <- esc
		return <-answer, nil
	})
	g := newGate(t, policy, approver, func(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
		if call.Tool == "git_status" {
			r := ironcurtain.TextResult("branch main")
			r.Structured = []byte(`{"branch":"main","clean":false}`)
			return r, nil
		}
		return ironcurtain.TextResult("read " + call.Arguments["path"].(string)), nil
	})
	s := newTestSandbox(t, g, Options{})

	go func() {
		if esc := <-asked; esc.Call.Tool != "git_status" {
			t.Errorf("asked about %s", esc.Call.Tool)
		}
		answer <- ironcurtain.Approval{Answer: ironcurtain.Approve, By: "test"}
		<-asked
		answer <- ironcurtain.Approval{Answer: ironcurtain.Reject, By: "test", Reason: "no"}
	}()
	rep, err := runScript(t, s, `
const text = filesystem.read_file({ path: "a.txt" });
let denied = "", rejected = "";
try { filesystem.write_file({ path: "b.txt", content: "x" }); } catch (e) { denied = (e as Error).message; }
const status = git.git_status({});
try { git.git_status({}); } catch (e) { rejected = (e as Error).message; }
return { text, denied, status, rejected };`)
	require.NoError(t, err)
	require.JSONEq(t, `{"text":"read a.txt","denied":"DENIED: writes are not allowed",
		"status":{"branch":"main","clean":false},"rejected":"ESCALATION DENIED: git needs a person"}`, string(rep.Value))
	require.Len(t, rep.Calls, 4)
	verdicts := []ironcurtain.Verdict{rep.Calls[0].Verdict, rep.Calls[1].Verdict, rep.Calls[2].Verdict, rep.Calls[3].Verdict}
	require.Equal(t, []ironcurtain.Verdict{ironcurtain.Allow, ironcurtain.Deny, ironcurtain.Allow, ironcurtain.Escalate}, verdicts)
	require.Equal(t, "no-writes", rep.Calls[1].Rule)
	require.Equal(t, "ask-git", rep.Calls[3].Rule)

	// A tool the Gate does not know is refused there too: the prelude
	// offers only listed tools, and the Gate checks again.
	_, err = g.Call(context.Background(), ironcurtain.ToolCall{Server: "filesystem", Tool: "nope", Arguments: map[string]any{}})
	require.ErrorIs(t, err, ironcurtain.ErrUnknownTool)
}
