package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/internal/inert"
)

// The events of ironcurtain run --json; runHelp documents them.
type (
	runStart struct {
		Type    string       `json:"type"`
		Task    string       `json:"task"`
		Model   string       `json:"model"`
		BaseURL string       `json:"base_url,omitempty"`
		Sandbox string       `json:"sandbox"`
		Audit   string       `json:"audit"`
		Budgets runBudgets   `json:"budgets"`
		Price   *runPriceOut `json:"price"`
	}
	runPriceOut struct {
		InPerMTok  float64 `json:"in_per_mtok"`
		OutPerMTok float64 `json:"out_per_mtok"`
	}
	runBudgets struct {
		MaxSteps  int     `json:"max_steps"`
		MaxTokens int64   `json:"max_tokens"`
		MaxTimeMS int64   `json:"max_time_ms"`
		MaxCost   float64 `json:"max_cost,omitempty"`
	}
	runStep struct {
		Type      string   `json:"type"`
		Step      int      `json:"step"`
		TokensIn  int64    `json:"tokens_in"`
		TokensOut int64    `json:"tokens_out"`
		Tokens    int64    `json:"tokens"`
		Cost      *float64 `json:"cost"`
	}
	runCall struct {
		Type string `json:"type"`
		Step int    `json:"step"`
		callOutcome
		DurationMS int64 `json:"duration_ms"`
	}
	runApproval struct {
		Type   string `json:"type"`
		Step   int    `json:"step"`
		Server string `json:"server"`
		Tool   string `json:"tool"`
		Rule   string `json:"rule,omitempty"`
		By     string `json:"by,omitempty"`
		Answer string `json:"answer"`
		Reason string `json:"reason,omitempty"`
	}
	runResult struct {
		Type  string `json:"type"`
		Step  int    `json:"step"`
		Ran   bool   `json:"ran"`
		Calls int    `json:"calls"`
		Error string `json:"error,omitempty"`
	}
	runAnswer struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	runSummary struct {
		Type       string     `json:"type"`
		Stop       string     `json:"stop"`
		Detail     string     `json:"detail"`
		Steps      int        `json:"steps"`
		TokensIn   int64      `json:"tokens_in"`
		TokensOut  int64      `json:"tokens_out"`
		Cost       *float64   `json:"cost"`
		DurationMS int64      `json:"duration_ms"`
		Calls      runCalls   `json:"calls"`
		Changes    runChanges `json:"changes"`
		Audit      string     `json:"audit"`
		Sealed     bool       `json:"sealed"`
	}
	runCalls struct {
		Allowed   int `json:"allowed"`
		Denied    int `json:"denied"`
		Escalated int `json:"escalated"`
		Approved  int `json:"approved"`
	}
	runError struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
)

// runReporter shows a run's progress, as text for a person or as JSON
// lines. It is safe for concurrent use: tool calls arrive on the sandbox's
// goroutine, approvals on the Gate's.
type runReporter struct {
	mu    sync.Mutex
	w     io.Writer
	json  *json.Encoder
	price *agent.Price
	step  int
	usage agent.Usage
	// approver counts the tokens the auto-approver spent: not part of the
	// loop's budgets, but shown.
	approver agent.Usage
}

func newRunReporter(w io.Writer, jsonOut bool, price *agent.Price) *runReporter {
	r := &runReporter{w: w, price: price}
	if jsonOut {
		r.json = json.NewEncoder(w)
		r.json.SetEscapeHTML(false)
	}
	return r
}

// emit writes one event; with text output, text is written instead.
// Errors writing progress do not stop the run.
func (r *runReporter) emit(event any, text func(w io.Writer)) {
	if r.json != nil {
		_ = r.json.Encode(event)
		return
	}
	text(r.w)
}

func (r *runReporter) cost(u agent.Usage) *float64 {
	if r.price == nil {
		return nil
	}
	c := r.price.Cost(u)
	return &c
}

func (r *runReporter) start(s runStart) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Type = "start"
	if p := r.price; p != nil {
		s.Price = &runPriceOut{InPerMTok: p.InputPerMTok, OutPerMTok: p.OutputPerMTok}
	}
	r.emit(s, func(w io.Writer) {
		fmt.Fprintf(w, "Task: %s\n", termLine(s.Task))
		model := s.Model
		if s.BaseURL != "" {
			model += " at " + s.BaseURL
		}
		fmt.Fprintf(w, "Model: %s\nSandbox: %s\nAudit log: %s\n\n", termLine(model), termLine(s.Sandbox), termLine(s.Audit))
	})
}

