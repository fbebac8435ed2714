package ironcurtain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Caller carries out tool calls. A Gate is a Caller, and so is every
// ToolServer; a sandbox is handed a Caller as its only way out.
//
// Call may block (a tool runs, a person is asked) and must honour ctx.
// It must be safe for concurrent use. It must not retain call.Arguments
// after it returns. A refused call is reported as an error satisfying
// errors.Is(err, ErrDenied); a tool that ran and failed is a Result with
// IsError set and a nil error.
type Caller interface {
	Call(ctx context.Context, call ToolCall) (Result, error)
}

// CallerFunc adapts a function to a [Caller].
type CallerFunc func(ctx context.Context, call ToolCall) (Result, error)

// Call calls f(ctx, call).
func (f CallerFunc) Call(ctx context.Context, call ToolCall) (Result, error) { return f(ctx, call) }

// ToolServer serves a set of tools: the built-in filesystem, git and web
// servers, or an MCP server behind the proxy.
//
// Tools lists the tools; the list may change between calls (an upstream MCP
// server can announce a new list). Call runs one tool; call.Server is the
// name the server is registered under and may be ignored. Errors from Call
// mean the tool could not be run (transport failure, server gone); a tool
// that ran and failed returns a Result with IsError. Both methods must be
// safe for concurrent use and honour ctx.
//
// A ToolServer that holds resources also implements io.Closer.
type ToolServer interface {
	Tools(ctx context.Context) ([]Tool, error)
	Caller
}

// PolicyEngine decides tool calls.
//
// Evaluate must be deterministic for a given call and state of the file
// system, must not modify call.Arguments, and must be safe for concurrent
// use. It returns a Decision (allow, deny or escalate, with the rule and the
// reason); an error means it could not decide, and every caller treats an
// error as Deny. Evaluate should not block beyond ctx.
type PolicyEngine interface {
	Evaluate(ctx context.Context, call ToolCall) (Decision, error)
}

// Answer is an approver's reply to an escalation.
//
// The zero value is Abstain, so an approver that says nothing passes the
// question on, and a chain in which nobody approves ends in a denial.
type Answer uint8

const (
	// Abstain passes the escalation to the next approver.
	Abstain Answer = iota
	// Approve lets the call through.
	Approve
	// Reject refuses the call.
	Reject
)

// String returns "abstain", "approve" or "reject".
func (a Answer) String() string {
	switch a {
	case Approve:
		return "approve"
	case Reject:
		return "reject"
	}
	return "abstain"
}

// MarshalText encodes the answer as its String form.
func (a Answer) MarshalText() ([]byte, error) {
	switch a {
	case Abstain, Approve, Reject:
		return []byte(a.String()), nil
	}
	return nil, fmt.Errorf("ironcurtain: invalid answer %d", uint8(a))
}

// UnmarshalText decodes "approve", "reject" or "abstain".
func (a *Answer) UnmarshalText(b []byte) error {
	switch string(b) {
	case "abstain":
		*a = Abstain
	case "approve":
		*a = Approve
	case "reject":
		*a = Reject
	default:
		return fmt.Errorf("ironcurtain: unknown answer %q (want approve, reject or abstain)", b)
	}
	return nil
}

// Escalation is what an [Approver] is asked: a call, in the canonical form
// the policy judged, and the decision that escalated it.
type Escalation struct {
	Call     ToolCall
	Decision Decision
}

// Approval is an approver's reply.
type Approval struct {
	// Answer is approve, reject or abstain.
	Answer Answer
	// By names who answered, for the audit log: "terminal", "auto:<model>",
	// "grant:<id>".
	By string
	// Reason explains the answer for the audit log.
	Reason string
	// Grant, when set with Answer == Approve, asks that similar calls be
	// approved without asking again: the scope a person chose, for a time.
	// Approvers driven by a model must never set it.
	Grant *Grant
	// Arguments, when set, binds the approval to the arguments the
	// approver was shown: their [ArgumentsDigest]. A Gate refuses an
	// approval whose digest is not that of the canonical arguments it is
	// about to run.
	Arguments string
}

