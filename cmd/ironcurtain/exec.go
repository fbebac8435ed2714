package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/ironcurtain-go/ironcurtain"
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
	Calls  []execCall      `json:"calls"`
}

type execCall struct {
	Server   string `json:"server"`
	Tool     string `json:"tool"`
	Decision string `json:"decision"`
	Rule     string `json:"rule,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
}

// runExec runs one TypeScript file in Code Mode under the default policy,
// with the built-in tools rooted at the sandbox. Exit codes: 0 the script
// ran to completion, 1 it threw or hit a limit, 2 bad usage or set-up.
func runExec(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ironcurtain exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sandbox := fs.String("sandbox", "", "the agent's sandbox directory (default: a new temporary directory)")
	auditFile := fs.String("audit", "", "the audit log file")
	timeout := fs.Duration("timeout", codemode.DefaultTimeout, "the script's time limit, not counting time in tool calls")
	memory := fs.String("memory", strconv.Itoa(codemode.DefaultMemoryLimit), "the script's memory limit in bytes")
	unjailed := fs.Bool("unjailed-git", false, "run git without its jail where the kernel cannot enforce one (recorded in the audit log)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ironcurtain exec [--sandbox DIR] [--audit FILE] [--timeout D] [--memory BYTES] [--unjailed-git] SCRIPT.ts")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
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
	st, err := jailedStack(ctx, "exec", opts, *unjailed, stderr, cache)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	defer st.Close()
	sb, err := codemode.New(codemode.Options{Backend: st.Gate, Timeout: *timeout, MemoryLimit: mem})
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain exec: %v\n", err)
		return 2
	}
	rep, runErr := sb.Run(ctx, ironcurtain.Job{Source: src})
	out := execOutput{OK: runErr == nil, Result: rep.Value, Output: rep.Output, Calls: []execCall{}}
	if out.Result == nil {
		out.Result = json.RawMessage("null")
	}
	if runErr != nil {
		out.Error = runErr.Error()
	}
	for _, c := range rep.Calls {
		out.Calls = append(out.Calls, execCall{Server: c.Server, Tool: c.Tool, Decision: c.Verdict.String(), Rule: c.Rule, Reason: c.Reason, Error: c.Error})
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
