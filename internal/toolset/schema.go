package toolset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// SchemaProvider is implemented by an argument type that the tags cannot
// describe, such as a value that is either a boolean or a string. Its
// JSONSchema is used as the type's schema (a field's desc tag is added to
// it), and the type decodes itself with its own UnmarshalJSON. Implement it
// on the value type, not the pointer.
type SchemaProvider interface {
	JSONSchema() json.RawMessage
}

// node is one derived schema. It marshals with its keywords in a fixed
// order, the properties of an object in field order.
type node struct {
	typ         string
	description string
	enum        []any
	def         json.RawMessage
	minimum     *float64
	maximum     *float64
	multipleOf  *float64
	minLength   *int
	maxLength   *int
	minItems    *int
	maxItems    *int
	items       *node
	object      bool // a struct: properties (even none), required, no other members
	props       []property
	required    []string
	values      *node // a map's additionalProperties
	raw         json.RawMessage
}

type property struct {
	name string
	n    *node
}

// MarshalJSON writes the schema with its keywords in a fixed order.
func (n *node) MarshalJSON() ([]byte, error) {
	if n.raw != nil {
		return n.rawWithDescription()
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(key string, v any) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		raw, err := marshal(v)
		if err != nil {
			panic(err) // only values derive put here, all of them encodable
		}
		b.Write(raw)
	}
	if n.typ != "" {
		put("type", n.typ)
	}
	if n.description != "" {
		put("description", n.description)
	}
	if n.enum != nil {
		put("enum", n.enum)
	}
	if n.def != nil {
		put("default", n.def)
	}
	for _, kw := range []struct {
		key string
		v   *float64
	}{{"minimum", n.minimum}, {"maximum", n.maximum}, {"multipleOf", n.multipleOf}} {
		if kw.v != nil {
			put(kw.key, *kw.v)
		}
	}
	for _, kw := range []struct {
		key string
		v   *int
	}{{"minLength", n.minLength}, {"maxLength", n.maxLength}, {"minItems", n.minItems}, {"maxItems", n.maxItems}} {
		if kw.v != nil {
			put(kw.key, *kw.v)
		}
	}
	if n.items != nil {
		put("items", n.items)
	}
	if n.object {
		var p bytes.Buffer
		p.WriteByte('{')
		for i, prop := range n.props {
			if i > 0 {
				p.WriteByte(',')
			}
			k, _ := json.Marshal(prop.name)
			p.Write(k)
			p.WriteByte(':')
			raw, err := prop.n.MarshalJSON()
			if err != nil {
				return nil, err
			}
			p.Write(raw)
		}
		p.WriteByte('}')
		put("properties", json.RawMessage(p.Bytes()))
		if len(n.required) > 0 {
			put("required", n.required)
		}
		put("additionalProperties", false)
	}
	if n.values != nil {
		put("additionalProperties", n.values)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (n *node) rawWithDescription() ([]byte, error) {
	if n.description == "" && n.def == nil {
		return n.raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(n.raw, &m); err != nil {
		return nil, err
	}
	if n.description != "" {
		m["description"], _ = marshal(n.description)
	}
	if n.def != nil {
		m["default"] = n.def
	}
	return marshal(m)
}

// marshal is json.Marshal without HTML escaping, so that descriptions read
// as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

var (
	schemaProviderType = reflect.TypeFor[SchemaProvider]()
	unmarshalerType    = reflect.TypeFor[json.Unmarshaler]()
)

// deriveSchema derives the input schema of an argument struct.
func deriveSchema(t reflect.Type) (*node, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("arguments must be a struct, not %v", t)
	}
	return typeSchema(t, map[reflect.Type]bool{})
}

// typeSchema derives the schema of a Go type, without the keywords a field's
// tags add.
func typeSchema(t reflect.Type, visiting map[reflect.Type]bool) (*node, error) {
	if t.Kind() == reflect.Pointer {
		if t.Elem().Kind() == reflect.Pointer {
			return nil, fmt.Errorf("%v: a pointer to a pointer says nothing a pointer does not", t)
		}
		return typeSchema(t.Elem(), visiting)
	}
	if t.Implements(schemaProviderType) {
		raw := reflect.Zero(t).Interface().(SchemaProvider).JSONSchema()
		if !json.Valid(raw) || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			return nil, fmt.Errorf("%v.JSONSchema is not a JSON object", t)
		}
		if !reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil, fmt.Errorf("%v describes itself but does not decode itself (no UnmarshalJSON)", t)
		}
		return &node{raw: raw}, nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return nil, fmt.Errorf("%v decodes itself: it must describe itself too (implement SchemaProvider)", t)
	}
	switch t.Kind() {
	case reflect.String:
		return &node{typ: "string"}, nil
	case reflect.Bool:
		return &node{typ: "boolean"}, nil
	case reflect.Int, reflect.Int64:
		return &node{typ: "integer"}, nil
	case reflect.Float64:
		return &node{typ: "number"}, nil
	case reflect.Slice:
		items, err := typeSchema(t.Elem(), visiting)
		if err != nil {
			return nil, err
		}
		return &node{typ: "array", items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%v: only maps with string keys are JSON objects", t)
		}
		values, err := typeSchema(t.Elem(), visiting)
		if err != nil {
			return nil, err
		}
		return &node{typ: "object", values: values}, nil
	case reflect.Struct:
		return structSchema(t, visiting)
	}
	return nil, fmt.Errorf("%v: type not supported in arguments (use string, bool, int, int64, float64, or slices, string-keyed maps, structs and pointers of them)", t)
}

