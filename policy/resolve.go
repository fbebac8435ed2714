package policy

import "math"

// resolved are a tool's argument roles for one call, conditional roles
// applied.
type resolved struct {
	args []resolvedArg
	mask roleMask
	// order lists the distinct resource roles in declaration order: the
	// order roles are evaluated in, which decides attribution.
	order []roleID
}

type resolvedArg struct {
	name  string
	roles []roleID
}

// resolve applies conditional roles against the call's arguments: for each
// argument, the first clause whose condition holds, else the default.
func (t *tool) resolve(args map[string]any) resolved {
	if !t.conditional && t.static.args != nil {
		return t.static
	}
	r := resolved{args: make([]resolvedArg, 0, len(t.args))}
	for _, a := range t.args {
		roles := a.def
		for _, w := range a.when {
			if w.holds(args) {
				roles = w.roles
				break
			}
		}
		r.args = append(r.args, resolvedArg{name: a.name, roles: roles})
		for _, id := range roles {
			if r.mask.has(id) {
				continue
			}
			r.mask |= 1 << id
			if id.isResource() {
				r.order = append(r.order, id)
			}
		}
	}
	return r
}

// unknownArgument returns the first argument of args, in name order, that
// the annotation does not describe. Roles are judged, and conditional
// roles resolved, on the described arguments alone, so a call naming an
// operation under another name ("operation" for git_branch's "mode", or
// "MODE", which the tool's JSON decoding may read as "mode") would be
// judged as what it is not.
func (t *tool) unknownArgument(args map[string]any) (string, bool) {
	first, found := "", false
	for k := range args {
		if !t.argNames[k] && (!found || k < first) {
			first, found = k, true
		}
	}
	return first, found
}

// holds evaluates a condition with JavaScript's strict equality and
// truthiness, as the annotations were written for.
func (w whenAnn) holds(args map[string]any) bool {
	v, present := args[w.arg]
	switch w.op {
	case "equals":
		return present && strictEqual(v, w.equals)
	case "in":
		if !present {
			return false
		}
		for _, x := range w.in {
			if strictEqual(v, x) {
				return true
			}
		}
		return false
	case "is":
		switch w.is {
		case "present":
			return present && v != nil
		case "absent":
			return !present || v == nil
		case "truthy":
			return present && truthy(v)
		case "falsy":
			return !present || !truthy(v)
		}
	}
	return false
}

// strictEqual is JavaScript's === on JSON values: same type and value for
// strings, numbers, booleans and null; objects and arrays are never equal.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	}
	return false
}

// truthy is JavaScript truthiness for JSON values.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	}
	return true // objects and arrays
}
