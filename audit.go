package ironcurtain

import (
	"context"
	"time"
)

// Outcome is what came of a call, for the audit log.
type Outcome string

const (
	// OutcomeSuccess: the tool ran and reported success.
	OutcomeSuccess Outcome = "success"
	// OutcomeError: the tool ran and reported a failure (Result.IsError), or
	// could not be run (the tool server failed); AuditEntry.Error says which.
	OutcomeError Outcome = "error"
	// OutcomeDenied: the call was refused and the tool did not run, or its
	// result was withheld.
	OutcomeDenied Outcome = "denied"
)

// AuditEntry records one call that reached a [Gate]: who asked for what, what
// was decided and by which rule, who approved it, and what came of it.
//
// Arguments are the canonical arguments the decision was reached on and the
// tool received; for a call refused before the policy ran they are the
// arguments as given, or nil when they could not be recorded (over the size
// cap, not JSON). An Auditor must redact secrets before the entry leaves the
// process.
type AuditEntry struct {
	// Time is when the Gate received the call.
	Time time.Time `json:"time"`
	// Session and CallID identify the call.
	Session string `json:"session,omitempty"`
	CallID  string `json:"callId"`
	// Server and Tool name the tool as the agent asked for it.
	Server string `json:"server"`
	Tool   string `json:"tool"`
	// Arguments are the call's arguments, see above.
	Arguments map[string]any `json:"arguments,omitempty"`
	// Verdict is the final verdict: Allow when the call was let through
	// (also after an approval), Escalate when it was escalated and nobody
	// approved it, Deny otherwise.
	Verdict Verdict `json:"decision"`
	// Escalated reports that the policy escalated the call: with Verdict
	// Allow it was approved, with Verdict Escalate it was not.
	Escalated bool `json:"escalated,omitempty"`
	// Rule and Reason come from the deciding decision: the policy's, or the
	// Gate's own check ("unknown-tool", "circuit-breaker", ...).
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Approval is the approver's answer, when one was asked.
	Approval *AuditApproval `json:"approval,omitempty"`
	// Outcome is success, error or denied.
	Outcome Outcome `json:"outcome"`
	// Error is the operator-side detail of a denial or failure: internal
	// causes, transport errors, the cause a tool error carried
	// ([ErrorResultWithCause], bounded and made inert). It is never shown
	// to the agent.
	Error string `json:"error,omitempty"`
	// Duration is how long the Gate spent on the call, approval included.
	Duration time.Duration `json:"duration"`
}

// AuditApproval records an approver's answer to an escalation.
type AuditApproval struct {
	// By names who answered ("terminal", "grant:<id>", "auto:<model>").
	By string `json:"by,omitempty"`
	// Answer is approve, reject or abstain.
	Answer Answer `json:"answer"`
	// Reason is the approver's explanation.
	Reason string `json:"reason,omitempty"`
	// Grant is the standing approval this answer created, with the ID the
	// grant store gave it; nil when none was made.
	Grant *Grant `json:"grant,omitempty"`
	// Arguments is the digest ([ArgumentsDigest]) of the canonical
	// arguments the approver was shown, and which ran if it approved.
	Arguments string `json:"arguments,omitempty"`
	// BoundTo is the digest the approver bound its answer to
	// ([Approval].Arguments) when that is not Arguments: an approval of
	// something else, which the Gate refused. Empty otherwise.
	BoundTo string `json:"boundTo,omitempty"`
}

// Auditor records audit entries.
//
// Record is called once for every call that reaches a Gate, before the call's
// result is returned, and must not return before the entry is stored as
// durably as the Auditor promises. It must keep entries in the order of the
// calls to Record, be safe for concurrent use, and not retain e.Arguments
// after it returns. The Gate passes a context that is not cancelled when the
// caller gives up, so that every decision is recorded.
//
// An error means the entry may be lost. A Gate then stops: it denies that
// call and every later one (fail closed).
type Auditor interface {
	Record(ctx context.Context, e AuditEntry) error
}

// AuditorFunc adapts a function to an [Auditor].
type AuditorFunc func(ctx context.Context, e AuditEntry) error

// Record calls f(ctx, e).
func (f AuditorFunc) Record(ctx context.Context, e AuditEntry) error { return f(ctx, e) }

// AuditEvent records something that is not a call but belongs in the audit
// log: an operator's choice or the state of a safeguard, such as a tool
// server started without its jail because the kernel lacks Landlock and the
// configuration accepted that.
type AuditEvent struct {
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Kind names the event, for example "server-unsandboxed".
	Kind string `json:"kind"`
	// Server names the tool server concerned, if any.
	Server string `json:"server,omitempty"`
	// Message says what happened, for a person.
	Message string `json:"message"`
}

// EventAuditor is an optional interface of an [Auditor] that also records
// events. Like Record, Event returns after the event is stored, and an error
// means it may be lost.
type EventAuditor interface {
	Event(ctx context.Context, e AuditEvent) error
}
