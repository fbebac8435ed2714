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
//
// Given a task, it runs the real agent loop instead: a model writes the
// TypeScript, step by step, under the same Gate.
//
//	ANTHROPIC_API_KEY=... go run ./examples/quickstart "Write a haiku about containment to haiku.md and commit it"
//	OPENAI_BASE_URL=http://127.0.0.1:11434/v1 go run ./examples/quickstart -model openai:qwen2.5-coder "..."
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// script is the agent's program: what a model would write.
//
//go:embed agent.ts
var script string

func main() {
	model := flag.String("model", "", `the model, as provider:model ("anthropic:claude-sonnet-4-5", "openai:gpt-4o-mini"); default from the environment`)
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: quickstart [-model provider:model] [task...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	term := &approve.Terminal{}
	defer term.Close()
	cfg := config{human: term}
	if task := strings.Join(flag.Args(), " "); task != "" {
		m, err := openModel(*model)
		if err != nil {
			fmt.Fprintln(os.Stderr, "quickstart:", err)
			os.Exit(2)
		}
		cfg.task, cfg.model = task, m
	}
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// config is what a run needs besides its output.
type config struct {
	// human answers escalations; nil means nobody, so they are denied.
	human ironcurtain.Approver
	// base holds the run's directories; empty means the system's temporary
	// directory. They are kept for you to look at.
	base string
	// task, when set, runs the agent loop with model instead of the
	// built-in script.
	task  string
	model agent.Model
}

// openModel opens the model named by spec, or the one the environment
// points at: Anthropic with ANTHROPIC_API_KEY, an OpenAI-compatible server
// with OPENAI_BASE_URL or OPENAI_API_KEY.
func openModel(spec string) (agent.Model, error) {
	if spec == "" {
		switch {
		case os.Getenv("ANTHROPIC_API_KEY") != "":
			spec = "anthropic:claude-sonnet-4-5"
		case os.Getenv("OPENAI_BASE_URL") != "" || os.Getenv("OPENAI_API_KEY") != "":
			spec = "openai:gpt-4o-mini"
		default:
			return nil, errors.New("a task needs a model: set ANTHROPIC_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server (and -model)")
		}
	}
	opts, err := models.EnvOptions(spec, os.Getenv)
	if err != nil {
		return nil, err
	}
	return models.Open(spec, opts)
}

// run sets up the workspace and the trusted side, runs the built-in script
// or the agent loop, and reports from the audit log.
func run(ctx context.Context, w io.Writer, cfg config) error {
	human, base := cfg.human, cfg.base
	workspace, err := os.MkdirTemp(base, "ironcurtain-workspace-")
	if err != nil {
		return err
	}
	state, err := os.MkdirTemp(base, "ironcurtain-state-")
	if err != nil {
		return err
	}
	auditLog := filepath.Join(state, "audit.jsonl")
	opts := stack.Options{
		Sandbox:           workspace,
		Audit:             auditLog,
		Human:             human,
		EscalationTimeout: time.Minute,
	}
	// Every git invocation runs in a Landlock and seccomp jail of its own
	// where the kernel can enforce one; elsewhere (macOS, an old kernel) the
	// example runs git without it, says so, and writes that to the audit log.
	jp := jail.Policy{Protected: []string{auditLog}, Unsandboxed: true}
	enforced, err := jail.Check(jp)
	if err != nil {
		return err
	}
	opts.Git.Jail = &jp
	if cfg.task != "" {
		// A model may approve escalations the user's own task clearly asks
		// for; anything else still goes to the person.
		opts.Auto = agent.AutoApprover{Model: cfg.model, Instruction: agent.Instruction(cfg.task)}
	}
	st, err := stack.New(ctx, opts)
	if err != nil {
		return err
	}
	if enforced.Unsandboxed {
		msg := "git runs without its full jail on this machine (" + enforced.String() + ")"
		fmt.Fprintf(w, "Note: %s.\n", msg)
		if err := st.RecordEvent(ctx, ironcurtain.AuditEvent{Kind: "server-unsandboxed", Server: "git", Message: msg}); err != nil {
			st.Close()
			return err
		}
	} else {
		fmt.Fprintf(w, "Each git process runs in a jail of its own: %s.\n", enforced)
	}
	sandbox, err := codemode.New(codemode.Options{Backend: st.Gate, Session: "quickstart"})
	if err != nil {
		st.Close()
		return err
	}

	fmt.Fprintf(w, "Workspace (the agent's sandbox): %s\n", workspace)
	if cfg.task != "" {
		err = runAgent(ctx, w, cfg, sandbox)
	} else {
		err = runScript(ctx, w, sandbox)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nWhat the Gate decided, from the audit log:")
	if err := printAudit(w, auditLog); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAudit log: %s\nVerify it:  go run ./cmd/ironcurtain audit verify %s\n", auditLog, auditLog)
	return nil
}

// runScript runs the built-in script.
func runScript(ctx context.Context, w io.Writer, sandbox *codemode.Sandbox) error {
	fmt.Fprint(w, "Running the agent's TypeScript in Code Mode...\n\n")
	rep, runErr := sandbox.Run(ctx, ironcurtain.Job{Source: script, Session: "quickstart"})
	fmt.Fprintln(w, "What the script printed:")
	for _, line := range rep.Output {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if runErr != nil {
		fmt.Fprintf(w, "The script stopped: %v\n", runErr)
	} else {
		fmt.Fprintf(w, "The script returned: %s\n", rep.Value)
	}
	return nil
}

// runAgent runs the agent loop on the task.
func runAgent(ctx context.Context, w io.Writer, cfg config, sandbox *codemode.Sandbox) error {
	fmt.Fprintf(w, "Task: %s\n\n", cfg.task)
	tr, err := agent.Run(ctx, agent.Config{
		Model:        cfg.model,
		Sandbox:      sandbox,
		Task:         cfg.task,
		Constitution: policy.DefaultConstitution(),
		Session:      "quickstart",
		OnStep: func(s agent.Step) {
			fmt.Fprintf(w, "step %d: ", s.N)
			switch {
			case !s.Ran:
				fmt.Fprintln(w, "answered")
			case s.Error != "":
				fmt.Fprintf(w, "ran code, %d tool calls, stopped: %s\n", len(s.Report.Calls), firstLine(s.Error))
			default:
				fmt.Fprintf(w, "ran code, %d tool calls\n", len(s.Report.Calls))
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe agent stopped (%s) after %d steps and %d tokens.\n", tr.Stop, len(tr.Steps), tr.Usage.Total())
	if tr.Answer != "" {
		fmt.Fprintf(w, "Its answer:\n%s\n", indent(tr.Answer))
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
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
