package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// Finding is one thing the linter says about a policy.
type Finding struct {
	// Kind is "dead" (the rule can never match), "shadowed" (an earlier
	// rule always decides first), "catch-all" (the rule matches every call
	// to its servers), "unknown-tool" (the rule names a tool or server no
	// annotation describes), "missing-reason" (the agent is given a reason
	// built from the rule's name), "legacy-condition" (a sideEffects
	// condition), "unused-list", "undeclared-list" (a list referenced
	// without a definition, its type inferred), or "drift" (an annotation
	// and the tool it describes disagree; see [Engine.CheckTools]).
	Kind string `json:"kind"`
	// Rule is the rule concerned, if any.
	Rule string `json:"rule,omitempty"`
	// List is the list concerned, if any.
	List string `json:"list,omitempty"`
	// Tool is the tool concerned ("server/tool"), if any.
	Tool string `json:"tool,omitempty"`
	// Message says what is wrong, for a person.
	Message string `json:"message"`
}

// String renders the finding on one line.
func (f Finding) String() string {
	subject := f.Rule
	switch {
	case subject != "":
	case f.Tool != "":
		subject = f.Tool
	default:
		subject = "@" + f.List
	}
	return fmt.Sprintf("%s: %s: %s", f.Kind, subject, f.Message)
}

// Lint examines the policy for rules that can never match, rules shadowed by
// earlier ones, catch-all rules, lists never used and rules naming tools no
// annotation knows. The engine accepts all of these; the linter says what
// they mean.
func (e *Engine) Lint() []Finding {
	var out []Finding
	for _, r := range e.rules {
		out = append(out, e.lintRule(r)...)
	}
	out = append(out, e.lintLists()...)
	return out
}

// toolsOf returns the annotated tools a rule's server and tool conditions
// admit.
func (e *Engine) toolsOf(r *rule) []*tool {
	var out []*tool
	for _, server := range slices.Sorted(maps.Keys(e.tools)) {
		for _, name := range slices.Sorted(maps.Keys(e.tools[server])) {
			t := e.tools[server][name]
			if slices.Contains(t.candidates, r) {
				out = append(out, t)
			}
		}
	}
	return out
}

// possibleRoles returns every role any resolution of the tool can give.
func (t *tool) possibleRoles() roleMask {
	var m roleMask
	for _, a := range t.args {
		for _, id := range a.def {
			m |= 1 << id
		}
		for _, w := range a.when {
			for _, id := range w.roles {
				m |= 1 << id
			}
		}
	}
	return m
}

func (e *Engine) lintRule(r *rule) []Finding {
	var out []Finding
	src := e.artifacts.Policy.Rules[r.index]
	if strings.TrimSpace(src.Reason) == "" {
		out = append(out, Finding{Kind: "missing-reason", Rule: r.name,
			Message: fmt.Sprintf("the rule has no reason; the agent is told %q", r.reason)})
	}
	if se := src.If.SideEffects; se != nil {
		how := fmt.Sprintf("it applies only to tools annotated \"sideEffects\": %t", *se)
		if r.sideEffects == nil {
			how = "on an escalate or deny rule it is ignored, as IronCurtain ignores it"
		}
		out = append(out, Finding{Kind: "legacy-condition", Rule: r.name,
			Message: "sideEffects is a condition of IronCurtain's older engines; " + how})
	}
	for _, s := range r.servers {
		if _, ok := e.tools[s]; !ok {
			out = append(out, Finding{Kind: "unknown-tool", Rule: r.name, Message: fmt.Sprintf("no annotation describes server %q", s)})
		}
	}
	for _, name := range r.tools {
		known := false
		for server, tools := range e.tools {
			if r.servers != nil && !slices.Contains(r.servers, server) {
				continue
			}
			if _, ok := tools[name]; ok {
				known = true
			}
		}
		if !known {
			out = append(out, Finding{Kind: "unknown-tool", Rule: r.name, Message: fmt.Sprintf("no annotation describes tool %q on the rule's servers", name)})
		}
	}
	if dead := e.deadReason(r); dead != "" {
		return append(out, Finding{Kind: "dead", Rule: r.name, Message: dead})
	}
	for _, a := range e.rules[:r.index] {
		if e.covers(a, r) {
			verb := "so this rule never decides anything"
			if a.then == r.then {
				verb = "with the same verdict, so this rule is redundant"
			}
			out = append(out, Finding{Kind: "shadowed", Rule: r.name,
				Message: fmt.Sprintf("every call and value it matches is matched first by %q (%s), %s", a.name, a.then, verb)})
			break
		}
	}
	if !r.hasRoles && r.paths == nil && r.domains == nil && r.lists == nil && r.tools == nil {
		scope := "every annotated tool of every server"
		if r.servers != nil {
			scope = "every tool of " + strings.Join(r.servers, ", ")
		}
		n := len(e.toolsOf(r))
		out = append(out, Finding{Kind: "catch-all", Rule: r.name,
			Message: fmt.Sprintf("matches %s (%d tools) for every role; later rules for them are reached only for values it does not see", scope, n)})
	}
	return out
}

