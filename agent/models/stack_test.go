package models_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
)

// notes is an in-process tool server with one tool, that remembers what it
// was asked to do.
type notes struct {
	mu    sync.Mutex
	calls []map[string]any
}

func (*notes) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{
		Name: "write", Description: "Write a note to a file.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"text":{"type":"string"}},"required":["path","text"]}`),
	}}, nil
}

func (n *notes) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, call.Arguments)
	return ironcurtain.TextResult("written"), nil
}

// policy denies writes to /etc, escalates writes to /shared, allows the
// rest.
type policy struct{}

func (policy) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	path, _ := call.Arguments["path"].(string)
	res := []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: path}}
	switch {
	case strings.HasPrefix(path, "/etc/"):
		return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-system-files", Reason: "the system's files are off limits", Resources: res}, nil
	case strings.HasPrefix(path, "/shared/"):
		return ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "ask-shared", Reason: "writing to /shared needs approval", Resources: res}, nil
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "sandbox", Reason: "the sandbox is the agent's"}, nil
}

// The whole way: a model behind the real Anthropic SDK writes TypeScript;
// Code Mode runs it; the Gate denies one write and escalates another,
// which an auto-approver behind the real OpenAI SDK approves because the
// task asked for it; the model finishes.
func TestEndToEnd(t *testing.T) {
	const task = "Write a note saying hello to /shared/motd.txt."
	loopSrv := llmtest.NewAnthropic(t, llmtest.Script(
		llmtest.Reply{Text: "```ts\nreturn notes.write({ path: \"/etc/motd\", text: \"hello\" });\n```", InputTokens: 100, OutputTokens: 10},
		llmtest.Reply{Text: "```ts\nconst r: string = notes.write({ path: \"/shared/motd.txt\", text: \"hello from the agent\" });\nreturn r;\n```", InputTokens: 200, OutputTokens: 10},
		llmtest.Reply{Text: "I wrote the note to /shared/motd.txt.", InputTokens: 300, OutputTokens: 10},
	))
	approverSrv := llmtest.NewOpenAI(t, llmtest.Script(
		llmtest.Reply{Text: `{"decision":"approve","reasoning":"The user asked for a note in /shared/motd.txt."}`},
	))
	loopModel, err := models.Open("anthropic:test-loop", models.Options{APIKey: ironcurtain.NewSecret("ant-key"), BaseURL: loopSrv.URL})
	require.NoError(t, err)
	approverModel, err := models.Open("openai:test-approver", models.Options{BaseURL: approverSrv.URL + "/v1"})
	require.NoError(t, err)

	tools := &notes{}
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers:  map[string]ironcurtain.ToolServer{"notes": tools},
		Policy:   policy{},
		Approver: approve.Chain{Auto: agent.AutoApprover{Model: approverModel, Instruction: agent.Instruction(task)}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gate.Close() })
	sb, err := codemode.New(codemode.Options{Backend: gate})
	require.NoError(t, err)

	tr, err := agent.Run(t.Context(), agent.Config{Model: loopModel, Sandbox: sb, Task: task, Constitution: "Write only where the user asks."})
	require.NoError(t, err)
	require.Equal(t, agent.StopAnswered, tr.Stop, tr.Detail)
	require.Equal(t, "I wrote the note to /shared/motd.txt.", tr.Answer)
	require.Len(t, tr.Steps, 3)

	// Step 1: the Gate refused; the model is told why, and where.
	s1 := tr.Steps[0]
	require.Contains(t, s1.Error, "DENIED: the system's files are off limits")
	require.Contains(t, s1.Error, "agent.ts:1")
	require.Contains(t, s1.Feedback, "1. notes.write: refused: DENIED: the system's files are off limits")
	// Step 2: escalated, approved by the auto-approver, carried out.
	s2 := tr.Steps[1]
	require.Empty(t, s2.Error)
	require.Equal(t, ironcurtain.Allow, s2.Report.Calls[0].Verdict)
	require.Contains(t, s2.Feedback, "Returned:\n\"written\"")
	require.Equal(t, []map[string]any{{"path": "/shared/motd.txt", "text": "hello from the agent"}}, tools.calls)

	// The model saw Code Mode's own declarations.
	sys := loopSrv.Requests()[0].System
	require.Contains(t, sys, "declare const notes")
	require.Contains(t, sys, "write(args: { path: string; text: string })")
	require.Contains(t, sys, "Write only where the user asks.")

	// The approver saw the task, the path and the note's text, as data.
	areqs := approverSrv.Requests()
	require.Len(t, areqs, 1)
	require.Contains(t, areqs[0].Last(), `"Write a note saying hello to /shared/motd.txt."`)
	require.Contains(t, areqs[0].Last(), `"value":"/shared/motd.txt"`)
	require.Contains(t, areqs[0].Last(), `"text":{"value":"hello from the agent"`)
}