// answered is told of each answer of the loop's model.
func (r *runReporter) answered(u agent.Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step++
	r.usage = r.usage.Add(u)
	ev := runStep{Type: "step", Step: r.step, TokensIn: u.InputTokens, TokensOut: u.OutputTokens, Tokens: r.usage.Total(), Cost: r.cost(r.usage)}
	r.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "step %d: the model answered (%d tokens in, %d out); so far %d tokens, %s\n",
			ev.Step, ev.TokensIn, ev.TokensOut, ev.Tokens, formatCost(ev.Cost))
	})
}

// approverSpent is told of each answer of the auto-approver's model.
func (r *runReporter) approverSpent(u agent.Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.approver = r.approver.Add(u)
}

func (r *runReporter) called(c ironcurtain.CallRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := runCall{Type: "call", Step: r.step, callOutcome: outcomeOf(c), DurationMS: c.Duration.Milliseconds()}
	r.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "  %-8s %s/%s  %s", ev.Decision, termLine(ev.Server), termLine(ev.Tool), termLine(ev.Rule))
		if ev.Decision != "allow" && ev.Reason != "" {
			fmt.Fprintf(w, ": %s", termLine(ev.Reason))
		}
		fmt.Fprintln(w)
	})
}

func (r *runReporter) approval(esc ironcurtain.Escalation, a ironcurtain.Approval) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := runApproval{Type: "approval", Step: r.step, Server: esc.Call.Server, Tool: esc.Call.Tool, Rule: esc.Decision.Rule,
		By: a.By, Answer: a.Answer.String(), Reason: a.Reason}
	r.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "  escalation of %s/%s (%s): %s by %s\n", termLine(ev.Server), termLine(ev.Tool), termLine(ev.Rule),
			termLine(ev.Answer), termLine(ev.By))
	})
}

// stepDone is the loop's OnStep.
func (r *runReporter) stepDone(s agent.Step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := runResult{Type: "result", Step: s.N, Ran: s.Ran, Calls: len(s.Report.Calls), Error: s.Error}
	if !s.Ran && s.Code == "" && s.Feedback == "" {
		return // the final answer; the answer event follows
	}
	r.emit(ev, func(w io.Writer) {
		switch {
		case !ev.Ran:
			fmt.Fprintf(w, "  no code ran\n")
		case ev.Error != "":
			line, _, _ := strings.Cut(ev.Error, "\n")
			fmt.Fprintf(w, "  the code ran %d tool calls and failed: %s\n", ev.Calls, termLine(line))
		default:
			fmt.Fprintf(w, "  the code ran %d tool calls\n", ev.Calls)
		}
	})
}

func (r *runReporter) answer(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emit(runAnswer{Type: "answer", Text: text}, func(w io.Writer) {
		fmt.Fprintf(w, "\nThe model's answer:\n  %s\n", strings.ReplaceAll(termText(text), "\n", "\n  "))
	})
}

func (r *runReporter) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emit(runError{Type: "error", Message: err.Error()}, func(w io.Writer) {
		fmt.Fprintf(w, "Error: %s\n", termLine(err.Error()))
	})
}

func (r *runReporter) summary(s runSummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Type = "summary"
	r.emit(s, func(w io.Writer) {
		fmt.Fprintf(w, "\nSummary\n  stopped: %s (%s)\n", s.Stop, termLine(s.Detail))
		fmt.Fprintf(w, "  %d steps, %d tokens (%d in, %d out), %s, %s\n", s.Steps, s.TokensIn+s.TokensOut, s.TokensIn, s.TokensOut,
			formatCost(s.Cost), (time.Duration(s.DurationMS) * time.Millisecond).String())
		if t := r.approver.Total(); t > 0 {
			fmt.Fprintf(w, "  the auto-approver: %d tokens, %s\n", t, formatCost(r.cost(r.approver)))
		}
		c := s.Calls
		fmt.Fprintf(w, "  tool calls: %d allowed, %d denied, %d escalated (%d approved)\n", c.Allowed, c.Denied, c.Escalated, c.Approved)
		ch := s.Changes
		fmt.Fprintf(w, "  sandbox: %d added, %d changed, %d removed", len(ch.Added), len(ch.Changed), len(ch.Removed))
		if ch.Truncated {
			fmt.Fprintf(w, " (of the first %d entries only)", maxSnapshotEntries)
		}
		fmt.Fprintln(w)
		for _, l := range []struct {
			mark  string
			paths []string
		}{{"+", ch.Added}, {"~", ch.Changed}, {"-", ch.Removed}} {
			for i, p := range l.paths {
				if i == maxListedChanges {
					fmt.Fprintf(w, "    %s ... and %d more\n", l.mark, len(l.paths)-i)
					break
				}
				fmt.Fprintf(w, "    %s %s\n", l.mark, termLine(p))
			}
		}
		seal := "sealed"
		if !s.Sealed {
			seal = "NOT sealed"
		}
		fmt.Fprintf(w, "  audit log: %s (%s; check it with: ironcurtain audit verify -sealed %s)\n", termLine(s.Audit), seal, termLine(s.Audit))
	})
}

