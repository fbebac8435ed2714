package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// errTimeBudget is the cause of the run's context when Budget.MaxDuration
// ends it, so that it can be told apart from the caller's own deadline.
var errTimeBudget = errors.New("agent: the time budget ran out")

// Run runs the agent loop: the model is given the task, the tools and the
// rules, and answers with code; the code runs in the Sandbox and the model
// is shown what came of it (the return value, the console, each tool call
// with its verdict, the error with its line); and so on, until the model
// answers without code, a budget runs out, or the same code keeps giving
// the same result.
//
// The Transcript says why the run stopped; budgets and loops are not
// errors. Run returns an error only when it cannot go on: a bad Config,
// a Model that fails (after its client's own retries), Declarations that
// cannot be read, a closed Sandbox, or ctx ending. The Transcript is then
// filled as far as the run got, with Stop set to StopError.
//
// Run does not retain cfg and may be called concurrently with other runs;
// the Model and Sandbox must allow it.
func Run(ctx context.Context, cfg Config) (Transcript, error) {
	start := time.Now()
	c, err := cfg.withDefaults()
	if err != nil {
		return Transcript{Stop: StopError, Detail: err.Error()}, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.Budget.MaxDuration, errTimeBudget)
	defer cancel()
	r := &runner{cfg: c, ctx: ctx}
	tr, err := r.run()
	tr.Messages = r.conversation(tr.Detail)
	tr.Usage, tr.Duration, tr.Cost = r.usage, time.Since(start), -1
	if c.Price != nil {
		tr.Cost = c.Price.Cost(r.usage)
	}
	return tr, err
}

// runner holds one run's state.
type runner struct {
	cfg   Config
	ctx   context.Context
	usage Usage
	steps []Step
	// last is the fingerprint of the last run's code and result; repeats
	// counts how many runs in a row had it.
	last    [sha256.Size]byte
	repeats int
	// msgs is the conversation so far, History first.
	msgs []Message
}

func (r *runner) run() (Transcript, error) {
	decls := r.cfg.Declarations
	if d, ok := r.cfg.Sandbox.(Declarer); ok && decls == "" {
		var err error
		if decls, err = d.Declarations(r.ctx); err != nil {
			return r.fail(fmt.Errorf("agent: the tool declarations: %w", err))
		}
		max := r.cfg.MaxDeclarationBytes
		if o, ok := r.cfg.Sandbox.(Overviewer); ok && (max < 0 || len(decls) > max) {
			if decls, err = o.Overview(r.ctx); err != nil {
				return r.fail(fmt.Errorf("agent: the tools' overview: %w", err))
			}
		}
	}
	r.msgs = openingMessages(r.cfg.History, r.cfg.Task)
	req := Request{
		System:    systemPrompt(decls, r.cfg.Constitution, r.cfg.MaxResultBytes),
		Messages:  r.msgs,
		MaxTokens: r.cfg.MaxAnswerTokens,
	}
	for n := 1; ; n++ {
		if n > r.cfg.Budget.MaxSteps {
			return r.stop(StopMaxSteps, fmt.Sprintf("the model took %d steps without a final answer", r.cfg.Budget.MaxSteps))
		}
		if r.usage.Total() >= r.cfg.Budget.MaxTokens {
			return r.stop(StopMaxTokens, fmt.Sprintf("%d tokens were spent, the budget is %d", r.usage.Total(), r.cfg.Budget.MaxTokens))
		}
		if r.overCost(true) {
			return r.stop(StopMaxCost, fmt.Sprintf("$%.4f was spent, the budget is $%.4f", r.cost(), r.cfg.Budget.MaxCost))
		}
		resp, err := r.cfg.Model.Complete(r.ctx, req)
		if err != nil {
			if tr, ok := r.timeUp(); ok {
				return tr, nil
			}
			if ctxErr := r.ctx.Err(); ctxErr != nil {
				err = fmt.Errorf("%w (%w)", ctxErr, err)
			}
			return r.fail(fmt.Errorf("agent: step %d: the model: %w", n, err))
		}
		r.usage = r.usage.Add(resp.Usage)
		r.msgs = append(r.msgs, Message{Role: Assistant, Text: orEmpty(resp.Text)})
		st := Step{N: n, Answer: resp.Text, Finish: resp.Finish, Usage: resp.Usage}
		ex := extractCode(resp.Text)
		switch {
		case resp.Finish == FinishRefusal:
			return r.answer(st, StopRefused, "the model declined to go on")
		case !ex.found && resp.Finish == FinishLength:
			st.Feedback = noteCutOff
		case !ex.found:
			return r.answer(st, StopAnswered, "the model gave its final answer")
		case !ex.closed && resp.Finish == FinishLength:
			st.Feedback = noteNoCode
		case r.usage.Total() > r.cfg.Budget.MaxTokens:
			st.Code = ex.code
			r.record(st)
			return r.stop(StopMaxTokens, fmt.Sprintf("%d tokens were spent, the budget is %d; the last code block was not run", r.usage.Total(), r.cfg.Budget.MaxTokens))
		case r.overCost(false):
			st.Code = ex.code
			r.record(st)
			return r.stop(StopMaxCost, fmt.Sprintf("$%.4f was spent, the budget is $%.4f; the last code block was not run", r.cost(), r.cfg.Budget.MaxCost))
		default:
			loop, err := r.execute(&st, ex)
			if err != nil {
				r.record(st)
				if tr, ok := r.timeUp(); ok {
					return tr, nil
				}
				return r.fail(err)
			}
			if loop {
				r.record(st)
				return r.stop(StopLoop, fmt.Sprintf("the same code gave the same result %d times in a row", r.repeats))
			}
		}
		r.record(st)
		r.msgs = append(r.msgs, Message{Role: User, Text: st.Feedback})
		req.Messages = r.msgs
	}
}

