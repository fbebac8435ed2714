package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Schema is a compiled JSON Schema. It is immutable and safe for concurrent
// use.
type Schema struct {
	root *node
}

// typeSet is a bit set of JSON types.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tInteger // a number with no fractional part
	tString
)

var typeNames = []struct {
	t    typeSet
	name string
	noun string
}{
	{tString, "string", "a string"},
	{tInteger, "integer", "an integer"},
	{tNumber, "number", "a number"},
	{tBoolean, "boolean", "a boolean"},
	{tArray, "array", "an array"},
	{tObject, "object", "an object"},
	{tNull, "null", "null"},
}

// node is one compiled (sub)schema.
type node struct {
	// never is set for the schema false; a node with nothing else set
	// accepts everything.
	never bool

	types typeSet // 0 means any type

	props        map[string]*node
	required     []string
	patternProps []patternNode
	additional   *node // nil: any additional property is allowed
	propNames    *node
	minProps     int
	maxProps     int // -1: no limit

	prefixItems []*node
	items       *node // applies to items after prefixItems
	minItems    int
	maxItems    int

	minLength int
	maxLength int
	pattern   *regexp.Regexp

	minimum, maximum     *float64
	exclMinimum, exclMax *float64
	multipleOf           float64

	enum     []any
	hasConst bool
	constVal any

	ref               *node
	allOf, anyOf      []*node
	oneOf             []*node
	not               *node
	ifN, thenN, elseN *node
	inPlace           []*node // every in-place applicator target, for the cycle check
}

type patternNode struct {
	re *regexp.Regexp
	n  *node
}

// alwaysFalse rejects every value; it implements additionalProperties false.
var alwaysFalse = &node{never: true}

// Compile parses and compiles a JSON Schema. Numbers, local references
// ("#/$defs/x", "#/definitions/x", "#") and every keyword listed in the
// package documentation are understood; other keywords are ignored. A
// reference that is not local, a keyword of the wrong type, a regular
// expression RE2 cannot compile, or a cycle of references that never descends
// into a value is an error: a schema that cannot be enforced fails closed.
//
// An empty document compiles to a schema that accepts any object.
func Compile(doc []byte) (*Schema, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return &Schema{root: &node{types: tObject, maxProps: -1, maxItems: -1, maxLength: -1}}, nil
	}
	var raw any
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("jsonschema: %w", err)
	}
	c := &compiler{doc: raw, refs: map[refKey]*node{}}
	root, err := c.compile(raw, "#", true)
	if err != nil {
		return nil, err
	}
	if err := checkCycles(root); err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

type refKey struct {
	ptr    string
	strict bool
}

type compiler struct {
	doc  any
	refs map[refKey]*node
}

// compile compiles the schema v found at location at. strict says whether an
// object schema that lists properties but says nothing about additional ones
// closes itself (see the package documentation): true where the schema
// describes a whole value, false for allOf members, which describe a part.
func (c *compiler) compile(v any, at string, strict bool) (*node, error) {
	switch v := v.(type) {
	case bool:
		if v {
			return &node{maxProps: -1, maxItems: -1, maxLength: -1}, nil
		}
		return alwaysFalse, nil
	case map[string]any:
		return c.compileObject(v, at, strict)
	}
	return nil, fmt.Errorf("jsonschema: %s: a schema must be an object or a boolean", at)
}

