package compile

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// modelList is a list the model defined for a sentence outside the subset.
type modelList struct {
	typ, description string
}

// listRef is a list a rule names, and the type its place needs.
type listRef struct{ name, typ string }

func listRefs(r policy.Rule) []listRef {
	var out []listRef
	if d := r.If.Domains; d != nil {
		for _, a := range d.Allowed {
			if name, ok := strings.CutPrefix(a, "@"); ok {
				out = append(out, listRef{name, "domains"})
			}
		}
	}
	for _, l := range r.If.Lists {
		for _, a := range l.Allowed {
			if name, ok := strings.CutPrefix(a, "@"); ok {
				out = append(out, listRef{name, l.MatchType})
			}
		}
	}
	return out
}

// collectLists checks the lists the sentences name: each must be defined
// by a sentence or have known values, and needs values from somewhere.
func (c *compiler) collectLists() {
	used := map[string]bool{}
	for _, e := range c.entries {
		for _, ref := range listRefs(e.rule) {
			if used[ref.name] {
				continue
			}
			used[ref.name] = true
			_, known := c.known[ref.name]
			def := c.defs[ref.name]
			switch {
			case def == nil && !known:
				c.errorAt(e.line, e.rule.Principle, "@"+ref.name, "@%s is neither defined nor known: define it with a sentence \"- @%s are ...\", or give its values", ref.name, ref.name)
			case !known && c.opts.Model == nil:
				c.errorAt(e.line, e.rule.Principle, "@"+ref.name, "@%s has no values: give them (dynamic-lists.json) or configure a model to resolve the list", ref.name)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.defs)) {
		if !used[name] {
			st := c.defs[name]
			c.warnf(st.line, st.text, "@%s is defined but no sentence uses it", name)
		}
	}
}

// resolveSentenceLists has the model resolve the lists the sentences name
// that have no known values.
func (c *compiler) resolveSentenceLists(ctx context.Context) error {
	if c.opts.Model == nil {
		return nil
	}
	var need []string
	for _, e := range c.entries {
		for _, ref := range listRefs(e.rule) {
			if _, ok := c.known[ref.name]; !ok && !slices.Contains(need, ref.name) {
				need = append(need, ref.name)
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	p := c.pipe()
	for _, name := range need {
		def := c.defs[name]
		if err := p.resolveList(ctx, name, "domains", strings.TrimSuffix(def.defText, ".")); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.errorf(def.line, def.text, "resolving @%s: %v", name, err)
		}
	}
	return nil
}

// listValues returns the effective values of every list with values.
func (c *compiler) listValues() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for name, v := range c.known {
		out[name] = v.Effective()
	}
	for name, v := range c.resolved {
		out[name] = v.Effective()
	}
	return out
}

// buildPolicy makes the compiled policy of ordered rules, with a
// definition and values for every list they name.
func (c *compiler) buildPolicy(es []entry) (*policy.CompiledPolicy, *policy.Lists, error) {
	pol := &policy.CompiledPolicy{Rules: make([]policy.Rule, 0, len(es))}
	var lists *policy.Lists
	types := map[string]string{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range es {
		pol.Rules = append(pol.Rules, e.rule)
		for _, ref := range listRefs(e.rule) {
			if t, seen := types[ref.name]; seen {
				if t != ref.typ {
					return nil, nil, fmt.Errorf("@%s is used as %s and as %s", ref.name, t, ref.typ)
				}
				continue
			}
			types[ref.name] = ref.typ
			def := policy.ListDefinition{Name: ref.name, Type: ref.typ, Principle: e.rule.Principle}
			if st := c.defs[ref.name]; st != nil {
				def.Principle, def.GenerationPrompt = st.text, upperFirst(strings.TrimSuffix(st.defText, ".")+".")
			} else if md, ok := c.modelDefs[ref.name]; ok {
				if md.typ != ref.typ {
					return nil, nil, fmt.Errorf("@%s is defined as %s but used as %s", ref.name, md.typ, ref.typ)
				}
				def.GenerationPrompt = md.description
			}
			pol.ListDefinitions = append(pol.ListDefinitions, def)
			v, ok := c.known[ref.name]
			if !ok {
				v, ok = c.resolved[ref.name]
			}
			if !ok {
				return nil, nil, fmt.Errorf("@%s has no values", ref.name)
			}
			if lists == nil {
				lists = &policy.Lists{Lists: map[string]policy.ListValues{}}
			}
			lists.Lists[ref.name] = v
		}
	}
	return pol, lists, nil
}
