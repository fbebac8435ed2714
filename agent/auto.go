package agent

import (
	"context"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Defaults of AutoApprover.
const (
	DefaultApproverTimeout   = time.Minute
	DefaultApproverMaxTokens = 1024
)

// AutoApprover is an [ironcurtain.Approver] that asks a model whether the
// user's own instruction clearly asks for an escalated call. It may
// approve, or pass the question on (Abstain) — to the person behind it in
// an approve.Chain. It never rejects, never returns an error (which a Gate
// would treat as a rejection), and never makes a standing grant.
//
// The model sees the instruction, as Instruction returns it, as the only
// trusted input, and the whole canonical call as untrusted data: server,
// tool, the escalating rule and its reason, the canonical resources the
// policy judged (resolved paths, full URLs, git remotes) and every
// argument — whole when its JSON is at most 4000 bytes, otherwise by size,
// SHA-256 and a 1000-byte excerpt — with the arguments' digest. Two calls
// that differ in any argument give the model different inputs.
//
// Everything is sent as JSON inside delimited data sections, with hidden
// and formatting characters escaped; the prompt declares the call data
// untrusted: a file named to give orders arrives as a quoted string. An
// approval carries the digest of the arguments shown
// (ironcurtain.Approval.Arguments), so the Gate runs exactly what the
// model judged. The answer must be exactly {"decision":"approve"|"escalate",
// "reasoning":"..."}. Anything else — no instruction, no model, a model
// error, a timeout, an answer cut off, refused or malformed, "deny", a
// call that was not escalated — is Abstain.
//
// An AutoApprover is safe for concurrent use if its Model and Instruction
// are.
type AutoApprover struct {
	// Model judges the call.
	Model Model
	// Instruction returns the user's latest instruction. It must come
	// from the user alone (the command line, the user's own message) and
	// never from anything a model wrote; an empty instruction approves
	// nothing.
	Instruction func() string
	// Timeout bounds the model's answer. Zero means
	// DefaultApproverTimeout.
	Timeout time.Duration
	// MaxTokens caps the answer. Zero means DefaultApproverMaxTokens.
	MaxTokens int
}

var _ ironcurtain.Approver = AutoApprover{}

// Instruction returns a func for AutoApprover.Instruction that always
// returns s: for a run whose instruction is fixed, such as a task given
// on the command line.
func Instruction(s string) func() string { return func() string { return s } }

// Approve asks the model; see [AutoApprover]. The error is always nil.
func (a AutoApprover) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	by := "auto"
	if a.Model != nil {
		if name := modelName(a.Model); name != "" {
			by += ":" + clean(name, maxNameLen)
		}
	}
	pass := func(reason string) (ironcurtain.Approval, error) {
		return ironcurtain.Approval{Answer: ironcurtain.Abstain, By: by, Reason: reason}, nil
	}
	switch {
	case a.Model == nil:
		return pass("no model is configured")
	case a.Instruction == nil:
		return pass("no instruction from the user")
	case esc.Decision.Verdict != ironcurtain.Escalate:
		return pass("the call was not escalated")
	}
	instruction := cleanText(a.Instruction(), maxInstructionLen)
	if isBlank(instruction) {
		return pass("no instruction from the user")
	}
	ctx, cancel := context.WithTimeout(ctx, or(a.Timeout, DefaultApproverTimeout))
	defer cancel()
	msg, digest, ok := approverMessage(instruction, esc)
	if !ok {
		return pass("the call cannot be shown to the model")
	}
	resp, err := a.Model.Complete(ctx, Request{
		System:    approverSystem,
		Messages:  []Message{{Role: User, Text: msg}},
		MaxTokens: or(a.MaxTokens, DefaultApproverMaxTokens),
	})
	switch {
	case err != nil:
		// For the audit log; the providers' errors hold no key.
		return pass("the model did not answer: " + clean(err.Error(), maxReasonLen))
	case ctx.Err() != nil:
		return pass("the model answered too late")
	case resp.Finish == FinishLength || resp.Finish == FinishRefusal:
		return pass("the model's answer was cut off or refused")
	}
	v, ok := parseVerdict(resp.Text)
	if !ok {
		return pass("the model's answer was not understood")
	}
	reasoning := cleanText(v.reasoning, maxReasoningLen)
	if v.decision != "approve" {
		return pass("passed on: " + reasoning)
	}
	// Bound to the arguments the model saw: the Gate runs nothing else.
	return ironcurtain.Approval{Answer: ironcurtain.Approve, By: by, Reason: "auto-approved: " + reasoning, Arguments: digest}, nil
}