func (c *compiler) compileObject(m map[string]any, at string, strict bool) (*node, error) {
	n := &node{maxProps: -1, maxItems: -1, maxLength: -1}
	var err error
	// sub compiles the subschema at key into *dst, when m has key; it
	// describes a part of the value.
	sub := func(key string, dst **node) error {
		if _, ok := m[key]; !ok {
			return nil
		}
		*dst, err = c.compile(m[key], at+"/"+key, false)
		return err
	}
	// list compiles the non-empty array of subschemas at key into *dst,
	// when m has key; s says whether each describes the whole value.
	list := func(key string, s bool, dst *[]*node) error {
		if _, ok := m[key]; !ok {
			return nil
		}
		arr, ok := m[key].([]any)
		if !ok || len(arr) == 0 {
			return fmt.Errorf("jsonschema: %s/%s: must be a non-empty array", at, key)
		}
		out := make([]*node, len(arr))
		for i, e := range arr {
			if out[i], err = c.compile(e, at+"/"+key+"/"+strconv.Itoa(i), s); err != nil {
				return err
			}
		}
		*dst = out
		return nil
	}

	if t, ok := m["type"]; ok {
		if n.types, err = parseTypes(t, at); err != nil {
			return nil, err
		}
	}
	if b, ok := m["nullable"].(bool); ok && b && n.types != 0 {
		n.types |= tNull // OpenAPI's spelling of ["T", "null"]
	}

	// Composition first: it decides whether this node may close itself.
	_, hasComposition := m["allOf"]
	for _, k := range []string{"anyOf", "oneOf", "$ref", "not", "if"} {
		if _, ok := m[k]; ok {
			hasComposition = true
		}
	}
	_, hasProps := m["properties"]
	// Members of allOf describe a part of the value. Branches of anyOf and
	// oneOf describe the whole value, unless this node lists properties of
	// its own that the branches would then reject.
	branchStrict := strict && !hasProps
	lists := []struct {
		key    string
		strict bool
		dst    *[]*node
	}{{"allOf", false, &n.allOf}, {"anyOf", branchStrict, &n.anyOf}, {"oneOf", branchStrict, &n.oneOf}}
	for _, l := range lists {
		if err := list(l.key, l.strict, l.dst); err != nil {
			return nil, err
		}
	}
	type subAt struct {
		key string
		dst **node
	}
	subs := []subAt{{"not", &n.not}, {"if", &n.ifN}}
	if _, ok := m["if"]; ok { // then and else mean nothing without if
		subs = append(subs, subAt{"then", &n.thenN}, subAt{"else", &n.elseN})
	}
	for _, x := range subs {
		if err := sub(x.key, x.dst); err != nil {
			return nil, err
		}
	}
	if r, ok := m["$ref"]; ok {
		s, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("jsonschema: %s/$ref: must be a string", at)
		}
		if n.ref, err = c.resolve(s, at, strict && !hasProps); err != nil {
			return nil, err
		}
	}

	if err := c.compileObjectKeywords(n, m, at, strict && !hasComposition); err != nil {
		return nil, err
	}
	if err := compileArrayKeywords(c, n, m, at); err != nil {
		return nil, err
	}
	if err := compileScalarKeywords(n, m, at); err != nil {
		return nil, err
	}
	n.inPlace = slices.Concat(n.allOf, n.anyOf, n.oneOf)
	for _, x := range []*node{n.ref, n.not, n.ifN, n.thenN, n.elseN} {
		if x != nil {
			n.inPlace = append(n.inPlace, x)
		}
	}
	return n, nil
}

func (c *compiler) compileObjectKeywords(n *node, m map[string]any, at string, closeByDefault bool) error {
	var err error
	if p, ok := m["properties"]; ok {
		pm, ok := p.(map[string]any)
		if !ok {
			return fmt.Errorf("jsonschema: %s/properties: must be an object", at)
		}
		n.props = make(map[string]*node, len(pm))
		for name, s := range pm {
			if n.props[name], err = c.compile(s, at+"/properties/"+escapePointer(name), true); err != nil {
				return err
			}
		}
	}
	if p, ok := m["patternProperties"]; ok {
		pm, ok := p.(map[string]any)
		if !ok {
			return fmt.Errorf("jsonschema: %s/patternProperties: must be an object", at)
		}
		keys := slices.Sorted(maps.Keys(pm))
		for _, expr := range keys {
			re, err := regexp.Compile(expr)
			if err != nil {
				return fmt.Errorf("jsonschema: %s/patternProperties: %w", at, err)
			}
			sn, err := c.compile(pm[expr], at+"/patternProperties/"+escapePointer(expr), true)
			if err != nil {
				return err
			}
			n.patternProps = append(n.patternProps, patternNode{re, sn})
		}
	}
	if a, ok := m["additionalProperties"]; ok {
		if n.additional, err = c.compile(a, at+"/additionalProperties", true); err != nil {
			return err
		}
	} else if closeByDefault && n.props != nil {
		// Stricter than JSON Schema, as IronCurtain is: a schema that lists
		// its properties and says nothing else admits no others.
		n.additional = alwaysFalse
	}
	if a, ok := m["propertyNames"]; ok {
		if n.propNames, err = c.compile(a, at+"/propertyNames", false); err != nil {
			return err
		}
	}
	if r, ok := m["required"]; ok {
		arr, ok := r.([]any)
		if !ok {
			return fmt.Errorf("jsonschema: %s/required: must be an array of strings", at)
		}
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("jsonschema: %s/required: must be an array of strings", at)
			}
			n.required = append(n.required, s)
		}
	}
	if n.minProps, err = count(m, "minProperties", at, 0); err != nil {
		return err
	}
	n.maxProps, err = count(m, "maxProperties", at, -1)
	return err
}

