package ironcurtain

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"unicode/utf8"
)

// trail collects what the audit entry of one call needs, as the call moves
// through the Gate.
type trail struct {
	args      map[string]any
	verdict   Verdict
	escalated bool
	rule      string
	reason    string
	approval  *AuditApproval
	outcome   Outcome
	errText   string
}

// Call passes one tool call through the Gate. It returns the tool's result,
// or a zero Result and an error:
//
//   - a *DeniedError (errors.Is(err, ErrDenied)) when the call was refused:
//     an unknown tool (also ErrUnknownTool), invalid arguments (also
//     ErrInvalidArguments), arguments over the size cap or a tripped circuit
//     breaker (also ErrLimit), a policy denial, an escalation nobody
//     approved in time, an error of the policy or a panic anywhere, a closed
//     Gate (also ErrClosed), or a failed audit write, which also stops the
//     Gate for good;
//   - another error when the tool server could not run the call.
//
// Pass the pair to [AgentResult] to get what the agent may see. A tool that
// ran and failed is a Result with IsError and a nil error.
//
// Call forwards to the tool exactly the arguments the policy judged
// (Decision.Arguments when set), never modifies call.Arguments, and records
// one audit entry before it returns, whatever the outcome.
func (g *Gate) Call(ctx context.Context, call ToolCall) (Result, error) {
	res, _, err := g.CallDecided(ctx, call)
	return res, err
}

// CallDecided is [Gate.Call], also reporting the decision behind the call
// (see [DecisionCaller]): for a call that ran, Allow with the rule and
// reason that let it through; for a refused one, its denial's Decision.
func (g *Gate) CallDecided(ctx context.Context, call ToolCall) (Result, Decision, error) {
	res, t, err := g.call(ctx, call)
	var de *DeniedError
	if errors.As(err, &de) {
		return res, Decision{Verdict: de.Decision.Verdict, Rule: de.Decision.Rule, Reason: de.Decision.Reason}, err
	}
	return res, Decision{Verdict: t.verdict, Rule: t.rule, Reason: t.reason}, err
}

var _ DecisionCaller = (*Gate)(nil)

// call is the body of Call: the pipeline and its audit entry.
func (g *Gate) call(ctx context.Context, call ToolCall) (Result, trail, error) {
	var t trail
	if err := g.stoppedErr(); err != nil {
		return Result{}, t, auditDenial(err)
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return Result{}, t, &DeniedError{
			Decision: Decision{Verdict: Deny, Rule: RuleGateClosed, Reason: "the tool gateway is shut down"},
			Cause:    ErrClosed,
		}
	}
	start := g.now()
	if call.ID == "" {
		call.ID = g.idPrefix + strconv.FormatUint(g.seq.Add(1), 10)
	}
	res, err := g.run(ctx, &call, &t)
	if g.audit == nil {
		return res, t, err
	}
	entry := AuditEntry{
		Time:      start,
		Session:   clip(call.Session),
		CallID:    clip(call.ID),
		Server:    clip(call.Server),
		Tool:      clip(call.Tool),
		Arguments: t.args,
		Verdict:   t.verdict,
		Escalated: t.escalated,
		Rule:      t.rule,
		Reason:    t.reason,
		Approval:  t.approval,
		Outcome:   t.outcome,
		Error:     t.errText,
		Duration:  g.now().Sub(start),
	}
	if aerr := g.record(ctx, entry); aerr != nil {
		g.stopped.CompareAndSwap(nil, &aerr)
		g.log.Error("ironcurtain: the audit log failed; the gate denies every call from now on", "call", call.ID, "error", aerr)
		return Result{}, t, auditDenial(aerr)
	}
	return res, t, err
}

// record hands the entry to the Auditor with a context the caller cannot
// cancel. A panicking Auditor is a failed one.
func (g *Gate) record(ctx context.Context, e AuditEntry) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ironcurtain: the auditor panicked: %v", p)
		}
	}()
	return g.audit.Record(context.WithoutCancel(ctx), e)
}

func (g *Gate) stoppedErr() error {
	if p := g.stopped.Load(); p != nil {
		return *p
	}
	return nil
}

func auditDenial(err error) *DeniedError {
	return &DeniedError{
		Decision: Decision{Verdict: Deny, Rule: RuleAuditFailure, Reason: "the audit log cannot be written, so no tool calls can be made"},
		Cause:    fmt.Errorf("ironcurtain: audit: %w", err),
	}
}

