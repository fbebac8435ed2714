package toolset

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Field kinds of the generated argument structs.
const (
	kString = iota
	kBool
	kInt
	kInt64
	kFloat
	kIntAsNumber // *int published as "number"
	kStringPtr
	kStrings
	kInts
	kStringMap
	kStruct
	kStructs
	numKinds
)

// fieldSpec describes one generated field: its Go type and its tags, and
// from it the values the tags allow.
type fieldSpec struct {
	kind           int
	optional       bool
	min, max       *float64
	minLen, maxLen *int
	enum           []string
	sub            []fieldSpec
}

func optionalInt(t *rapid.T, label string, lo, hi int) *int {
	if !rapid.Bool().Draw(t, label+"?") {
		return nil
	}
	v := rapid.IntRange(lo, hi).Draw(t, label)
	return &v
}

func drawSpec(t *rapid.T, depth int) fieldSpec {
	maxKind := numKinds - 1
	if depth > 0 {
		maxKind = kStringMap // no deeper nesting
	}
	s := fieldSpec{kind: rapid.IntRange(0, maxKind).Draw(t, "kind"), optional: rapid.Bool().Draw(t, "optional")}
	switch s.kind {
	case kString, kStringPtr:
		if rapid.IntRange(0, 3).Draw(t, "enum?") == 0 {
			s.enum = rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z]{1,4}`), 1, 4, rapid.ID[string]).Draw(t, "enum")
			break
		}
		s.minLen = optionalInt(t, "minLen", 0, 3)
		s.maxLen = optionalInt(t, "maxLen", 3, 8)
	case kInt, kInt64, kFloat, kIntAsNumber:
		if lo := optionalInt(t, "min", -50, 10); lo != nil {
			f := float64(*lo)
			s.min = &f
		}
		if hi := optionalInt(t, "max", 10, 60); hi != nil {
			f := float64(*hi)
			s.max = &f
		}
	case kStrings, kInts, kStructs:
		s.minLen = optionalInt(t, "minItems", 0, 2)
		s.maxLen = optionalInt(t, "maxItems", 2, 4)
	}
	if s.kind == kStruct || s.kind == kStructs {
		n := rapid.IntRange(0, 3).Draw(t, "subfields")
		for range n {
			s.sub = append(s.sub, drawSpec(t, depth+1))
		}
	}
	return s
}

func structType(specs []fieldSpec) reflect.Type {
	fields := make([]reflect.StructField, len(specs))
	for i, s := range specs {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: s.goType(), Tag: s.tag(i)}
	}
	return reflect.StructOf(fields)
}

func (s fieldSpec) goType() reflect.Type {
	switch s.kind {
	case kString:
		return reflect.TypeFor[string]()
	case kBool:
		return reflect.TypeFor[bool]()
	case kInt:
		return reflect.TypeFor[int]()
	case kInt64:
		return reflect.TypeFor[int64]()
	case kFloat:
		return reflect.TypeFor[float64]()
	case kIntAsNumber:
		return reflect.TypeFor[*int]()
	case kStringPtr:
		return reflect.TypeFor[*string]()
	case kStrings:
		return reflect.TypeFor[[]string]()
	case kInts:
		return reflect.TypeFor[[]int]()
	case kStringMap:
		return reflect.TypeFor[map[string]string]()
	case kStruct:
		return structType(s.sub)
	default:
		return reflect.SliceOf(structType(s.sub))
	}
}

func (s fieldSpec) tag(i int) reflect.StructTag {
	name := "f" + strconv.Itoa(i)
	switch {
	case s.optional && s.kind == kStruct:
		name += ",omitzero"
	case s.optional:
		name += ",omitempty"
	}
	var kw []string
	if s.kind == kIntAsNumber {
		kw = append(kw, "type=number")
	}
	if s.enum != nil {
		kw = append(kw, "enum="+strings.Join(s.enum, "|"))
	}
	num := func(k string, v *float64) {
		if v != nil {
			kw = append(kw, k+"="+strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	num("minimum", s.min)
	num("maximum", s.max)
	count := func(k string, v *int) {
		if v != nil {
			kw = append(kw, k+"="+strconv.Itoa(*v))
		}
	}
	if s.kind == kString || s.kind == kStringPtr {
		count("minLength", s.minLen)
		count("maxLength", s.maxLen)
	} else {
		count("minItems", s.minLen)
		count("maxItems", s.maxLen)
	}
	tag := fmt.Sprintf(`json:%q desc:"field %d"`, name, i)
	if len(kw) > 0 {
		tag += fmt.Sprintf(` schema:%q`, strings.Join(kw, ","))
	}
	return reflect.StructTag(tag)
}

// drawValid draws a JSON value (as encoding/json decodes it) that the
// field's tags allow.
func (s fieldSpec) drawValid(t *rapid.T, label string) any {
	lo, hi := -1e6, 1e6
	if s.min != nil {
		lo = *s.min
	}
	if s.max != nil {
		hi = *s.max
	}
	switch s.kind {
	case kString, kStringPtr:
		if s.enum != nil {
			return rapid.SampledFrom(s.enum).Draw(t, label)
		}
		minLen, maxLen := 0, 8
		if s.minLen != nil {
			minLen = *s.minLen
		}
		if s.maxLen != nil {
			maxLen = *s.maxLen
		}
		return rapid.StringN(minLen, maxLen, -1).Draw(t, label)
	case kBool:
		return rapid.Bool().Draw(t, label)
	case kInt, kInt64, kIntAsNumber:
		return float64(rapid.IntRange(int(lo), int(hi)).Draw(t, label))
	case kFloat:
		return rapid.Float64Range(lo, hi).Draw(t, label)
	case kStringMap:
		return rapid.Custom(func(t *rapid.T) any {
			m := map[string]any{}
			for k, v := range rapid.MapOfN(rapid.String(), rapid.String(), 0, 3).Draw(t, "m") {
				m[k] = v
			}
			return m
		}).Draw(t, label)
	case kStruct:
		return drawObject(t, s.sub, label, false)
	}
	minItems, maxItems := 0, 4
	if s.minLen != nil {
		minItems = *s.minLen
	}
	if s.maxLen != nil {
		maxItems = *s.maxLen
	}
	n := rapid.IntRange(minItems, maxItems).Draw(t, label+" items")
	out := make([]any, n)
	for i := range out {
		item := fieldSpec{kind: kString}
		switch s.kind {
		case kInts:
			item.kind = kInt
		case kStructs:
			item = fieldSpec{kind: kStruct, sub: s.sub}
		}
		out[i] = item.drawValid(t, fmt.Sprintf("%s[%d]", label, i))
	}
	return out
}

// drawAny draws any JSON value, of any kind.
func drawAny(t *rapid.T, label string, depth int) any {
	kinds := 6
	if depth > 1 {
		kinds = 4
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, label+" kind") {
	case 0:
		return nil
	case 1:
		return rapid.Bool().Draw(t, label)
	case 2:
		return rapid.SampledFrom([]float64{0, -1, 1.5, 3, 1 << 53, -(1 << 53), 0.1, 61, -51}).Draw(t, label)
	case 3:
		return rapid.String().Draw(t, label)
	case 4:
		n := rapid.IntRange(0, 3).Draw(t, label+" len")
		a := make([]any, n)
		for i := range a {
			a[i] = drawAny(t, label, depth+1)
		}
		return a
	}
	m := map[string]any{}
	for i := range rapid.IntRange(0, 3).Draw(t, label+" len") {
		m[rapid.SampledFrom([]string{"f0", "f1", "x", "F0"}).Draw(t, fmt.Sprintf("%s key %d", label, i))] = drawAny(t, label, depth+1)
	}
	return m
}

// drawObject draws the members of an argument object. With loose, members
// may be missing, of another kind or unknown.
func drawObject(t *rapid.T, specs []fieldSpec, label string, loose bool) map[string]any {
	m := map[string]any{}
	for i, s := range specs {
		name := fmt.Sprintf("f%d", i)
		l := label + "." + name
		switch {
		case (s.optional || loose) && rapid.IntRange(0, 3).Draw(t, l+" absent") == 0:
		case loose && rapid.IntRange(0, 3).Draw(t, l+" any") == 0:
			m[name] = drawAny(t, l, 0)
		default:
			m[name] = s.drawValid(t, l)
		}
	}
	if loose && rapid.IntRange(0, 7).Draw(t, label+" unknown") == 0 {
		m[rapid.SampledFrom([]string{"x", "F0", "f0 "}).Draw(t, label+" unknown name")] = drawAny(t, label, 1)
	}
	return m
}

// TestPropertySchemaAndDecoderAgree: for generated argument structs (any
// mix of field kinds, optional or required, with bounds, lengths and
// enums), what the derived schema accepts the decoder decodes, and a value
// built to fit the tags passes the schema and decodes back to itself.
// Integers stay within ±2^53, the integers a JSON number holds exactly
// (beyond, the decoder refuses what the Go field cannot hold; see
// TestTypedRefuses).
func TestPropertySchemaAndDecoderAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		specs := make([]fieldSpec, rapid.IntRange(0, 5).Draw(t, "fields"))
		for i := range specs {
			specs[i] = drawSpec(t, 0)
		}
		typ := structType(specs)
		d, err := newDecoder(typ)
		require.NoError(t, err, "tags: %v", typ)

		// Whatever the schema accepts decodes.
		loose := drawObject(t, specs, "args", true)
		if d.schema.Validate(loose) == nil {
			require.NoError(t, d.decode(loose, reflect.New(typ).Interface()), "schema %s accepted %v", d.raw, loose)
		}

		// What fits the tags passes the schema, decodes, and encodes back
		// to the same JSON.
		valid := drawObject(t, specs, "args", false)
		require.NoError(t, d.schema.Validate(valid), "schema %s refused %v", d.raw, valid)
		into := reflect.New(typ)
		require.NoError(t, d.decode(valid, into.Interface()))
		again, err := json.Marshal(into.Interface())
		require.NoError(t, err)
		var back map[string]any
		require.NoError(t, json.Unmarshal(again, &back))
		require.NoError(t, d.schema.Validate(back), "re-encoded %s", again)
		requireSameArgs(t, specs, valid, back)
	})
}

// requireSameArgs compares arguments with their decoded and re-encoded
// form: the same members, except that an optional member holding its zero
// value may be left out by omitempty.
func requireSameArgs(t *rapid.T, specs []fieldSpec, want, got map[string]any) {
	for i, s := range specs {
		name := fmt.Sprintf("f%d", i)
		w, inWant := want[name]
		g, inGot := got[name]
		if !inGot && inWant && s.optional && omitted(s, w) {
			continue
		}
		require.Equal(t, inWant, inGot, "member %s", name)
		if !inWant {
			continue
		}
		switch s.kind {
		case kStruct:
			requireSameArgs(t, s.sub, w.(map[string]any), g.(map[string]any))
		case kStructs:
			ws, gs := w.([]any), g.([]any)
			require.Len(t, gs, len(ws), "member %s", name)
			for j := range ws {
				requireSameArgs(t, s.sub, ws[j].(map[string]any), gs[j].(map[string]any))
			}
		default:
			wj, err := json.Marshal(w)
			require.NoError(t, err)
			gj, err := json.Marshal(g)
			require.NoError(t, err)
			require.JSONEq(t, string(wj), string(gj), "member %s", name)
		}
	}
}

// omitted reports whether an optional member's value decodes to one its
// tag leaves out when encoded: omitempty leaves out an empty string,
// false, 0, and an empty slice or map; omitzero (on a struct) a zero
// struct.
func omitted(s fieldSpec, v any) bool {
	switch s.kind {
	case kStrings, kInts, kStructs, kStringMap:
		return reflect.ValueOf(v).Len() == 0
	}
	return isZero(s, v)
}

// isZero reports whether a member's value decodes to its field's zero value.
func isZero(s fieldSpec, v any) bool {
	switch s.kind {
	case kIntAsNumber, kStringPtr, kStrings, kInts, kStructs, kStringMap:
		return false // a present pointer, slice or map is not nil
	case kStruct:
		m := v.(map[string]any)
		for i, sub := range s.sub {
			if mv, ok := m[fmt.Sprintf("f%d", i)]; ok && !isZero(sub, mv) {
				return false
			}
		}
		return true
	}
	return v == "" || v == false || v == 0.0
}

// TestPropertyNoFractionForIntegers: an integer field never takes a
// fraction. Published as "integer", the schema refuses every fraction;
// published as "number" (multipleOf 1), the schema refuses a fraction
// farther from an integer than a billionth of its magnitude, and the
// decoder refuses the rest: internal/jsonschema checks multipleOf with a
// relative tolerance of 1e-9, so that 1+1e-10 (or 1e15+0.5) passes it.
func TestPropertyNoFractionForIntegers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]int{kInt, kInt64, kIntAsNumber}).Draw(t, "kind")
		typ := structType([]fieldSpec{{kind: kind}})
		d, err := newDecoder(typ)
		require.NoError(t, err)
		f := rapid.OneOf(
			rapid.Float64Range(-1e6, 1e6),
			rapid.Float64Range(-1e17, 1e17),
			rapid.Float64Range(-1e-6, 1e-6),
		).Filter(func(f float64) bool { return f != math.Trunc(f) }).Draw(t, "f")
		args := map[string]any{"f0": f}
		require.Error(t, d.decode(args, reflect.New(typ).Interface()), "a fraction never reaches the handler")
		if kind != kIntAsNumber || math.Abs(f-math.Round(f)) > 2e-9*math.Max(1, math.Abs(f)) {
			require.Error(t, d.schema.Validate(args), "the schema refuses it")
		}
	})
}
