package agent_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// A run with a scripted model and a stand-in sandbox: the model's first
// write is refused, it changes course, and it finishes with a report.
func Example() {
	answers := []string{
		"```ts\nreturn notes.write({ path: \"/etc/motd\", text: \"hello\" });\n```",
		"That was refused. I will write inside the sandbox instead.\n```ts\nreturn notes.write({ path: \"motd.txt\", text: \"hello\" });\n```",
		"I wrote the greeting to motd.txt; /etc/motd is off limits.",
	}
	model := agent.ModelFunc(func(_ context.Context, req agent.Request) (agent.Response, error) {
		n := len(req.Messages) / 2 // the conversation grows by two turns a step
		return agent.Response{Text: answers[n], Finish: agent.FinishEnd, Usage: agent.Usage{InputTokens: 100, OutputTokens: 20}}, nil
	})
	// In a real program: codemode.New(codemode.Options{Backend: gate}).
	sandbox := sandboxFunc(func(_ context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
		if strings.Contains(job.Source, "/etc/") {
			return ironcurtain.Report{Calls: []ironcurtain.CallRecord{{Server: "notes", Tool: "write", Verdict: ironcurtain.Deny,
				Reason: "only the sandbox is writable", Error: "DENIED: only the sandbox is writable"}}}, nil
		}
		return ironcurtain.Report{Value: []byte(`"written"`),
			Calls: []ironcurtain.CallRecord{{Server: "notes", Tool: "write", Verdict: ironcurtain.Allow}}}, nil
	})

	tr, err := agent.Run(context.Background(), agent.Config{
		Model:        model,
		Sandbox:      sandbox,
		Declarations: "declare const notes: { write(args: { path: string; text: string }): string };",
		Task:         "Put a greeting in the message of the day.",
		OnStep: func(s agent.Step) {
			fmt.Printf("step %d: ran=%v\n", s.N, s.Ran)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tr.Steps[0].Feedback)
	fmt.Println("--")
	fmt.Println(tr.Stop, tr.Usage.Total())
	fmt.Println(tr.Answer)
	// Output:
	// step 1: ran=true
	// step 2: ran=true
	// step 3: ran=false
	// The code ran to the end.
	//
	// Tool calls:
	// 1. notes.write: refused: DENIED: only the sandbox is writable
	//
	// Returned: nothing.
	//
	// A refused call will be refused again. Do not repeat it or work around it: take another way, or end with an answer that says what could not be done and why.
	// --
	// answered 360
	// I wrote the greeting to motd.txt; /etc/motd is off limits.
}

// An AutoApprover approves what the user's instruction explicitly asks
// for, and passes everything else to the person behind it.
func ExampleAutoApprover() {
	model := agent.ModelFunc(func(context.Context, agent.Request) (agent.Response, error) {
		return agent.Response{Text: `{"decision":"approve","reasoning":"The user asked to push main to github.com."}`, Finish: agent.FinishEnd}, nil
	})
	auto := agent.AutoApprover{Model: model, Instruction: agent.Instruction("Push main to origin on github.com.")}
	a, _ := auto.Approve(context.Background(), ironcurtain.Escalation{
		Call: ironcurtain.ToolCall{Server: "git", Tool: "git_push"},
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "ask-push",
			Resources: []ironcurtain.Resource{{Role: "git-remote-url", Kind: "url", Value: "https://github.com/me/site.git", Host: "github.com"}}},
	})
	fmt.Println(a.Answer, a.Reason)
	// Output:
	// approve auto-approved: The user asked to push main to github.com.
}
