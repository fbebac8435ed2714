package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// Exit codes of ironcurtain run.
const (
	runExitAnswered    = 0   // the model gave its final answer
	runExitStopped     = 1   // a budget, a loop, a refusal or a model failure ended the run
	runExitUsage       = 2   // bad usage or set-up
	runExitInterrupted = 130 // Ctrl-C (SIGINT) or SIGTERM
)

// runHelp documents the command, its output and its event stream.
const runHelp = `usage: ironcurtain run [flags] "TASK"

Give the builtin agent a task. A model writes TypeScript, step by step; each
block runs in Code Mode, and every tool call it makes goes through the Gate
under the default policy, with the built-in filesystem, git and fetch tools
rooted at the sandbox. Progress is shown as it goes; a summary ends the run.

Models (--model provider:model):
  anthropic:MODEL   Anthropic's API; the key from ANTHROPIC_API_KEY
  openai:MODEL      OpenAI's API; the key from OPENAI_API_KEY
  google:MODEL      Google's Gemini API; the key from GEMINI_API_KEY
  With --base-url, any OpenAI-compatible server (Ollama, vLLM, llama.cpp's
  server, LM Studio, OpenRouter) as openai:MODEL; its key, if it needs one,
  only from the variable --api-key-env names (a provider's own key is never
  sent to another server). Without --model: anthropic:claude-sonnet-4-5,
  openai:gpt-4o-mini or google:gemini-2.5-flash, whichever key is set.

  ironcurtain run --sandbox ./work --base-url http://localhost:11434/v1 \
      --model openai:qwen2.5-coder "Write a haiku to haiku.md"

Budgets end the run with a clear message: --max-steps, --max-tokens,
--max-time and --max-cost (US dollars, at the model's list price or at
--price-in/--price-out per million tokens; a cost budget with an unknown
price refuses to start). The budgets count the agent's own model calls;
what --auto-approve's calls to the model spent is shown beside them. Ctrl-C
stops the run cleanly: the audit log is closed with its close record
(sealed).

With --json, standard output is a stream of JSON objects, one per line,
each with a "type":
  start    the run begins: task, model, sandbox, audit, budgets, price
  step     the model answered: step, tokens_in, tokens_out (this answer),
           tokens (the run's total), cost (so far, US dollars; null unknown)
  call     a tool call: step, server, tool, decision (allow, deny,
           escalate), rule, reason, error, duration_ms
  approval an escalated call was answered: step, server, tool, rule, by,
           answer (approve, abstain, reject), reason
  result   what came of the step's code: step, ran, calls, error
  answer   the model's final answer: text
  summary  the end: stop (answered, refused, max-steps, max-tokens,
           max-time, max-cost, loop, error, interrupted), detail, steps,
           tokens_in, tokens_out, cost, duration_ms, calls (allowed: ran,
           approved ones included; denied; escalated: the policy escalated
           them; approved: of those, approved), changes (added, changed,
           removed: sandbox paths; truncated), audit, sealed
  error    the run could not start or go on: message

Exit codes: 0 the model gave its final answer; 1 the run stopped otherwise
(budget, loop, refusal, model failure); 2 bad usage or set-up; 130
interrupted.

Flags:`

// runFlags are the parsed flags of ironcurtain run.
type runFlags struct {
	modelFlags
	budgetFlags
	signalFlags
	sandbox, auditFile, approver   string
	escalationSocket               string
	autoApprove, jsonOut, unjailed bool
	maxCost                        float64
	task                           string
}

