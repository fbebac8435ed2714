package jsonschema

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a validation failure: which argument, and what is wrong with it.
// Its text is fit to be shown to the agent: it names the argument and the
// rule of the schema, never more than a short prefix of the agent's value.
type Error struct {
	// Path locates the offending value: "" for the arguments object itself,
	// "path", "options.depth", "paths[2]".
	Path string
	// Problem says what is wrong: "must be a string", "is required".
	Problem string

	rev []seg
}

// Error returns, for example, `argument "path" must be a string`.
func (e *Error) Error() string {
	if e.Path == "" {
		return "the arguments " + e.Problem
	}
	return "argument " + strconv.Quote(e.Path) + " " + e.Problem
}

// seg is one step of the path to a failing value: an object member or an
// array index. Segments are collected innermost first while the failure
// travels back up, so that validation builds no path at all when it succeeds.
type seg struct {
	key   string
	index int // -1 for an object member
}

// maxKeyInPath bounds how much of an agent-chosen property name an error
// message repeats.
const maxKeyInPath = 64

func (e *Error) member(k string) *Error { e.rev = append(e.rev, seg{k, -1}); return e }
func (e *Error) item(i int) *Error      { e.rev = append(e.rev, seg{index: i}); return e }

// finish renders the collected segments as Path.
func (e *Error) finish() *Error {
	var b strings.Builder
	for i := len(e.rev) - 1; i >= 0; i-- {
		sg := e.rev[i]
		if sg.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(sg.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(truncate(sg.key, maxKeyInPath))
	}
	e.Path, e.rev = b.String(), nil
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func fail(problem string) *Error { return &Error{Problem: problem} }

// Validate checks a decoded JSON value — nil, bool, float64, string, []any,
// map[string]any, as encoding/json produces them — against the schema. It
// returns nil or an *Error. Any other Go type, NaN and infinities are
// rejected as not JSON. Validate does not modify v and does not allocate
// unless v is invalid.
func (s *Schema) Validate(v any) error {
	if e := validate(s.root, v); e != nil {
		return e.finish()
	}
	return nil
}

// kindOf returns the JSON types v belongs to, or false for a Go value that
// is not JSON.
func kindOf(v any) (typeSet, bool) {
	switch x := v.(type) {
	case nil:
		return tNull, true
	case bool:
		return tBoolean, true
	case string:
		return tString, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		if x == math.Trunc(x) {
			return tNumber | tInteger, true
		}
		return tNumber, true
	case []any:
		return tArray, true
	case map[string]any:
		return tObject, true
	}
	return 0, false
}

func validate(n *node, v any) *Error {
	if n.never {
		return fail("is not allowed")
	}
	kind, ok := kindOf(v)
	if !ok {
		return fail("must be a JSON value")
	}
	if n.ref != nil {
		if e := validate(n.ref, v); e != nil {
			return e
		}
	}
	if n.types != 0 && n.types&kind == 0 {
		return fail("must be " + describeTypes(n.types))
	}
	if n.enum != nil && !inEnum(n.enum, v) {
		return fail("must be one of " + listValues(n.enum))
	}
	if n.hasConst && !equal(n.constVal, v) {
		return fail("must be " + listValues([]any{n.constVal}))
	}
	var e *Error
	switch x := v.(type) {
	case string:
		e = validateString(n, x)
	case float64:
		e = validateNumber(n, x)
	case []any:
		e = validateArray(n, x)
	case map[string]any:
		e = validateObject(n, x)
	}
	if e != nil {
		return e
	}
	return validateComposition(n, v, kind)
}

func validateString(n *node, s string) *Error {
	if n.minLength > 0 || n.maxLength >= 0 {
		l := utf8.RuneCountInString(s)
		if l < n.minLength {
			return fail("must be at least " + strconv.Itoa(n.minLength) + " characters long")
		}
		if n.maxLength >= 0 && l > n.maxLength {
			return fail("must be at most " + strconv.Itoa(n.maxLength) + " characters long")
		}
	}
	if n.pattern != nil && !n.pattern.MatchString(s) {
		return fail("must match the pattern " + strconv.Quote(n.pattern.String()))
	}
	return nil
}

func validateNumber(n *node, f float64) *Error {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case n.minimum != nil && f < *n.minimum:
		return fail("must be at least " + num(*n.minimum))
	case n.maximum != nil && f > *n.maximum:
		return fail("must be at most " + num(*n.maximum))
	case n.exclMinimum != nil && f <= *n.exclMinimum:
		return fail("must be greater than " + num(*n.exclMinimum))
	case n.exclMax != nil && f >= *n.exclMax:
		return fail("must be less than " + num(*n.exclMax))
	}
	if n.multipleOf > 0 {
		q := f / n.multipleOf
		if math.IsInf(q, 0) || math.Abs(q-math.Round(q)) > 1e-9*math.Max(1, math.Abs(q)) {
			return fail("must be a multiple of " + num(n.multipleOf))
		}
	}
	return nil
}

func validateArray(n *node, a []any) *Error {
	if len(a) < n.minItems {
		return fail("must have at least " + strconv.Itoa(n.minItems) + " items")
	}
	if n.maxItems >= 0 && len(a) > n.maxItems {
		return fail("must have at most " + strconv.Itoa(n.maxItems) + " items")
	}
	for i, item := range a {
		var sub *node
		if i < len(n.prefixItems) {
			sub = n.prefixItems[i]
		} else {
			sub = n.items
		}
		if sub == nil {
			continue
		}
		if e := validate(sub, item); e != nil {
			return e.item(i)
		}
	}
	return nil
}

func validateObject(n *node, m map[string]any) *Error {
	for _, r := range n.required {
		if _, ok := m[r]; !ok {
			return fail("is required").member(r)
		}
	}
	if len(m) < n.minProps {
		return fail("must have at least " + strconv.Itoa(n.minProps) + " members")
	}
	if n.maxProps >= 0 && len(m) > n.maxProps {
		return fail("must have at most " + strconv.Itoa(n.maxProps) + " members")
	}
	if n.props == nil && n.patternProps == nil && n.additional == nil && n.propNames == nil {
		return nil
	}
	// Map order is random; report the failing member with the smallest name
	// so that the message is the same every time.
	var first *Error
	var firstKey string
	for k, v := range m {
		if first != nil && k >= firstKey {
			continue
		}
		if e := validateMember(n, k, v); e != nil {
			e = e.member(k)
			first, firstKey = e, k
		}
	}
	return first
}

func validateMember(n *node, k string, v any) *Error {
	if n.propNames != nil {
		if e := validate(n.propNames, k); e != nil {
			return fail("is not an allowed name")
		}
	}
	matched := false
	if sub, ok := n.props[k]; ok {
		matched = true
		if e := validate(sub, v); e != nil {
			return e
		}
	}
	for _, pp := range n.patternProps {
		if pp.re.MatchString(k) {
			matched = true
			if e := validate(pp.n, v); e != nil {
				return e
			}
		}
	}
	if matched || n.additional == nil {
		return nil
	}
	if n.additional.never {
		return fail("is not a known argument")
	}
	return validate(n.additional, v)
}

func validateComposition(n *node, v any, kind typeSet) *Error {
	for _, sub := range n.allOf {
		if e := validate(sub, v); e != nil {
			return e
		}
	}
	if n.anyOf != nil {
		var errs []*Error
		ok := false
		for _, sub := range n.anyOf {
			e := validate(sub, v)
			if e == nil {
				ok = true
				break
			}
			errs = append(errs, e)
		}
		if !ok {
			return explainBranches(n.anyOf, errs, kind)
		}
	}
	if n.oneOf != nil {
		var errs []*Error
		matches := 0
		for _, sub := range n.oneOf {
			e := validate(sub, v)
			if e == nil {
				matches++
			}
			errs = append(errs, e)
		}
		switch {
		case matches == 0:
			return explainBranches(n.oneOf, errs, kind)
		case matches > 1:
			return fail("matches more than one of the allowed forms")
		}
	}
	if n.not != nil && validate(n.not, v) == nil {
		return fail("is in a form that is not allowed")
	}
	if n.ifN != nil {
		next := n.elseN
		if validate(n.ifN, v) == nil {
			next = n.thenN
		}
		if next != nil {
			return validate(next, v)
		}
	}
	return nil
}

// explainBranches describes why no branch of anyOf or oneOf accepted a
// value: the one branch of the value's type explains best; if no branch
// takes the type, list the types the branches take.
func explainBranches(branches []*node, errs []*Error, kind typeSet) *Error {
	var union typeSet
	var sameKind *Error
	n := 0
	for i, b := range branches {
		if b.types == 0 {
			return fail("does not match any of the allowed forms")
		}
		union |= b.types
		if b.types&kind != 0 && errs[i] != nil {
			sameKind = errs[i]
			n++
		}
	}
	switch {
	case n == 1:
		return sameKind
	case union&kind == 0:
		return fail("must be " + describeTypes(union))
	}
	return fail("does not match any of the allowed forms")
}

func describeTypes(t typeSet) string {
	var names []string
	for _, tn := range typeNames {
		if t&tn.t == 0 || (tn.t == tInteger && t&tNumber != 0) {
			continue
		}
		names = append(names, tn.noun)
	}
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// maxListed bounds how many enum values an error message lists.
const maxListed = 10

func listValues(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i == maxListed {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		j, err := json.Marshal(v)
		if err != nil {
			b.WriteString("?")
			continue
		}
		b.WriteString(truncate(string(j), maxKeyInPath))
	}
	return b.String()
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if equal(e, v) {
			return true
		}
	}
	return false
}

// equal compares two decoded JSON values as JSON values.
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}
