// Package codetool gives an agent in Docker Mode one tool, execute_code,
// instead of the raw tools: the agent writes TypeScript, and Code Mode
// (package sandbox/codemode) runs it with the real tools as functions
// whose calls pass the Gate.
//
//	cm, err := codemode.New(codemode.Options{Backend: gate})
//	if err != nil { ... }
//	sb, err := docker.New(docker.Options{
//		Image: img, Adapter: docker.ClaudeCode{},
//		Tools: codetool.New(cm), // the agent sees code__execute_code
//		LLM:   proxy,
//	})
//
// It lives apart from package docker so that Docker Mode alone does not
// link the JavaScript engine.
package codetool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
)

// Names of the one tool: the MCP proxy exports it as Server + "__" + Tool.
const (
	Server = "code"
	Tool   = "execute_code"
)

// args are execute_code's arguments: the script.
type args struct {
	Code string `json:"code" desc:"TypeScript: the body of an async function. Call tools synchronously; use return to give a result."`
}

// inputSchema is execute_code's input schema, derived from args.
var inputSchema = toolset.SchemaOf[args]()

// Backend exports a Code Mode sandbox as one tool. It is a ironcurtain.Backend
// and safe for concurrent use; each call is a fresh, isolated run.
type Backend struct {
	sb *codemode.Sandbox
}

// New returns a Backend running scripts in sb.
func New(sb *codemode.Sandbox) *Backend { return &Backend{sb: sb} }

// Tools lists execute_code, described with the TypeScript declarations of
// the tools a script can call, listed now.
func (b *Backend) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	decl, err := b.sb.Declarations(ctx)
	if err != nil {
		return nil, err
	}
	desc := "Run TypeScript in a sandbox with no file system, network or environment. " +
		"The only way out is the tools below; every call is checked against the policy, and a refused call throws an Error saying why. " +
		"The result is JSON: {\"result\": the returned value, \"output\": console lines}.\n\n" + decl
	return []ironcurtain.ServerTool{{
		Server: Server,
		Tool:   ironcurtain.Tool{Name: Tool, Description: desc, InputSchema: slices.Clone(inputSchema)},
	}}, nil
}

// Call runs call.Arguments["code"]. A script that fails is a tool result
// with IsError set and the error's text, which Code Mode keeps free of host
// details; only an unknown tool or missing code is an error.
func (b *Backend) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if call.Server != Server || call.Tool != Tool {
		return ironcurtain.Result{}, &ironcurtain.DeniedError{
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: ironcurtain.RuleUnknownTool, Reason: "the only tool is " + Server + "__" + Tool},
			Cause:    ironcurtain.ErrUnknownTool,
		}
	}
	code, ok := call.Arguments["code"].(string)
	if !ok || strings.TrimSpace(code) == "" {
		return ironcurtain.ErrorResult("execute_code needs the code to run, as a string"), nil
	}
	rep, err := b.sb.Run(ctx, ironcurtain.Job{Source: code, Session: call.Session})
	out := struct {
		Result json.RawMessage `json:"result,omitempty"`
		Output []string        `json:"output,omitempty"`
		Error  string          `json:"error,omitempty"`
	}{Result: rep.Value, Output: rep.Output}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ironcurtain.Result{}, err
		}
		out.Error = err.Error()
	}
	text, merr := json.Marshal(out)
	if merr != nil {
		return ironcurtain.Result{}, fmt.Errorf("codetool: encoding the result: %w", merr)
	}
	if err != nil {
		return ironcurtain.ErrorResult(string(text)), nil
	}
	return ironcurtain.TextResult(string(text)), nil
}