func parseRunFlags(args []string, stderr io.Writer) (runFlags, int, bool) {
	var f runFlags
	fs := newFlags("ironcurtain run", runHelp, stderr)
	fs.StringVar(&f.sandbox, "sandbox", "", "the agent's sandbox directory, created if missing (default: a new temporary directory)")
	fs.StringVar(&f.auditFile, "audit", "", "the audit log file (default: a new file under the user's state directory)")
	f.modelFlags.register(fs, "default: from the API keys set")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "let the model approve escalated calls the task clearly asks for; it never denies, the approver decides the rest")
	fs.StringVar(&f.approver, "approver", "terminal", "who answers escalations: terminal (the controlling terminal), web (a loopback approval page whose URL is printed at start), signal (a phone, through signal-cli's daemon) or none (escalations are denied)")
	f.signalFlags.register(fs)
	fs.StringVar(&f.escalationSocket, "escalation-socket", "", "with --approver terminal or web: also serve the escalations on this Unix socket (mode 0600, JSON lines; see the approve package), where another front end may answer them; the first answer wins")
	fs.BoolVar(&f.jsonOut, "json", false, "write the progress and the summary as JSON lines (see above)")
	fs.BoolVar(&f.unjailed, "unjailed-git", false, "run git without its jail where the kernel cannot enforce one (recorded in the audit log)")
	f.budgetFlags.register(fs, "the run")
	fs.Float64Var(&f.maxCost, "max-cost", 0, "the most the model calls may cost, in US dollars (0: no cost budget)")
	if err := fs.Parse(args); err != nil {
		return f, parseExit(err), false
	}
	f.task = strings.TrimSpace(strings.Join(fs.Args(), " "))
	if f.task == "" {
		fmt.Fprintln(stderr, "ironcurtain run: no task given")
		fs.Usage()
		return f, runExitUsage, false
	}
	if err := f.budgetFlags.check(); err != nil {
		fmt.Fprintf(stderr, "ironcurtain run: %v\n", err)
		return f, runExitUsage, false
	}
	if err := f.modelFlags.check(); err != nil || math.IsNaN(f.maxCost) || math.IsInf(f.maxCost, 0) {
		fmt.Fprintln(stderr, "ironcurtain run: --max-cost and the prices must be numbers")
		return f, runExitUsage, false
	}
	if f.maxCost < 0 {
		fmt.Fprintln(stderr, "ironcurtain run: --max-cost must not be negative")
		return f, runExitUsage, false
	}
	return f, 0, true
}

