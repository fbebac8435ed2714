package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy"
)

// greeter is a stand-in for a Gate: one tool server, "hello", whose "greet"
// tool is allowed and whose "shout" tool the policy denies.
type greeter struct{}

func (greeter) Tools(context.Context) ([]ironcurtain.ServerTool, error) {
	schema := json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)
	return []ironcurtain.ServerTool{
		{Server: "hello", Tool: ironcurtain.Tool{Name: "greet", InputSchema: schema}},
		{Server: "hello", Tool: ironcurtain.Tool{Name: "shout", InputSchema: schema}},
	}, nil
}

func (greeter) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if call.Tool == "shout" {
		return ironcurtain.Result{}, &ironcurtain.DeniedError{Decision: ironcurtain.Decision{
			Rule: "no-shouting", Reason: "the agent may not raise its voice",
		}}
	}
	return ironcurtain.TextResult(fmt.Sprintf("hello, %v", call.Arguments["name"])), nil
}

// An MCP session over stdio, written out by hand: the handshake, then two
// tool calls. Denials are tool results the model can read, not protocol
// errors.
func ExampleServer_ServeStdio() {
	ctx := context.Background()
	srv, err := proxy.NewServer(ctx, greeter{}, proxy.ServerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	in := strings.NewReader(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"example","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello__greet","arguments":{"name":"agent"}}}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hello__shout","arguments":{"name":"agent"}}}
`)
	var out bytes.Buffer
	if err := srv.ServeStdio(ctx, in, &out); err != nil {
		fmt.Println(err)
		return
	}

	// Calls are served concurrently; print the answers in id order.
	type answer struct {
		ID     int `json:"id"`
		Result struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	var answers []answer
	lines := bufio.NewScanner(&out)
	for lines.Scan() {
		var a answer
		if err := json.Unmarshal(lines.Bytes(), &a); err == nil && a.ID > 0 {
			answers = append(answers, a)
		}
	}
	slices.SortFunc(answers, func(a, b answer) int { return a.ID - b.ID })
	for _, a := range answers {
		fmt.Printf("%d isError=%v %s\n", a.ID, a.Result.IsError, a.Result.Content[0].Text)
	}
	// Output:
	// 1 isError=false hello, agent
	// 2 isError=true DENIED: the agent may not raise its voice
}
