package ironcurtain

import (
	"fmt"
	"strings"
)

// Verdict is what a policy says about a call.
//
// The zero value is Deny, so a Verdict that was never set fails closed.
type Verdict uint8

const (
	// Deny refuses the call.
	Deny Verdict = iota
	// Allow lets the call through.
	Allow
	// Escalate asks an [Approver]; no answer means Deny.
	Escalate
)

// String returns "deny", "allow" or "escalate".
func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case Escalate:
		return "escalate"
	case Deny:
		return "deny"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Severity orders verdicts from most permissive to strictest:
// allow 0, escalate 1, deny 2. An unknown verdict is as strict as deny.
func (v Verdict) Severity() int {
	switch v {
	case Allow:
		return 0
	case Escalate:
		return 1
	}
	return 2
}

// Stricter reports whether v is strictly more severe than w.
func (v Verdict) Stricter(w Verdict) bool { return v.Severity() > w.Severity() }

// MarshalText encodes the verdict as its String form.
func (v Verdict) MarshalText() ([]byte, error) {
	switch v {
	case Allow, Deny, Escalate:
		return []byte(v.String()), nil
	}
	return nil, fmt.Errorf("ironcurtain: invalid verdict %d", uint8(v))
}

// UnmarshalText decodes "allow", "deny" or "escalate".
func (v *Verdict) UnmarshalText(b []byte) error {
	p, err := ParseVerdict(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseVerdict parses "allow", "deny" or "escalate".
func ParseVerdict(s string) (Verdict, error) {
	switch s {
	case "allow":
		return Allow, nil
	case "deny":
		return Deny, nil
	case "escalate":
		return Escalate, nil
	}
	return Deny, fmt.Errorf("ironcurtain: unknown verdict %q (want allow, deny or escalate)", s)
}

// Decision is a policy engine's answer for one call: the verdict, the rule
// that decided it and the reason the agent is shown, plus the evidence.
//
// Decisions are data. A PolicyEngine that cannot decide returns an error,
// which every caller treats as Deny.
type Decision struct {
	// Verdict is the outcome.
	Verdict Verdict `json:"decision"`
	// Rule names the structural check or compiled rule that decided, for
	// example "structural-protected-path" or "escalate-git-push".
	Rule string `json:"rule"`
	// Reason is the rule's reason, fit to be shown to the agent.
	Reason string `json:"reason"`
	// EscalatedRoles lists the argument roles whose evaluation escalated,
	// when Verdict is Escalate.
	EscalatedRoles []string `json:"escalatedRoles,omitempty"`
	// Resources are the canonical resource values the decision was about,
	// one per argument value and role.
	Resources []Resource `json:"resources,omitempty"`
	// Arguments are the call's arguments in the canonical form the verdict
	// was reached on (paths resolved, URLs normalised). A Gate forwards
	// exactly these to the tool server, so the tool acts on what the policy
	// judged. Nil means the arguments were judged as given.
	Arguments map[string]any `json:"-"`
	// Trace records each step of the evaluation, in order.
	Trace []TraceStep `json:"trace,omitempty"`
}

// ResourceKind is what kind of value a [Resource] is.
type ResourceKind string

// The kinds of resource values.
const (
	ResourcePath       ResourceKind = "path"
	ResourceURL        ResourceKind = "url"
	ResourceIdentifier ResourceKind = "identifier"
)

// TraceOutcome is what came of one [TraceStep].
type TraceOutcome string

// The outcomes of a step that is not a verdict.
const (
	TraceMatch   TraceOutcome = "match"
	TraceNoMatch TraceOutcome = "no-match"
	TraceSkip    TraceOutcome = "skip"
)

// TraceVerdict is the outcome of a step that decided: "allow", "deny" or
// "escalate".
func TraceVerdict(v Verdict) TraceOutcome { return TraceOutcome(v.String()) }

// Resource is one canonical resource value a decision considered.
type Resource struct {
	// Argument is the argument the value came from.
	Argument string `json:"argument"`
	// Role is the argument's role, for example "read-path" or "fetch-url".
	Role string `json:"role"`
	// Kind is ResourcePath, ResourceURL or ResourceIdentifier.
	Kind ResourceKind `json:"kind"`
	// Value is the canonical value: a resolved absolute path, a normalised
	// URL, a lower-cased identifier.
	Value string `json:"value"`
	// Host is the host name of a URL value ("" otherwise), so that an
	// approver can offer a grant for the whole domain.
	Host string `json:"host,omitempty"`
}

// TraceStep is one step of an evaluation: a structural check or a compiled
// rule, what it looked at, and what came of it.
type TraceStep struct {
	// Check is the structural check ("structural-protected-path", ...) or
	// "rule" for a compiled rule, or "default-deny".
	Check string `json:"check"`
	// Rule is the compiled rule's name when Check is "rule".
	Rule string `json:"rule,omitempty"`
	// Argument, Role and Value identify the value examined, when any.
	Argument string `json:"argument,omitempty"`
	Role     string `json:"role,omitempty"`
	Value    string `json:"value,omitempty"`
	// Outcome is TraceMatch, TraceNoMatch, TraceSkip, or a verdict
	// ([TraceVerdict]).
	Outcome TraceOutcome `json:"outcome"`
	// Detail says why, for a person.
	Detail string `json:"detail,omitempty"`
}

// String renders the step on one line for a person.
func (s TraceStep) String() string {
	var b strings.Builder
	b.WriteString(s.Check)
	if s.Rule != "" {
		b.WriteString(" ")
		b.WriteString(s.Rule)
	}
	if s.Role != "" || s.Argument != "" {
		fmt.Fprintf(&b, " [%s %s", s.Argument, s.Role)
		if s.Value != "" {
			fmt.Fprintf(&b, " = %q", s.Value)
		}
		b.WriteString("]")
	}
	b.WriteString(": ")
	b.WriteString(string(s.Outcome))
	if s.Detail != "" {
		b.WriteString(" — ")
		b.WriteString(s.Detail)
	}
	return b.String()
}