// runRun runs the builtin agent on a task. See runHelp.
func runRun(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	f, code, ok := parseRunFlags(args, stderr)
	if !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ironcurtain run: %v\n", err)
		return runExitUsage
	}
	spec, mopts, err := runModelOptions(f.modelFlags, os.Getenv)
	if err != nil {
		return fail(err)
	}
	price, err := runPrice(spec, f.modelFlags)
	if err != nil {
		return fail(err)
	}
	if f.maxCost > 0 && price == nil {
		return fail(fmt.Errorf("--max-cost: the price of %s is not known, so the budget could not be held; give --price-in and --price-out", spec))
	}
	model, err := models.Open(spec, mopts)
	if err != nil {
		return fail(err)
	}
	var human ironcurtain.Approver
	var broker *brokerApprover
	if f.escalationSocket != "" && f.approver != "terminal" && f.approver != "web" {
		return fail(errors.New("--escalation-socket: with --approver terminal or web only"))
	}
	switch f.approver {
	case "terminal":
		if f.escalationSocket == "" { // the terminal alone, on a broker of its own
			term := &approve.Terminal{}
			defer term.Close()
			human = term
			break
		}
		fallthrough
	case "web":
		// The page's URL, with its token, goes to stderr, apart from the
		// progress (and from --json's stream).
		if broker, err = startBrokerApprover(brokerApproverConfig{Web: f.approver == "web", Terminal: f.approver == "terminal",
			Socket: f.escalationSocket}, stderr); err != nil {
			return fail(err)
		}
		defer broker.Close()
		human = broker.Broker
	case "none":
	case "signal":
		b := approve.NewBroker(approve.BrokerOptions{})
		if _, err := f.signalFlags.start(ctx, b, nil, stderr); err != nil {
			return fail(err)
		}
		human = b
	default:
		return fail(fmt.Errorf("--approver %q: want terminal, web, signal or none", f.approver))
	}
	if f.sandbox == "" {
		if f.sandbox, err = os.MkdirTemp("", "ironcurtain-run-"); err != nil {
			return fail(err)
		}
	}
	if f.auditFile == "" {
		if f.auditFile, err = newRunAuditPath(); err != nil {
			return fail(fmt.Errorf("the audit log: %w (name one with --audit)", err))
		}
	}
	if f.auditFile, err = filepath.Abs(f.auditFile); err != nil {
		return fail(err)
	}

	rep := newRunReporter(stdout, f.jsonOut, price)
	loopModel := &countingModel{Model: model, on: rep.answered}
	opts := stack.Options{Sandbox: f.sandbox, Audit: f.auditFile}
	cache := startCodeMode("run", stderr)
	if cache != "" {
		opts.Protected = []string{cache}
	}
	if f.escalationSocket != "" { // whoever reaches it approves
		opts.Protected = append(opts.Protected, f.escalationSocket)
	}
	if human != nil {
		opts.Human = watchApprover(human, rep)
	}
	if f.autoApprove {
		auto := agent.AutoApprover{Model: &countingModel{Model: model, on: rep.approverSpent}, Instruction: agent.Instruction(f.task)}
		opts.Auto = watchApprover(auto, rep)
	}
	st, err := jailedStack(ctx, "run", opts, f.unjailed, stderr, cache, f.escalationSocket)
	if err != nil {
		return fail(err)
	}
	if broker != nil {
		broker.Attach(st.Grants)
	}
	closed := false
	closeStack := func() error {
		if closed {
			return nil
		}
		closed = true
		return st.Close()
	}
	defer closeStack()
	sandbox := st.Policy.Sandbox()
	before, err := snapshotTree(sandbox, maxSnapshotEntries)
	if err != nil {
		return fail(fmt.Errorf("the sandbox: %w", err))
	}
	sb, err := codemode.New(codemode.Options{Backend: observedBackend{gate: st.Gate, on: rep.called}})
	if err != nil {
		return fail(err)
	}
	defer sb.Close()
	rep.start(runStart{Task: f.task, Model: spec, BaseURL: mopts.BaseURL, Sandbox: sandbox, Audit: f.auditFile,
		Budgets: runBudgets{MaxSteps: f.maxSteps, MaxTokens: f.maxTokens, MaxTimeMS: f.maxTime.Milliseconds(), MaxCost: f.maxCost}})

	tr, runErr := agent.Run(ctx, agent.Config{
		Model:        loopModel,
		Sandbox:      sb,
		Task:         f.task,
		Constitution: policy.DefaultConstitution(),
		Session:      "run",
		Price:        price,
		Budget:       f.budget(f.maxCost),
		OnStep:       rep.stepDone,
	})
	interrupted := ctx.Err() != nil
	stop, detail := string(tr.Stop), tr.Detail
	if tr.Stop == agent.StopMaxDuration {
		stop = "max-time"
	}
	if interrupted {
		stop, detail = "interrupted", "the run was interrupted (Ctrl-C or SIGTERM)"
		// The record of why the log ends here goes in before the close
		// record; ctx is done, the write must not be.
		_ = st.RecordEvent(context.WithoutCancel(ctx), ironcurtain.AuditEvent{Kind: "run-interrupted", Message: detail})
	}
	if tr.Answer != "" {
		rep.answer(tr.Answer)
	}
	closeErr := closeStack()
	after, snapErr := snapshotTree(sandbox, maxSnapshotEntries)
	sum := runSummary{Stop: stop, Detail: detail, Steps: len(tr.Steps), TokensIn: tr.Usage.InputTokens,
		TokensOut: tr.Usage.OutputTokens, Cost: costOrNil(tr.Cost), DurationMS: tr.Duration.Milliseconds(), Audit: f.auditFile}
	if snapErr == nil {
		sum.Changes = diffTrees(before, after)
	}
	sum.Calls, sum.Sealed, err = readRunAudit(f.auditFile)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain run: the audit log: %v\n", err)
	}
	exit := runExitStopped
	switch {
	case interrupted:
		exit = runExitInterrupted
	case runErr != nil:
		rep.fail(runErr)
	case closeErr != nil:
		rep.fail(fmt.Errorf("closing: %w", closeErr))
	case tr.Stop == agent.StopAnswered:
		exit = runExitAnswered
	}
	rep.summary(sum)
	return exit
}