func structSchema(t reflect.Type, visiting map[reflect.Type]bool) (*node, error) {
	if visiting[t] {
		return nil, fmt.Errorf("%v refers to itself", t)
	}
	visiting[t] = true
	defer delete(visiting, t)
	n := &node{typ: "object", object: true, props: []property{}}
	if err := addFields(n, t, map[string]bool{}, visiting); err != nil {
		return nil, err
	}
	return n, nil
}

// addFields adds t's fields to n, and those of embedded structs as
// encoding/json does: as if they were t's own.
func addFields(n *node, t reflect.Type, seen map[string]bool, visiting map[reflect.Type]bool) error {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "" {
				if f.Type.Kind() != reflect.Struct || f.Type.Implements(schemaProviderType) {
					return fmt.Errorf("%v.%s: only a struct can be embedded (name the field)", t, f.Name)
				}
				if err := addFields(n, f.Type, seen, visiting); err != nil {
					return err
				}
				continue
			}
		}
		name, optional, skip := jsonName(f)
		if skip {
			continue
		}
		if optional && f.Type.Kind() == reflect.Struct && hasOption(f, "omitempty") && !hasOption(f, "omitzero") {
			return fmt.Errorf("%v.%s: omitempty never leaves out a struct, so the encoding would not fit the schema; use omitzero or a pointer", t, f.Name)
		}
		if seen[name] {
			return fmt.Errorf("%v: two fields are named %q", t, name)
		}
		seen[name] = true
		fn, err := typeSchema(f.Type, visiting)
		if err != nil {
			return err
		}
		if err := applyTags(fn, f); err != nil {
			return fmt.Errorf("%v.%s: %w", t, f.Name, err)
		}
		if fn.def != nil && !optional {
			return fmt.Errorf("%v.%s: a required argument has no use for a default (add omitempty to make it optional)", t, f.Name)
		}
		n.props = append(n.props, property{name, fn})
		if !optional {
			n.required = append(n.required, name)
		}
	}
	return nil
}

// jsonName returns a field's argument name and whether it is optional
// (omitempty or omitzero), or skip for a field encoding/json ignores.
func jsonName(f reflect.StructField) (name string, optional, skip bool) {
	if !f.IsExported() {
		return "", false, true
	}
	tag, ok := f.Tag.Lookup("json")
	if tag == "-" {
		return "", false, true
	}
	name = f.Name
	if ok {
		parts := strings.Split(tag, ",")
		if parts[0] != "" {
			name = parts[0]
		}
		for _, o := range parts[1:] {
			if o == "omitempty" || o == "omitzero" {
				optional = true
			}
		}
	}
	return name, optional, false
}

