package compile_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// Compile two sentences of the controlled subset, offline, and print the
// rules in the order the engine applies them: the narrower sentence, about
// ~/Documents/Taxes, comes first although it was written second.
func Example() {
	constitution := `# My constitution
- The agent may read files in ~/Documents.
- The agent may never read files in ~/Documents/Taxes.
`
	res, err := compile.Compile(context.Background(), []byte(constitution), compile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Policy.Rules {
		cond, _ := json.Marshal(r.If)
		fmt.Printf("%s → %s\n  if %s\n  %q\n", r.Name, r.Then, cond, r.Reason)
	}
	fmt.Println(len(res.Scenarios.Scenarios), "scenarios, all passing on the engine")
	// Output:
	// deny-read-documents-taxes → deny
	//   if {"roles":["read-path"],"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents/Taxes"}}
	//   "The constitution forbids reading files in ~/Documents/Taxes."
	// allow-read-documents → allow
	//   if {"roles":["read-path"],"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}}
	//   "The constitution lets the agent read files in ~/Documents."
	// 4 scenarios, all passing on the engine
}
