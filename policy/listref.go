package policy

import (
	"fmt"
	"strings"
)

// listRef is one "@name" entry in a rule: the list it names, the type its
// place demands ("domains" in a domains condition, the matchType in a lists
// condition) and the rule it is in.
type listRef struct {
	name, typ, rule string
	where           string // `rule "x"`, for errors
}

// listRefs returns the policy's list references in rule order. References
// in a lists condition of an unknown matchType are left out: the rule is
// refused for its matchType.
func listRefs(p *CompiledPolicy) []listRef {
	var out []listRef
	add := func(r Rule, allowed []string, typ string) {
		for _, a := range allowed {
			if name, ok := strings.CutPrefix(a, "@"); ok {
				out = append(out, listRef{name: name, typ: typ, rule: r.Name, where: fmt.Sprintf("rule %q", r.Name)})
			}
		}
	}
	for _, r := range p.Rules {
		if d := r.If.Domains; d != nil {
			add(r, d.Allowed, "domains")
		}
		for _, lc := range r.If.Lists {
			switch lc.MatchType {
			case "domains", "emails", "identifiers":
				add(r, lc.Allowed, lc.MatchType)
			}
		}
	}
	return out
}

// inferLists adds to defs the lists rules reference without a definition,
// as IronCurtain's engine accepts them: each gets the type its first use
// demands, and every other use must demand the same. Values are checked
// against that type when the dynamic lists are read; a list no file holds
// is refused when a rule expands it.
func inferLists(p *CompiledPolicy, defs map[string]listDef) error {
	for _, ref := range listRefs(p) {
		def, ok := defs[ref.name]
		switch {
		case ok && def.inferredFrom == "":
			continue // defined: the rule is checked against the definition
		case ok && def.typ != ref.typ:
			return loadErr(filePolicy, ref.where, "list @%s is used here as %s, but as %s by rule %q; a list has one type",
				ref.name, ref.typ, def.typ, def.inferredFrom)
		case ok:
			continue
		}
		if !listNameRE.MatchString(ref.name) {
			return loadErr(filePolicy, ref.where, "list @%s: list names must match %s", ref.name, listNameRE)
		}
		defs[ref.name] = listDef{typ: ref.typ, inferredFrom: ref.rule}
	}
	return nil
}

// inferredNote explains where an undefined list's type comes from.
func (d listDef) inferredNote() string {
	if d.inferredFrom == "" {
		return ""
	}
	return fmt.Sprintf(" (the list has no definition: its type, %s, is inferred from rule %q)", d.typ, d.inferredFrom)
}