// runModelOptions works out the model and how to reach it. With
// --base-url, the key comes only from the variable --api-key-env names: a
// key meant for one server is never sent to another.
func runModelOptions(f modelFlags, getenv func(string) string) (string, models.Options, error) {
	spec := f.model
	if spec == "" {
		switch {
		case f.baseURL != "":
			return "", models.Options{}, errors.New("--base-url needs --model, such as openai:qwen2.5-coder")
		case getenv("ANTHROPIC_API_KEY") != "":
			spec = "anthropic:claude-sonnet-4-5"
		case getenv("OPENAI_API_KEY") != "" || getenv("OPENAI_BASE_URL") != "":
			spec = "openai:gpt-4o-mini"
		case getenv("GEMINI_API_KEY") != "":
			spec = "google:gemini-2.5-flash"
		default:
			return "", models.Options{}, errors.New("no model: give --model and --base-url for a local server, or set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY")
		}
	}
	if _, _, err := models.Parse(spec); err != nil {
		return "", models.Options{}, err
	}
	if f.keyEnv != "" && f.baseURL == "" {
		return "", models.Options{}, errors.New("--api-key-env is for --base-url; a provider's own API takes its own variable")
	}
	if f.baseURL == "" {
		opts, err := models.EnvOptions(spec, getenv)
		return spec, opts, err
	}
	opts := models.Options{BaseURL: f.baseURL}
	if f.keyEnv != "" {
		key := getenv(f.keyEnv)
		if key == "" {
			return "", models.Options{}, fmt.Errorf("--api-key-env %s: the variable is empty", f.keyEnv)
		}
		opts.APIKey = ironcurtain.NewSecret(key)
	}
	return spec, opts, nil
}

// newRunAuditPath names a new audit log under the user's state directory
// ($XDG_STATE_HOME, or ~/.local/state), one directory per run.
func newRunAuditPath() (string, error) {
	base, err := userStateDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "ironcurtain", "runs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	run, err := os.MkdirTemp(dir, time.Now().UTC().Format("20060102T150405Z")+"-")
	if err != nil {
		return "", err
	}
	return filepath.Join(run, "audit.jsonl"), nil
}

// readRunAudit counts the calls in the audit log and reports whether it is
// sealed, after a full verification of its chain.
func readRunAudit(path string) (runCalls, bool, error) {
	var c runCalls
	f, err := os.Open(path)
	if err != nil {
		return c, false, err
	}
	defer f.Close()
	rep, err := audit.Verify(f)
	if err != nil {
		return c, false, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return c, false, err
	}
	err = eachAuditCall(f, func(e ironcurtain.AuditEntry) {
		switch {
		case e.Verdict == ironcurtain.Allow:
			c.Allowed++
			if e.Escalated {
				c.Escalated++
				c.Approved++
			}
		case e.Verdict == ironcurtain.Escalate:
			c.Escalated++
		default:
			c.Denied++
		}
	})
	return c, rep.Sealed, err
}

// costOrNil is a Transcript's cost for the summary: nil when unknown.
func costOrNil(c float64) *float64 {
	if c < 0 {
		return nil
	}
	return &c
}

// formatCost shows a cost in dollars, or "unknown".
func formatCost(c *float64) string {
	if c == nil {
		return "cost unknown"
	}
	return "$" + strconv.FormatFloat(*c, 'f', 4, 64)
}