// refuse records a refusal in t and returns the error for it. dec.Verdict
// must be Deny or Escalate; anything else is recorded as Deny.
func (t *trail) refuse(dec Decision, cause error) *DeniedError {
	if dec.Verdict != Escalate {
		dec.Verdict = Deny
	}
	t.verdict, t.rule, t.reason, t.outcome = dec.Verdict, dec.Rule, dec.Reason, OutcomeDenied
	if cause != nil {
		t.errText = cause.Error()
	}
	return &DeniedError{Decision: dec, Cause: cause}
}

func deny(rule, reason string) Decision { return Decision{Verdict: Deny, Rule: rule, Reason: reason} }

// maxNameInAudit bounds how much of an agent-chosen name an audit entry
// keeps; real names are far shorter.
const maxNameInAudit = 1024

func clip(s string) string {
	if len(s) <= maxNameInAudit {
		return s
	}
	return cut(s, maxNameInAudit)
}

// cut shortens s to at most n bytes on a character boundary and marks the cut.
func cut(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// maxNameInReason bounds how much of an agent-chosen name a reason repeats.
const maxNameInReason = 64

func quoteName(s string) string {
	if len(s) > maxNameInReason {
		s = cut(s, maxNameInReason)
	}
	return strconv.Quote(s)
}

// run is the pipeline. Whatever happens inside, including a panic, it leaves
// t describing the outcome.
func (g *Gate) run(ctx context.Context, call *ToolCall, t *trail) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.log.Error("ironcurtain: recovered from a panic during a tool call; the call is denied", "call", call.ID, "stack", string(debug.Stack()))
			res, err = Result{}, t.refuse(deny(RuleInternalError, "the call failed inside the tool gateway"), fmt.Errorf("ironcurtain: panic: %v", p))
		}
	}()

	// Size, depth and JSON-ness first: every later step walks the arguments.
	// The names the agent chose count against the cap too.
	names := len(call.Server) + len(call.Tool) + len(call.ID) + len(call.Session)
	size, problem, arg := measureArguments(call.Arguments, g.maxArgs-names)
	if problem == argsNotJSON {
		// Arguments built in Go: values JSON has a form for become that
		// form, in a copy, and are measured again; others are refused here,
		// with the reason.
		norm, changed, narg, why := normalizeArguments(call.Arguments)
		if why != "" {
			return Result{}, t.refuse(deny(RuleInvalidArguments, fmt.Sprintf("argument %s: %s", quoteName(narg), why)),
				fmt.Errorf("%w: argument %q is not JSON", ErrInvalidArguments, narg))
		}
		if changed {
			call.Arguments = norm
			size, problem, arg = measureArguments(call.Arguments, g.maxArgs-names)
		}
	}
	if problem != argsOK {
		switch problem {
		case argsTooLarge:
			return Result{}, t.refuse(deny(RuleArgumentSizeLimit, fmt.Sprintf("the arguments are larger than the limit of %d bytes", g.maxArgs)),
				fmt.Errorf("%w: arguments of at least %d bytes", ErrLimit, size+names))
		case argsTooDeep:
			return Result{}, t.refuse(deny(RuleArgumentSizeLimit, fmt.Sprintf("argument %s nests more than %d levels deep", quoteName(arg), maxArgumentDepth)),
				fmt.Errorf("%w: arguments nest too deeply", ErrLimit))
		default:
			return Result{}, t.refuse(deny(RuleInvalidArguments, fmt.Sprintf("argument %s holds a value that is not JSON", quoteName(arg))),
				fmt.Errorf("%w: argument %q is not JSON", ErrInvalidArguments, arg))
		}
	}
	t.args = call.Arguments

	srv, ok := g.servers[call.Server]
	if !ok {
		return Result{}, t.refuse(deny(RuleUnknownTool, "there is no tool server named "+quoteName(call.Server)), ErrUnknownTool)
	}
	tool, ok, err := findTool(ctx, srv, call.Tool)
	if err != nil {
		return Result{}, t.refuse(deny(RuleInternalError, "the tools of server "+quoteName(call.Server)+" could not be listed"), err)
	}
	if !ok {
		return Result{}, t.refuse(deny(RuleUnknownTool, "server "+quoteName(call.Server)+" has no tool named "+quoteName(call.Tool)), ErrUnknownTool)
	}
	schema, err := g.schemas.get(call.Server, &tool)
	if err != nil {
		return Result{}, t.refuse(deny(RuleInvalidSchema, "the tool's input schema cannot be enforced, so the tool cannot be called"), err)
	}
	if err := schema.Validate(call.Arguments); err != nil {
		// The validator's message names the argument and the rule, and is
		// meant for the agent.
		return Result{}, t.refuse(deny(RuleInvalidArguments, err.Error()), fmt.Errorf("%w: %w", ErrInvalidArguments, err))
	}

	if cp, ok := srv.(CallPreparer); ok {
		prepared, err := cp.PrepareCall(ctx, *call)
		if err != nil {
			if de, ok := errors.AsType[*DeniedError](err); ok {
				return Result{}, t.refuse(de.Decision, err)
			}
			return Result{}, t.refuse(deny(RulePrepareFailed, "the call could not be prepared"), err)
		}
		// A preparer may supply arguments, not redirect the call.
		call.Arguments = prepared.Arguments
		t.args = call.Arguments
	}

	dec, err := g.policy.Evaluate(ctx, *call)
	if err != nil {
		return Result{}, t.refuse(deny(RulePolicyError, "the policy could not decide on this call"), err)
	}
	if dec.Arguments != nil {
		call.Arguments = dec.Arguments
		t.args = call.Arguments
	}
	t.verdict, t.rule, t.reason = dec.Verdict, dec.Rule, dec.Reason

	if dec.Verdict != Allow && dec.Verdict != Escalate {
		return Result{}, t.refuse(dec, nil)
	}
	key := g.breaker.key(call.Server, call.Tool, call.Arguments)
	if dec.Verdict == Escalate {
		if err := g.escalate(ctx, call, dec, key, t); err != nil {
			return Result{}, err
		}
	}
	if !g.breaker.check(key, true) {
		return Result{}, t.refuse(deny(RuleCircuitBreaker, g.breaker.reason()), fmt.Errorf("%w: circuit breaker", ErrLimit))
	}
	return g.dispatch(ctx, srv, call, t)
}