// deadReason explains why a rule can never match, or returns "".
func (e *Engine) deadReason(r *rule) string {
	if r.relevant == 0 {
		return "its role conditions name no role in common, so it applies to no role"
	}
	tools := e.toolsOf(r)
	if len(tools) == 0 {
		return "no annotated tool satisfies its server and tool conditions"
	}
	for _, t := range tools {
		m := t.possibleRoles()
		if r.hasRoles && m&r.roles == 0 {
			continue
		}
		scoped := r.relevant != allRoles
		if scoped && m&r.relevant&resourceRoles == 0 && m&resourceRoles != 0 {
			continue // the roles it is scoped to never occur on this tool
		}
		if (r.paths != nil || r.domains != nil) && m&r.relevant == 0 {
			continue
		}
		return ""
	}
	return "none of the tools it names has an argument with the roles it requires"
}

// covers reports whether rule a, earlier, matches every call, role and
// value rule b matches (a conservative test: it may miss some cover, but
// never claims one that is not there).
func (e *Engine) covers(a, b *rule) bool {
	if !superset(a.servers, b.servers) || !superset(a.tools, b.tools) {
		return false
	}
	if a.sideEffects != nil && (b.sideEffects == nil || *b.sideEffects != *a.sideEffects) {
		return false
	}
	// Inside the sandbox only the rules that reach it are consulted, and
	// a rule only for the sandbox sees nothing outside it.
	if b.reach && !a.reach || a.only && !b.only {
		return false
	}
	if a.hasRoles && (!b.hasRoles || b.roles&^a.roles != 0) {
		return false
	}
	if b.relevant&^a.relevant != 0 {
		return false
	}
	if a.paths != nil && (b.paths == nil || !realpath.Within(b.paths.within, a.paths.within)) {
		return false
	}
	if a.domains != nil && (b.domains == nil || !a.domains.set.coversSet(b.domains.set)) {
		return false
	}
	return a.lists == nil
}

// superset: nil means "any", so only nil covers nil.
func superset(a, b []string) bool {
	if a == nil {
		return true
	}
	if b == nil {
		return false
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// coversSet reports whether s allows everything t allows (conservatively).
func (s *domainSet) coversSet(t *domainSet) bool {
	if t.star && !s.star {
		return false
	}
	for h := range t.exact {
		if !s.match(parseHost(h), h) {
			return false
		}
	}
	for h := range t.suffix {
		if !s.suffix[h] && !(s.star && isPublicName("x."+h)) {
			return false
		}
	}
	for f := range t.full {
		host, _, _ := strings.Cut(f, "/")
		if !s.full[f] && !s.match(parseHost(host), f) {
			return false
		}
	}
	return true
}

func (e *Engine) lintLists() []Finding {
	used := map[string]bool{}
	for _, r := range e.artifacts.Policy.Rules {
		refs := []string{}
		if r.If.Domains != nil {
			refs = append(refs, r.If.Domains.Allowed...)
		}
		for _, l := range r.If.Lists {
			refs = append(refs, l.Allowed...)
		}
		for _, ref := range refs {
			if name, ok := strings.CutPrefix(ref, "@"); ok {
				used[name] = true
			}
		}
	}
	var out []Finding
	defined := map[string]bool{}
	for _, d := range e.artifacts.Policy.ListDefinitions {
		defined[d.Name] = true
		if !used[d.Name] {
			out = append(out, Finding{Kind: "unused-list", List: d.Name, Message: "defined but no rule references it"})
		}
	}
	for _, ref := range listRefs(e.artifacts.Policy) {
		if !defined[ref.name] {
			defined[ref.name] = true
			out = append(out, Finding{Kind: "undeclared-list", List: ref.name,
				Message: fmt.Sprintf("has no listDefinitions entry; its type, %s, is inferred from rule %q", ref.typ, ref.rule)})
		}
	}
	if e.artifacts.Lists != nil {
		for _, name := range slices.Sorted(maps.Keys(e.artifacts.Lists.Lists)) {
			if !defined[name] {
				out = append(out, Finding{Kind: "unused-list", List: name, Message: "has values but no rule references it"})
			}
		}
	}
	return out
}
