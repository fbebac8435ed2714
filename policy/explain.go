package policy

import (
	"fmt"
	"io"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// Sandbox returns the canonical sandbox directory, or "" when there is none.
func (e *Engine) Sandbox() string { return e.sandbox }

// Roots returns the directories a file-system tool server needs to serve
// this policy: the sandbox, then every `within` directory of an allow or
// escalate rule, canonical and without duplicates.
func (e *Engine) Roots() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	add(e.sandbox)
	for _, r := range e.rules {
		if r.paths != nil && r.then != ironcurtain.Deny {
			add(r.paths.within)
		}
	}
	return out
}

// ProtectedPaths returns the protected paths, canonical.
func (e *Engine) ProtectedPaths() []string {
	out := make([]string, len(e.protected))
	for i, p := range e.protected {
		out[i] = p.canonical
	}
	return out
}

// Artifacts returns the artifacts the engine was built from. The caller
// must not modify them: engines of the default policy share them.
func (e *Engine) Artifacts() Artifacts { return e.artifacts }

// WriteExplanation writes a decision and its trace for a person: the call,
// the verdict with its rule and reason, the canonical resources, and every
// step of the evaluation.
func WriteExplanation(w io.Writer, call ironcurtain.ToolCall, d ironcurtain.Decision) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s\n", call.Server, call.Tool)
	fmt.Fprintf(&b, "  decision: %s by %s\n", d.Verdict, d.Rule)
	fmt.Fprintf(&b, "  reason:   %s\n", d.Reason)
	if len(d.EscalatedRoles) > 0 {
		fmt.Fprintf(&b, "  escalated roles: %s\n", strings.Join(d.EscalatedRoles, ", "))
	}
	if len(d.Resources) > 0 {
		b.WriteString("  resources:\n")
		for _, r := range d.Resources {
			fmt.Fprintf(&b, "    %s (%s, %s): %s\n", r.Argument, r.Role, r.Kind, r.Value)
		}
	}
	if len(d.Trace) > 0 {
		b.WriteString("  trace:\n")
		for i, s := range d.Trace {
			fmt.Fprintf(&b, "    %2d. %s\n", i+1, s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
