package toolset_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type greetArgs struct {
	Name  string `json:"name" desc:"Who to greet." schema:"minLength=1"`
	Times *int   `json:"times,omitempty" desc:"How often." schema:"minimum=1,maximum=3,default=1"`
}

func ExampleTyped() {
	greet := toolset.Typed(ironcurtain.Tool{Name: "greet", Description: "Greet someone."},
		func(_ context.Context, a greetArgs) (ironcurtain.Result, error) {
			n := 1
			if a.Times != nil {
				n = *a.Times
			}
			return ironcurtain.TextResult(strings.TrimSpace(strings.Repeat("hello "+a.Name+"! ", n))), nil
		})
	fmt.Println(string(greet.Def.InputSchema))

	set := toolset.New(greet)
	for _, args := range []map[string]any{
		{"name": "Ada", "times": 2},
		{"name": "Ada", "times": 7},
		{"name": "Ada", "Times": 2},
	} {
		res, _ := set.Call(context.Background(), ironcurtain.ToolCall{Tool: "greet", Arguments: args})
		fmt.Println(res.IsError, res.Text())
	}
	// Output:
	// {"type":"object","properties":{"name":{"type":"string","description":"Who to greet.","minLength":1},"times":{"type":"integer","description":"How often.","default":1,"minimum":1,"maximum":3}},"required":["name"],"additionalProperties":false}
	// false hello Ada! hello Ada!
	// true ironcurtain: invalid arguments: argument "times" must be at most 3
	// true ironcurtain: invalid arguments: argument "Times" is not a known argument
}