func hasOption(f reflect.StructField, opt string) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// applyTags adds a field's desc and schema tags to its schema.
func applyTags(n *node, f reflect.StructField) error {
	n.description = f.Tag.Get("desc")
	tag, ok := f.Tag.Lookup("schema")
	if !ok {
		return nil
	}
	if n.raw != nil {
		if rest, ok := strings.CutPrefix(tag, "default="); ok && !strings.Contains(rest, ",") {
			return setDefault(n, rest, nil)
		}
		return fmt.Errorf("a type that describes itself takes no schema tag but default")
	}
	elem := f.Type
	if elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	var def *string
	for kv := range strings.SplitSeq(tag, ",") {
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("schema tag %q: want key=value", kv)
		}
		var err error
		switch key {
		case "type":
			err = setType(n, val)
		case "enum":
			err = setEnum(n, val)
		case "default":
			def = &val
		case "minimum", "maximum":
			err = setBound(n, key, val)
		case "minLength", "maxLength":
			err = setCount(n, key, val, "string", &n.minLength, &n.maxLength)
		case "minItems", "maxItems":
			err = setCount(n, key, val, "array", &n.minItems, &n.maxItems)
		default:
			err = fmt.Errorf("unknown schema keyword %q", key)
		}
		if err != nil {
			return err
		}
	}
	if def != nil {
		return setDefault(n, *def, elem)
	}
	return nil
}

// setType publishes an integer argument as a JSON number, for a tool
// surface that says "number". The multipleOf 1 it adds keeps the schema
// exact: a fraction is refused by the schema, not only by the decoder.
func setType(n *node, val string) error {
	if val != "number" || n.typ != "integer" {
		return fmt.Errorf("type=%s: only an integer can be published as a number", val)
	}
	one := 1.0
	n.typ, n.multipleOf = "number", &one
	return nil
}

func setEnum(n *node, val string) error {
	n.enum = []any{}
	for v := range strings.SplitSeq(val, "|") {
		switch n.typ {
		case "string":
			n.enum = append(n.enum, v)
		case "integer", "number":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || (n.typ == "integer" && f != math.Trunc(f)) {
				return fmt.Errorf("enum value %q does not fit type %s", v, n.typ)
			}
			n.enum = append(n.enum, f)
		default:
			return fmt.Errorf("enum applies to strings and numbers, not %s", n.typ)
		}
	}
	return nil
}

func setBound(n *node, key, val string) error {
	if n.typ != "integer" && n.typ != "number" {
		return fmt.Errorf("%s applies to numbers, not %s", key, n.typ)
	}
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("%s=%s is not a number", key, val)
	}
	if key == "minimum" {
		n.minimum = &f
	} else {
		n.maximum = &f
	}
	if n.minimum != nil && n.maximum != nil && *n.minimum > *n.maximum {
		return errors.New("minimum is above maximum")
	}
	return nil
}

func setCount(n *node, key, val, typ string, lo, hi **int) error {
	if n.typ != typ {
		return fmt.Errorf("%s applies to %ss, not %s", key, typ, n.typ)
	}
	c, err := strconv.Atoi(val)
	if err != nil || c < 0 {
		return fmt.Errorf("%s=%s is not a count", key, val)
	}
	if strings.HasPrefix(key, "min") {
		*lo = &c
	} else {
		*hi = &c
	}
	if *lo != nil && *hi != nil && **lo > **hi {
		return fmt.Errorf("%s: the minimum is above the maximum", key)
	}
	return nil
}

// setDefault records a default: the text itself for a string, a JSON value
// otherwise. It must decode into the field's type.
func setDefault(n *node, val string, elem reflect.Type) error {
	raw := []byte(val)
	if elem != nil && elem.Kind() == reflect.String {
		raw, _ = marshal(val)
	}
	if !json.Valid(raw) {
		return fmt.Errorf("default %q is not JSON", val)
	}
	if elem != nil {
		if err := json.Unmarshal(raw, reflect.New(elem).Interface()); err != nil {
			return fmt.Errorf("default %s does not fit the field: %v", val, err)
		}
	}
	n.def = raw
	return nil
}
