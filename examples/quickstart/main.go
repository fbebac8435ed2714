// Command quickstart runs a small agent in Code Mode: a TypeScript script,
// executed in QuickJS-in-WebAssembly, whose only way out is a tool call
// through the Gate — the default policy, the built-in filesystem and git
// tools rooted at a fresh workspace, approvals, and a hash-chained audit
// log. It prints what the script did, what the Gate decided, and where the
// audit log is.
//
//	go run ./examples/quickstart
//
// The script works in its workspace (allowed), tries to read ~/.ssh (denied)
// and to push (escalated: you are asked on the terminal; with no one there,
// denied).
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// script is the agent's program: what a model would write.
//
//go:embed agent.ts
var script string

func main() {
	ctx := context.Background()
	term := &approve.Terminal{}
	defer term.Close()
	if err := run(ctx, os.Stdout, term, ""); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run sets up the workspace and the trusted side in new directories under
// base (the system's temporary directory when empty; they are kept for you
// to look at), runs the script, and reports. human answers escalations
// (nil: nobody, so they are denied).
func run(ctx context.Context, w io.Writer, human ironcurtain.Approver, base string) error {
	workspace, err := os.MkdirTemp(base, "ironcurtain-workspace-")
	if err != nil {
		return err
	}
	state, err := os.MkdirTemp(base, "ironcurtain-state-")
	if err != nil {
		return err
	}
	auditLog := filepath.Join(state, "audit.jsonl")
	st, err := stack.New(ctx, stack.Options{
		Sandbox:           workspace,
		Audit:             auditLog,
		Human:             human,
		EscalationTimeout: time.Minute,
	})
	if err != nil {
		return err
	}
	sandbox, err := codemode.New(codemode.Options{Backend: st.Gate, Session: "quickstart"})
	if err != nil {
		st.Close()
		return err
	}

	fmt.Fprintf(w, "Workspace (the agent's sandbox): %s\nRunning the agent's TypeScript in Code Mode...\n\n", workspace)
	rep, runErr := sandbox.Run(ctx, ironcurtain.Job{Source: script})
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "What the script printed:")
	for _, line := range rep.Output {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if runErr != nil {
		fmt.Fprintf(w, "The script stopped: %v\n", runErr)
	} else {
		fmt.Fprintf(w, "The script returned: %s\n", rep.Value)
	}
	fmt.Fprintln(w, "\nWhat the Gate decided, from the audit log:")
	if err := printAudit(w, auditLog); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAudit log: %s\nVerify it:  go run ./cmd/ironcurtain audit verify %s\n", auditLog, auditLog)
	return nil
}

// auditLine is the part of an audit record the table shows.
type auditLine struct {
	Type string `json:"type"`
	Call *struct {
		Server  string `json:"server"`
		Tool    string `json:"tool"`
		Verdict string `json:"decision"`
		Rule    string `json:"rule"`
		Reason  string `json:"reason"`
		Outcome string `json:"outcome"`
	} `json:"call"`
}

func printAudit(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DECISION\tTOOL\tRULE\tOUTCOME")
	var reasons []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		if l.Type != "call" || l.Call == nil {
			continue
		}
		c := l.Call
		fmt.Fprintf(tw, "  %s\t%s/%s\t%s\t%s\n", c.Verdict, c.Server, c.Tool, c.Rule, c.Outcome)
		if c.Verdict != "allow" {
			reasons = append(reasons, fmt.Sprintf("  %s/%s: %s", c.Server, c.Tool, c.Reason))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(reasons) > 0 {
		fmt.Fprintln(w, "\nWhy the refused calls were refused (the agent was told the same):")
		fmt.Fprintln(w, strings.Join(reasons, "\n"))
	}
	return nil
}
