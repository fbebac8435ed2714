package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// maxScriptBytes bounds the script exec reads.
const maxScriptBytes = 1 << 20

// execOutput is the one JSON line exec prints.
type execOutput struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error,omitempty"`
	Output []string        `json:"output,omitempty"`
	Calls  []callOutcome   `json:"calls"`
}

// callOutcome is a tool call and its decision as exec's output and run's
// call events report it.
type callOutcome struct {
	Server   string `json:"server"`
	Tool     string `json:"tool"`
	Decision string `json:"decision"`
	Rule     string `json:"rule,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
}

func outcomeOf(c ironcurtain.CallRecord) callOutcome {
	return callOutcome{Server: c.Server, Tool: c.Tool, Decision: c.Verdict.String(), Rule: c.Rule, Reason: c.Reason, Error: c.Error}
}

// runExec runs one TypeScript file in Code Mode under the default policy,
// with the built-in tools rooted at the sandbox. Exit codes: 0 the script
// ran to completion, 1 it threw or hit a limit, 2 bad usage or set-up.
func runExec(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	fs := newFlags("ironcurtain exec", "usage: ironcurtain exec [--sandbox DIR] [--audit FILE] [--timeout D] [--memory BYTES] [--unjailed-git] [--auto-approve MODEL --instruction TEXT] SCRIPT.ts", stderr)
	sandbox := fs.String("sandbox", "", "the agent's sandbox directory (default: a new temporary directory)")
	auditFile := fs.String("audit", "", "the audit log file")
	timeout := fs.Duration("timeout", codemode.DefaultTimeout, "the script's time limit, not counting time in tool calls")
	memory := fs.String("memory", strconv.Itoa(codemode.DefaultMemoryLimit), "the script's memory limit in bytes")
	unjailed := fs.Bool("unjailed-git", false, "run git without its jail where the kernel cannot enforce one (recorded in the audit log)")
	autoModel := fs.String("auto-approve", "", "let this model (anthropic:MODEL-ID or openai:MODEL-ID) approve escalated calls that --instruction clearly asks for; it never denies, the terminal decides the rest")
	instruction := fs.String("instruction", "", "your instruction, the only thing the --auto-approve model trusts")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	auto, err := autoApprover(*autoModel, *instruction)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	mem, err := strconv.ParseInt(*memory, 10, 64)
	if err != nil || mem <= 0 {
		fmt.Fprintf(stderr, "ironcurtain exec: --memory %q: want a number of bytes\n", *memory)
		return 2
	}
	src, err := readScript(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	if *sandbox == "" {
		if *sandbox, err = os.MkdirTemp("", "ironcurtain-exec-"); err != nil {
			fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "ironcurtain exec: sandbox %s\n", *sandbox)
	}
	cache := startCodeMode("exec", stderr)
	opts := stack.Options{Sandbox: *sandbox, Audit: *auditFile}
	if cache != "" {
		opts.Protected = []string{cache}
	}
	term := &approve.Terminal{}
	defer term.Close()
	opts.Human = term
	opts.Auto = auto
	st, err := jailedStack(ctx, "exec", opts, *unjailed, stderr, cache)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	defer func() {
		if closeAudited("exec", st, *auditFile, stderr) != nil && code == 0 {
			code = 1
		}
	}()
	sb, err := codemode.New(codemode.Options{Backend: st.Gate, Timeout: *timeout, MemoryLimit: mem})
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	defer sb.Close()
	rep, runErr := sb.Run(ctx, ironcurtain.Job{Source: src})
	out := execOutput{OK: runErr == nil, Result: rep.Value, Output: rep.Output, Calls: []callOutcome{}}
	if out.Result == nil {
		out.Result = json.RawMessage("null")
	}
	if runErr != nil {
		out.Error = runErr.Error()
	}
	for _, c := range rep.Calls {
		out.Calls = append(out.Calls, outcomeOf(c))
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 1
	}
	if runErr != nil {
		return 1
	}
	return 0
}

// readScript reads the script file, or standard input for "-".
func readScript(name string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxScriptBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxScriptBytes {
		return "", fmt.Errorf("%s: larger than %d bytes", name, maxScriptBytes)
	}
	return string(b), nil
}

// autoApprover returns the model-driven approver --auto-approve names, with
// the user's instruction as its only trusted input; nil when name is empty.
// A model without an instruction is a usage error: it could approve
// nothing.
func autoApprover(name, instruction string) (ironcurtain.Approver, error) {
	if name == "" {
		if instruction != "" {
			return nil, errors.New("--instruction is only for --auto-approve")
		}
		return nil, nil
	}
	if strings.TrimSpace(instruction) == "" {
		return nil, errors.New("--auto-approve needs --instruction: the model approves only what your instruction asks for")
	}
	if !strings.Contains(name, ":") {
		name = "anthropic:" + name
	}
	opts, err := models.EnvOptions(name, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("--auto-approve %q: %w", name, err)
	}
	m, err := models.Open(name, opts)
	if err != nil {
		return nil, fmt.Errorf("--auto-approve %q: %w", name, err)
	}
	return agent.AutoApprover{Model: m, Instruction: agent.Instruction(instruction)}, nil
}