// openingMessages is the conversation a run starts with: the history,
// then the task, added to the history's last message when that is the
// user's (so that the roles keep alternating).
func openingMessages(history []Message, task string) []Message {
	msgs := slices.Clone(history)
	if len(msgs) == 0 {
		return []Message{{Role: User, Text: taskMessage(task)}}
	}
	text := nextMessage(task)
	if n := len(msgs); msgs[n-1].Role == User {
		msgs[n-1].Text += "\n\n" + text
		return msgs
	}
	return append(msgs, Message{Role: User, Text: text})
}

// conversation is the run's conversation for a later run to continue.
// When it ends with an answer whose code the model was not shown the
// result of (the run stopped first), a user message says what became of
// it.
func (r *runner) conversation(detail string) []Message {
	msgs := slices.Clone(r.msgs)
	if n := len(msgs); n > 0 && msgs[n-1].Role == Assistant && len(r.steps) > 0 {
		last := r.steps[len(r.steps)-1]
		if last.Code != "" || last.Feedback != "" {
			note := noteStopped(detail)
			if last.Feedback != "" {
				note = last.Feedback + "\n\n" + note
			}
			msgs = append(msgs, Message{Role: User, Text: note})
		}
	}
	return msgs
}

// orEmpty keeps an empty answer a message that providers accept.
func orEmpty(s string) string {
	if isBlank(s) {
		return "(no answer)"
	}
	return s
}

// execute runs the step's code and writes the feedback. It reports a loop
// when this run repeats the last ones once too often, and an error when
// the run cannot go on (ctx ended, the sandbox is closed).
func (r *runner) execute(st *Step, ex extraction) (loop bool, err error) {
	st.Code, st.Ran = ex.code, true
	rep, runErr := r.cfg.Sandbox.Run(r.ctx, ironcurtain.Job{Source: ex.code, Session: r.cfg.Session})
	st.Report = rep
	if ctxErr := r.ctx.Err(); ctxErr != nil {
		return false, fmt.Errorf("agent: step %d: %w", st.N, ctxErr)
	}
	if errors.Is(runErr, ironcurtain.ErrClosed) {
		return false, fmt.Errorf("agent: step %d: the sandbox: %w", st.N, runErr)
	}
	if runErr != nil {
		st.Error = runErr.Error()
	}
	body := render(rep, st.Error, r.cfg.MaxResultBytes)
	fp := sha256.Sum256([]byte(strings.TrimSpace(ex.code) + "\x00" + body))
	if fp == r.last {
		r.repeats++
	} else {
		r.last, r.repeats = fp, 1
	}
	notes := []string{body}
	if ex.extra > 0 {
		notes = append(notes, noteExtra(ex.extra))
	}
	if left := r.cfg.MaxRepeats - r.repeats; r.repeats > 1 && left > 0 {
		notes = append(notes, noteRepeat(left))
	}
	st.Feedback = strings.Join(notes, "\n\n")
	return r.repeats >= r.cfg.MaxRepeats, nil
}

// cost is what the run has cost so far; 0 when the price is unknown.
func (r *runner) cost() float64 {
	if r.cfg.Price == nil {
		return 0
	}
	return r.cfg.Price.Cost(r.usage)
}

// overCost reports whether the cost budget is spent: reached (before a
// model call, with atLimit) or exceeded (after one).
func (r *runner) overCost(atLimit bool) bool {
	max := r.cfg.Budget.MaxCost
	if max <= 0 {
		return false
	}
	if atLimit {
		return r.cost() >= max
	}
	return r.cost() > max
}

// record keeps a finished step and reports it.
func (r *runner) record(st Step) {
	r.steps = append(r.steps, st)
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(st)
	}
}

func (r *runner) stop(why Stop, detail string) (Transcript, error) {
	return Transcript{Steps: r.steps, Stop: why, Detail: detail}, nil
}

// answer records the last step and ends the run with the step's text as
// the answer.
func (r *runner) answer(st Step, why Stop, detail string) (Transcript, error) {
	r.record(st)
	tr, err := r.stop(why, detail)
	tr.Answer = strings.TrimSpace(st.Answer)
	return tr, err
}

func (r *runner) fail(err error) (Transcript, error) {
	return Transcript{Steps: r.steps, Stop: StopError, Detail: err.Error()}, err
}

// timeUp reports whether the run's own time budget (not the caller's ctx)
// has ended it.
func (r *runner) timeUp() (Transcript, bool) {
	if r.ctx.Err() == nil || !errors.Is(context.Cause(r.ctx), errTimeBudget) {
		return Transcript{}, false
	}
	tr, _ := r.stop(StopMaxDuration, fmt.Sprintf("the run took longer than %s", r.cfg.Budget.MaxDuration))
	return tr, true
}
