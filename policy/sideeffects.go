package policy

import (
	"slices"

	"github.com/ironcurtain-go/ironcurtain"
)

// IronCurtain's older engines had a "sideEffects" rule condition, matched
// against the "sideEffects" flag of the tool's annotation; its current
// engine ignores the field, and its own tests still carry it. We read the
// condition in whichever way is stricter, so that no decision is looser
// than either: on an allow rule it holds only for tools annotated with that
// exact value (a tool without the flag never satisfies it), and on an
// escalate or deny rule it is ignored, as the reference engine ignores it,
// so the rule applies more widely. The linter reports the condition.

// sideEffectsFilter is the sideEffects value that limits the rule's tools,
// or nil when nothing does.
func sideEffectsFilter(r Rule) *bool {
	if r.If.SideEffects == nil || r.Then != ironcurtain.Allow {
		return nil
	}
	v := *r.If.SideEffects
	return &v
}

// narrowBySideEffects takes from each tool's candidate rules those whose
// sideEffects filter the tool's annotation does not satisfy.
func (e *Engine) narrowBySideEffects(a *Annotations) {
	for server, sa := range a.Servers {
		for _, ta := range sa.Tools {
			t := e.tools[server][ta.ToolName]
			if t == nil {
				continue
			}
			t.candidates = slices.DeleteFunc(t.candidates, func(r *rule) bool { return !r.sideEffectsHold(ta) })
		}
	}
}

// sideEffectsHold reports whether the rule's sideEffects filter lets it
// apply to the annotated tool.
func (r *rule) sideEffectsHold(ta ToolAnnotation) bool {
	return r.sideEffects == nil || (ta.SideEffects != nil && *ta.SideEffects == *r.sideEffects)
}
