package ironcurtain

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// Arguments built in Go rather than decoded from JSON hold the types Go
// programs use: int, []string, map[string]string, json.Number. The Gate
// turns them into the values encoding/json would have produced, in a copy,
// so the policy, the approvers, the audit log and the server all see JSON
// values; a value JSON cannot hold, or one that would change on the way
// (an integer a float64 cannot represent exactly), is refused with a
// message saying how to pass it.

// maxExactInt is the largest integer every float64 below it represents
// exactly (2^53).
const maxExactInt = 1 << 53

// normalizeArguments returns args with every value a JSON value, and
// whether it had to copy anything. On failure it names the argument and
// says what to pass instead.
func normalizeArguments(args map[string]any) (map[string]any, bool, string, string) {
	return normalizeMap(args, 1)
}

func normalizeMap(args map[string]any, depth int) (map[string]any, bool, string, string) {
	var out map[string]any
	for k, v := range args {
		nv, changed, why := normalizeValue(v, depth)
		if why != "" {
			return nil, false, k, why
		}
		if changed && out == nil {
			out = make(map[string]any, len(args))
			for k2, v2 := range args {
				out[k2] = v2
			}
		}
		if out != nil {
			out[k] = nv
		}
	}
	if out == nil {
		return args, false, "", ""
	}
	return out, true, "", ""
}

// howToPass is the advice every refusal ends with.
const howToPass = "pass JSON values as encoding/json decodes them: string, float64, bool, nil, []any and map[string]any"

func normalizeValue(v any, depth int) (any, bool, string) {
	if depth > maxArgumentDepth {
		return v, false, "" // measureArguments refuses it, as too deep
	}
	switch x := v.(type) {
	case nil, bool, string, float64:
		return v, false, "" // NaN and infinities: measureArguments refuses them
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, false, fmt.Sprintf("it holds the json.Number %q, which is not a number; %s", string(x), howToPass)
		}
		return f, true, ""
	case []any:
		var out []any
		for i, e := range x {
			ne, changed, why := normalizeValue(e, depth+1)
			if why != "" {
				return nil, false, why
			}
			if changed && out == nil {
				out = append(make([]any, 0, len(x)), x[:i]...)
			}
			if out != nil {
				out = append(out, ne)
			}
		}
		if out == nil {
			return x, false, ""
		}
		return out, true, ""
	case map[string]any:
		out, changed, k, why := normalizeMap(x, depth+1)
		if why != "" {
			return nil, false, fmt.Sprintf("its key %q: %s", k, why)
		}
		return out, changed, ""
	case []byte:
		return nil, false, "it holds a []byte; pass text as a string, and binary data base64-encoded in a string, as the tool's schema says"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n > maxExactInt || n < -maxExactInt {
			return nil, false, fmt.Sprintf("it holds the integer %d, which a JSON number (a float64) cannot hold exactly; pass it as a string if the tool takes one", n)
		}
		return float64(n), true, ""
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		if n > maxExactInt {
			return nil, false, fmt.Sprintf("it holds the integer %d, which a JSON number (a float64) cannot hold exactly; pass it as a string if the tool takes one", n)
		}
		return float64(n), true, ""
	case reflect.Float32:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, "it holds " + fmt.Sprint(f) + ", which JSON has no number for; " + howToPass
		}
		// The float32's shortest decimal form, as encoding/json writes it.
		var g float64
		b, _ := json.Marshal(v) // finite float32 values always encode
		_ = json.Unmarshal(b, &g)
		return g, true, ""
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, _, why := normalizeValue(rv.Index(i).Interface(), depth+1)
			if why != "" {
				return nil, false, why
			}
			out[i] = e
		}
		return out, true, ""
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false, fmt.Sprintf("it holds a %s, whose keys are not strings; %s", rv.Type(), howToPass)
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			e, _, why := normalizeValue(it.Value().Interface(), depth+1)
			if why != "" {
				return nil, false, fmt.Sprintf("its key %q: %s", it.Key().String(), why)
			}
			out[it.Key().String()] = e
		}
		return out, true, ""
	case reflect.String:
		return rv.String(), true, ""
	case reflect.Bool:
		return rv.Bool(), true, ""
	}
	return nil, false, fmt.Sprintf("it holds a Go %T, which JSON has no value for; %s", v, howToPass)
}
