package ironcurtain

import (
	"errors"
	"strings"
)

// Sentinel errors. Check them with errors.Is; never match error strings.
var (
	// ErrDenied marks a call that was not carried out because a policy, an
	// approver, a limit or an internal failure said no. Every *DeniedError
	// satisfies errors.Is(err, ErrDenied).
	ErrDenied = errors.New("ironcurtain: denied")
	// ErrUnknownTool marks a call to a server or tool nobody registered.
	ErrUnknownTool = errors.New("ironcurtain: unknown tool")
	// ErrInvalidArguments marks arguments that do not fit the tool's schema.
	ErrInvalidArguments = errors.New("ironcurtain: invalid arguments")
	// ErrNoCredential is returned by a CredentialVault that holds no
	// credential of the requested name.
	ErrNoCredential = errors.New("ironcurtain: no such credential")
	// ErrLimit marks work stopped by a configured limit (memory, output size,
	// number of calls). A time limit is reported as context.DeadlineExceeded.
	ErrLimit = errors.New("ironcurtain: limit exceeded")
	// ErrClosed is returned by a component used after Close.
	ErrClosed = errors.New("ironcurtain: closed")
)

// DeniedError reports a call that was not carried out. It separates what the
// agent may see (Decision.Reason) from what only the operator may see
// (Cause: host paths, internal errors, stack details).
type DeniedError struct {
	// Decision is the decision that refused the call. Its Verdict is Deny or
	// Escalate (an escalation nobody approved).
	Decision Decision
	// Cause is the internal error behind the denial, if any. It is never
	// shown to the agent.
	Cause error
}

// Error describes the denial for the operator, including the cause.
func (e *DeniedError) Error() string {
	var b strings.Builder
	b.WriteString("ironcurtain: denied")
	if e.Decision.Rule != "" {
		b.WriteString(" by ")
		b.WriteString(e.Decision.Rule)
	}
	if e.Decision.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Decision.Reason)
	}
	if e.Cause != nil {
		b.WriteString(" (")
		b.WriteString(e.Cause.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrDenied) true and exposes the cause.
func (e *DeniedError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrDenied}
	}
	return []error{ErrDenied, e.Cause}
}

// AgentMessage is the text the agent is shown: a fixed prefix and the
// decision's reason, never the cause. The prefixes are those agents and
// prompts written for IronCurtain expect.
func (e *DeniedError) AgentMessage() string {
	reason := e.Decision.Reason
	if reason == "" {
		reason = "the call was refused"
	}
	if e.Decision.Verdict == Escalate {
		return "ESCALATION DENIED: " + reason
	}
	return "DENIED: " + reason
}