// maxListedChanges bounds the paths listed per kind of change in the text
// summary; the JSON summary has them all.
const maxListedChanges = 50

// countingModel reports the usage of every answer of its Model.
type countingModel struct {
	agent.Model
	on func(agent.Usage)
}

// Complete calls the model and reports the answer's usage.
func (m *countingModel) Complete(ctx context.Context, req agent.Request) (agent.Response, error) {
	resp, err := m.Model.Complete(ctx, req)
	if err == nil {
		m.on(resp.Usage)
	}
	return resp, err
}

// Name returns the model's name, for the audit log.
func (m *countingModel) Name() string {
	if n, ok := m.Model.(interface{ Name() string }); ok {
		return n.Name()
	}
	return ""
}

// observedBackend is the Gate as Code Mode's backend, reporting each call
// as it returns, with the decision and rule that decided it.
type observedBackend struct {
	gate *ironcurtain.Gate
	on   func(ironcurtain.CallRecord)
}

// Tools returns the Gate's tools.
func (b observedBackend) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	return b.gate.Tools(ctx)
}

// Call is CallDecided without the decision.
func (b observedBackend) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	res, _, err := b.CallDecided(ctx, call)
	return res, err
}

// CallDecided calls the Gate and reports the call.
func (b observedBackend) CallDecided(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, ironcurtain.Decision, error) {
	start := time.Now()
	res, d, err := b.gate.CallDecided(ctx, call)
	rec := ironcurtain.CallRecord{Server: call.Server, Tool: call.Tool, Verdict: d.Verdict, Rule: d.Rule, Reason: d.Reason, Duration: time.Since(start)}
	var de *ironcurtain.DeniedError
	switch {
	case errors.As(err, &de):
		rec.Verdict = ironcurtain.Deny
		if de.Decision.Verdict == ironcurtain.Escalate {
			rec.Verdict = ironcurtain.Escalate
		}
	case errors.Is(err, ironcurtain.ErrDenied):
		rec.Verdict = ironcurtain.Deny
	}
	if a := ironcurtain.AgentResult(res, err); a.IsError {
		rec.Error = a.Text()
	}
	b.on(rec)
	return res, d, err
}

var _ ironcurtain.DecisionCaller = observedBackend{}

// watchApprover reports each answer of an approver.
func watchApprover(a ironcurtain.Approver, r *runReporter) ironcurtain.Approver {
	return ironcurtain.ApproverFunc(func(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
		ap, err := a.Approve(ctx, esc)
		if err != nil {
			r.approval(esc, ironcurtain.Approval{Answer: ironcurtain.Reject, Reason: "the approver failed"})
			return ap, err
		}
		r.approval(esc, ap)
		return ap, nil
	})
}

// eachAuditCall calls fn with each call record of an audit log.
func eachAuditCall(r io.Reader, fn func(ironcurtain.AuditEntry)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var rec struct {
			Type string                  `json:"type"`
			Call *ironcurtain.AuditEntry `json:"call"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return err
		}
		if rec.Type == "call" && rec.Call != nil {
			fn(*rec.Call)
		}
	}
	return sc.Err()
}

// termLine makes text that the agent may have shaped (file names, tool
// errors, the model's words) safe to print on one line of a terminal: see
// inert.String.
func termLine(s string) string { return inert.String(s) }

// termText is termLine that keeps newlines (inert.Text).
func termText(s string) string { return inert.Text(s) }