// ArgumentsDigest returns the hex SHA-256 of args encoded as JSON, whose
// object keys encoding/json sorts: the digest approvers show and grants
// pin. Nil and empty arguments have the same digest.
func ArgumentsDigest(args map[string]any) (string, error) {
	if args == nil {
		args = map[string]any{}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return "", fmt.Errorf("ironcurtain: arguments cannot be digested: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Grant is a standing approval a person chose when answering an
// escalation: the same server and tool, with every listed resource
// constraint met, until it expires.
type Grant struct {
	// ID identifies the grant once a grant store has recorded it, so that
	// the audit log can name the grant behind later approvals
	// ("grant:<id>"). Approvers leave it empty.
	ID string `json:"id,omitempty"`
	// Scopes all must hold for a later call to be covered. A grant with no
	// scopes covers nothing.
	Scopes []Scope `json:"scopes"`
	// TTL is how long the grant lasts from the moment it is made.
	TTL time.Duration `json:"ttl"`
}

// ScopeKind is what a [Scope] constrains.
type ScopeKind string

// The kinds of scope.
const (
	ScopeExact     ScopeKind = "exact"
	ScopeDirectory ScopeKind = "directory"
	ScopeDomain    ScopeKind = "domain"
	ScopeArguments ScopeKind = "arguments"
)

// Scope constrains the values of one argument role in a [Grant].
type Scope struct {
	// Role is the argument role constrained, for example "write-path".
	Role string `json:"role"`
	// Kind is ScopeExact (the canonical value itself), ScopeDirectory
	// (paths within Value), ScopeDomain (URLs whose host is Value) or
	// ScopeArguments (the call's canonical arguments as a whole; Role is
	// empty).
	Kind ScopeKind `json:"kind"`
	// Value is the canonical value, directory or host; for "arguments",
	// the hex SHA-256 of the canonical arguments encoded as JSON with
	// sorted keys.
	Value string `json:"value"`
}

// Approver answers escalations.
//
// Approve may block (a person is asked) and must return promptly when ctx
// is done. It must be safe for concurrent use. It must not modify esc. An
// error means no answer and is treated as Reject.
type Approver interface {
	Approve(ctx context.Context, esc Escalation) (Approval, error)
}

// ApproverFunc adapts a function to an [Approver].
type ApproverFunc func(ctx context.Context, esc Escalation) (Approval, error)

// Approve calls f(ctx, esc).
func (f ApproverFunc) Approve(ctx context.Context, esc Escalation) (Approval, error) {
	return f(ctx, esc)
}

// CredentialVault holds real credentials, so that they never enter a
// sandbox.
//
// Credential returns the credential of the given name, or an error
// satisfying errors.Is(err, ErrNoCredential). Secrets returns every value
// the vault can hand out, so that logs can redact them; a vault that cannot
// enumerate its values must return an error, and callers then fail closed.
// Both must be safe for concurrent use.
type CredentialVault interface {
	Credential(ctx context.Context, name string) (Secret, error)
	Secrets(ctx context.Context) ([]Secret, error)
}

// Sandbox runs untrusted work — a script, a whole agent — confined, with a
// Caller as its only way out.
//
// Run blocks until the work ends, ctx is done, or a limit is reached. The
// Report is filled as far as the work got, also when Run returns an error.
// A deadline is reported as an error satisfying
// errors.Is(err, context.DeadlineExceeded), a limit as ErrLimit. Run must be
// safe for concurrent use; each run is isolated from every other.
type Sandbox interface {
	Run(ctx context.Context, job Job) (Report, error)
}

// Job is one piece of untrusted work.
type Job struct {
	// Source is the work: TypeScript for Code Mode, the task for an agent in
	// Docker Mode.
	Source string
	// Session names the session, for the audit log.
	Session string
}

// Report is what came of a Job.
type Report struct {
	// Value is the work's result as JSON (a script's return value).
	Value json.RawMessage `json:"result,omitempty"`
	// Output holds the console or standard-output lines, capped.
	Output []string `json:"output,omitempty"`
	// Calls lists the tool calls made, in order.
	Calls []CallRecord `json:"calls,omitempty"`
}

// CallRecord is one tool call a sandboxed job made, and what came of it.
type CallRecord struct {
	Server string `json:"server"`
	Tool   string `json:"tool"`
	// Verdict is the final verdict: Allow when the call ran (after any
	// approval), otherwise Deny or Escalate.
	Verdict Verdict `json:"decision"`
	// Rule and Reason come from the deciding decision.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Error is the tool's or the Gate's error text, if any.
	Error string `json:"error,omitempty"`
	// Duration is how long the call took.
	Duration time.Duration `json:"duration"`
}

// CallPreparer is an optional interface of a [ToolServer] whose tools take
// implicit arguments that the policy must see — the git server's session
// working directory behind a path of "." is one. A Gate calls PrepareCall
// before the policy engine and then judges and forwards the prepared call,
// so the policy sees what the tool will act on.
//
// PrepareCall must not modify call.Arguments; it returns a call with a new
// map when it changes anything. An error denies the call.
type CallPreparer interface {
	PrepareCall(ctx context.Context, call ToolCall) (ToolCall, error)
}

// DecisionCaller is an optional interface of a [Caller] that also reports
// the decision behind each call: for a call that ran, the verdict (Allow)
// with the rule and reason that let it through — the escalating rule when a
// person approved it; for a refused call, the same Decision its
// *DeniedError carries. A Gate is a DecisionCaller; sandboxes use it to show
// every call's rule, not only the refused ones'.
//
// CallDecided must behave exactly as Call does; the Decision carries only
// Verdict, Rule and Reason.
type DecisionCaller interface {
	CallDecided(ctx context.Context, call ToolCall) (Result, Decision, error)
}

// Backend is what a sandbox (Code Mode, Docker Mode) and the MCP proxy call
// tools through: the tools of every server, each with its server's name,
// and a Caller for them. A *Gate is a Backend, and it should be the one, so
// that every call passes the policy, the approvers and the audit log.
//
// Tools lists every tool with the name of its server; it may be called at
// the start of every run. Call carries out one call and may block (an
// escalation waits for its approver); a refused call is an error
// satisfying errors.Is(err, ErrDenied), preferably a *DeniedError so that
// the agent is shown its reason. Both must be safe for concurrent use and
// honour ctx.
type Backend interface {
	Caller
	Tools(ctx context.Context) ([]ServerTool, error)
}

var _ Backend = (*Gate)(nil)