func compileArrayKeywords(c *compiler, n *node, m map[string]any, at string) error {
	var err error
	rest := "items"
	if p, ok := m["prefixItems"]; ok {
		arr, ok := p.([]any)
		if !ok {
			return fmt.Errorf("jsonschema: %s/prefixItems: must be an array", at)
		}
		for i, e := range arr {
			sn, err := c.compile(e, at+"/prefixItems/"+strconv.Itoa(i), true)
			if err != nil {
				return err
			}
			n.prefixItems = append(n.prefixItems, sn)
		}
	} else if arr, ok := m["items"].([]any); ok {
		// Draft 4 to 7: an array of schemas is a tuple; additionalItems
		// covers the rest.
		for i, e := range arr {
			sn, err := c.compile(e, at+"/items/"+strconv.Itoa(i), true)
			if err != nil {
				return err
			}
			n.prefixItems = append(n.prefixItems, sn)
		}
		rest = "additionalItems"
	}
	if it, ok := m[rest]; ok {
		if n.items, err = c.compile(it, at+"/"+rest, true); err != nil {
			return err
		}
	}
	if n.minItems, err = count(m, "minItems", at, 0); err != nil {
		return err
	}
	n.maxItems, err = count(m, "maxItems", at, -1)
	return err
}

func compileScalarKeywords(n *node, m map[string]any, at string) error {
	var err error
	if n.minLength, err = count(m, "minLength", at, 0); err != nil {
		return err
	}
	if n.maxLength, err = count(m, "maxLength", at, -1); err != nil {
		return err
	}
	if p, ok := m["pattern"]; ok {
		s, ok := p.(string)
		if !ok {
			return fmt.Errorf("jsonschema: %s/pattern: must be a string", at)
		}
		if n.pattern, err = regexp.Compile(s); err != nil {
			return fmt.Errorf("jsonschema: %s/pattern: %w", at, err)
		}
	}
	for _, k := range []struct {
		key string
		dst **float64
	}{{"minimum", &n.minimum}, {"maximum", &n.maximum}} {
		if *k.dst, err = number(m, k.key, at); err != nil {
			return err
		}
	}
	// exclusiveMinimum is a number since draft 6 and a flag on minimum in
	// draft 4.
	for _, k := range []struct {
		key       string
		dst, base **float64
	}{{"exclusiveMinimum", &n.exclMinimum, &n.minimum}, {"exclusiveMaximum", &n.exclMax, &n.maximum}} {
		switch v := m[k.key].(type) {
		case nil:
		case bool:
			if v && *k.base != nil {
				*k.dst, *k.base = *k.base, nil
			}
		case float64:
			*k.dst = &v
		default:
			return fmt.Errorf("jsonschema: %s/%s: must be a number", at, k.key)
		}
	}
	if mo, err := number(m, "multipleOf", at); err != nil {
		return err
	} else if mo != nil {
		if *mo <= 0 {
			return fmt.Errorf("jsonschema: %s/multipleOf: must be positive", at)
		}
		n.multipleOf = *mo
	}
	if e, ok := m["enum"]; ok {
		arr, ok := e.([]any)
		if !ok {
			return fmt.Errorf("jsonschema: %s/enum: must be an array", at)
		}
		n.enum = arr
		if n.enum == nil {
			n.enum = []any{}
		}
	}
	if cv, ok := m["const"]; ok {
		n.hasConst, n.constVal = true, cv
	}
	return nil
}

