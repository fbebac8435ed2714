package docker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/ironcurtain-go/ironcurtain/sandbox/docker"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

// An adapter turns a task into the agent's command line, environment and
// files, given what the sandbox provides.
func ExampleClaudeCode() {
	l, err := docker.ClaudeCode{Model: "claude-sonnet-4-5"}.Launch("Fix the failing test.", docker.Endpoints{
		MCPCommand: []string{docker.BridgePath, "mcp"},
		BaseURLs:   map[string]string{"anthropic": "http://127.0.0.1:18080/anthropic"},
		FakeKeys:   map[string]string{"anthropic": "sk-ant-api03-fake"},
		KeyEnv:     map[string]string{"anthropic": "ANTHROPIC_API_KEY"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(l.Command, " "))
	fmt.Println(l.Env[0])
	fmt.Println(l.Files[0].Path())
	fmt.Print(string(l.Files[0].Content))
	// Output:
	// claude -p Fix the failing test. --output-format json --dangerously-skip-permissions --mcp-config /run/ironcurtain/files/claude-mcp.json --strict-mcp-config --model claude-sonnet-4-5
	// ANTHROPIC_API_KEY=sk-ant-api03-fake
	// /run/ironcurtain/files/claude-mcp.json
	// {
	//   "mcpServers": {
	//     "ironcurtain": {
	//       "command": "/usr/local/bin/ironcurtain-bridge",
	//       "args": [
	//         "mcp"
	//       ]
	//     }
	//   }
	// }
}

// A Sandbox with a Gate and an LLM proxy behind it. Running it needs a
// Docker engine and an image with Claude Code and the bridge.
func ExampleNew() {
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{Policy: denyAll{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gate.Close()
	ca, err := llm.NewCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	proxy, err := llm.New(llm.Options{CA: ca, Vault: vault.FromEnv("ANTHROPIC_API_KEY")})
	if err != nil {
		fmt.Println(err)
		return
	}
	sb, err := docker.New(docker.Options{
		Image:     "ironcurtain-claude-code:1",
		Adapter:   docker.ClaudeCode{},
		Tools:     gate,
		LLM:       proxy,
		Workspace: os.TempDir(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sb.Close()
	if os.Getenv("IRONCURTAIN_EXAMPLE_RUN") == "" {
		return // documentation only
	}
	report, err := sb.Run(context.Background(), ironcurtain.Job{Source: "Summarise README.md.", Session: "example"})
	var exit *docker.ExitError
	if errors.As(err, &exit) {
		fmt.Println("the agent failed with status", exit.Code)
	}
	for _, line := range report.Output {
		fmt.Println(line)
	}
	// Output:
}

type denyAll struct{}

func (denyAll) Evaluate(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "deny-all", Reason: "nothing is allowed"}, nil
}