// escalate asks the approver. It returns nil when the call was approved in
// time, and the refusal otherwise.
func (g *Gate) escalate(ctx context.Context, call *ToolCall, dec Decision, key breakerKey, t *trail) error {
	t.escalated = true
	if g.approver == nil {
		reason := "approval is required, and no approver is configured"
		if dec.Reason != "" {
			reason = dec.Reason + " (" + reason + ")"
		}
		dec.Reason = reason
		return t.refuse(dec, nil)
	}
	// Do not ask a person about a call the breaker would refuse anyway.
	if !g.breaker.check(key, false) {
		return t.refuse(deny(RuleCircuitBreaker, g.breaker.reason()), fmt.Errorf("%w: circuit breaker", ErrLimit))
	}
	actx, cancel := context.WithTimeoutCause(ctx, g.escalationTimeout, errEscalationTimeout)
	defer cancel()
	stop := context.AfterFunc(g.closing, cancel)
	defer stop()
	shown, derr := ArgumentsDigest(call.Arguments)
	if derr != nil {
		return t.refuse(dec, derr)
	}
	ap, err := g.approver.Approve(actx, Escalation{Call: *call, Decision: dec})
	t.approval = &AuditApproval{By: ap.By, Answer: ap.Answer, Reason: ap.Reason, Grant: ap.Grant, Arguments: shown}
	if ap.Arguments != "" && ap.Arguments != shown {
		t.approval.BoundTo = ap.Arguments
	}
	switch {
	case err != nil:
	case actx.Err() != nil:
		// An answer that comes after the deadline is no answer.
		err = context.Cause(actx)
	case ap.Answer == Approve && ap.Arguments != "" && ap.Arguments != shown:
		err = errors.New("ironcurtain: the approval is for other arguments than the call's")
	case ap.Answer == Approve && !sameDigest(call.Arguments, shown):
		// The approver changed the arguments it was shown.
		err = errors.New("ironcurtain: the arguments changed while the approver was asked")
	case ap.Answer == Approve:
		t.verdict = Allow
		return nil
	default:
		err = fmt.Errorf("ironcurtain: the approver answered %s", ap.Answer)
	}
	return t.refuse(dec, err)
}

func sameDigest(args map[string]any, want string) bool {
	d, err := ArgumentsDigest(args)
	return err == nil && d == want
}

var errEscalationTimeout = errors.New("ironcurtain: no answer to the escalation in time")

// dispatch runs the call on its server.
func (g *Gate) dispatch(ctx context.Context, srv ToolServer, call *ToolCall, t *trail) (Result, error) {
	t.verdict = Allow
	cctx, cancel := context.WithTimeout(ctx, g.callTimeout)
	defer cancel()
	res, err := srv.Call(cctx, *call)
	if err != nil {
		t.outcome, t.errText = OutcomeError, err.Error()
		return Result{}, fmt.Errorf("ironcurtain: %s: %w", call.QualifiedName(), err)
	}
	if res.Content == nil {
		res.Content = []Content{}
	}
	t.outcome = OutcomeSuccess
	if res.IsError {
		t.outcome = OutcomeError
	}
	return t.takeCause(res), nil
}
