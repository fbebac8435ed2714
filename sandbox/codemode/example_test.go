package codemode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
)

// notes is an in-process tool server with one tool.
type notes struct{}

func (notes) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{
		Name:        "search",
		Description: "Search the notes.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`),
	}}, nil
}

func (notes) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	q, _ := call.Arguments["query"].(string)
	return ironcurtain.TextResult("3 notes mention " + q), nil
}

// readOnly allows searches and denies everything else.
type readOnly struct{}

func (readOnly) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	if call.Tool == "search" && call.Arguments["query"] != "passwords" {
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "search", Reason: "searching is fine"}, nil
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-secrets", Reason: "the agent may not look for passwords"}, nil
}

// A script calls a tool through a Gate: one call is allowed, one denied,
// and the denial arrives as an Error carrying the rule's reason.
func Example() {
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"notes": notes{}},
		Policy:  readOnly{},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer gate.Close()

	sb, err := codemode.New(codemode.Options{Backend: gate})
	if err != nil {
		log.Fatal(err)
	}
	decls, err := sb.Declarations(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimSpace(decls[strings.Index(decls, "declare"):]))

	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: `
const found: string = notes.search({ query: "budget" });
console.log(found);
try {
  notes.search({ query: "passwords" });
} catch (e) {
  console.warn((e as Error).message);
}
return { found };`})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(rep.Value))
	for _, line := range rep.Output {
		fmt.Println(line)
	}
	for _, c := range rep.Calls {
		// The Gate reports the deciding rule of refused calls only.
		fmt.Println(strings.TrimSpace(fmt.Sprintln(c.Server, c.Tool, c.Verdict, c.Rule)))
	}
	// Output:
	// declare const notes: {
	//   /** Search the notes. */
	//   search(args: { query: string }): string;
	// };
	// {"found":"3 notes mention budget"}
	// 3 notes mention budget
	// [WARN] DENIED: the agent may not look for passwords
	// notes search allow search
	// notes search deny no-secrets
}