// resolve compiles the target of a local reference once per strictness.
func (c *compiler) resolve(ref, at string, strict bool) (*node, error) {
	if ref != "#" && !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("jsonschema: %s/$ref: only local references (#/...) are supported, not %q", at, ref)
	}
	key := refKey{ref, strict}
	if n, ok := c.refs[key]; ok {
		return n, nil
	}
	target := c.doc
	if ref != "#" {
		// The fragment is URI-encoded (RFC 6901 section 6): decode it
		// before reading it as a JSON pointer.
		ptr, err := url.PathUnescape(ref[2:])
		if err != nil {
			return nil, fmt.Errorf("jsonschema: %s/$ref: %q: %w", at, ref, err)
		}
		for _, tok := range strings.Split(ptr, "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch t := target.(type) {
			case map[string]any:
				var ok bool
				if target, ok = t[tok]; !ok {
					return nil, fmt.Errorf("jsonschema: %s/$ref: %q does not resolve", at, ref)
				}
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(t) {
					return nil, fmt.Errorf("jsonschema: %s/$ref: %q does not resolve", at, ref)
				}
				target = t[i]
			default:
				return nil, fmt.Errorf("jsonschema: %s/$ref: %q does not resolve", at, ref)
			}
		}
	}
	// Register a placeholder first so that recursive references find it.
	n := &node{}
	c.refs[key] = n
	compiled, err := c.compile(target, ref, strict)
	if err != nil {
		return nil, err
	}
	*n = *compiled
	return n, nil
}

// checkCycles rejects a schema in which a chain of in-place applicators
// ($ref, allOf, anyOf, oneOf, not, if/then/else) returns to where it started
// without descending into a property or an item: validating it would never
// end.
func checkCycles(root *node) error {
	var all []*node
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		all = append(all, n)
		for _, c := range n.inPlace {
			walk(c)
		}
		for _, p := range n.props {
			walk(p)
		}
		for _, p := range n.patternProps {
			walk(p.n)
		}
		for _, p := range n.prefixItems {
			walk(p)
		}
		for _, x := range []*node{n.additional, n.items, n.propNames} {
			if x != nil {
				walk(x)
			}
		}
	}
	walk(root)

	const (
		unvisited = iota
		onPath
		done
	)
	state := make(map[*node]int, len(all))
	var dfs func(n *node) error
	dfs = func(n *node) error {
		state[n] = onPath
		for _, c := range n.inPlace {
			switch state[c] {
			case onPath:
				return errors.New("jsonschema: a cycle of references never descends into the value")
			case unvisited:
				if err := dfs(c); err != nil {
					return err
				}
			}
		}
		state[n] = done
		return nil
	}
	for _, n := range all {
		if state[n] == unvisited {
			if err := dfs(n); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseTypes(t any, at string) (typeSet, error) {
	one := func(s any) (typeSet, error) {
		name, _ := s.(string)
		for _, tn := range typeNames {
			if tn.name == name {
				return tn.t, nil
			}
		}
		return 0, fmt.Errorf("jsonschema: %s/type: unknown type %v", at, s)
	}
	if arr, ok := t.([]any); ok {
		var set typeSet
		for _, e := range arr {
			b, err := one(e)
			if err != nil {
				return 0, err
			}
			set |= b
		}
		if set == 0 {
			return 0, fmt.Errorf("jsonschema: %s/type: empty list of types", at)
		}
		return set, nil
	}
	return one(t)
}

func count(m map[string]any, key, at string, def int) (int, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("jsonschema: %s/%s: must be a non-negative integer", at, key)
	}
	return int(f), nil
}

func number(m map[string]any, key, at string) (*float64, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("jsonschema: %s/%s: must be a number", at, key)
	}
	return &f, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
