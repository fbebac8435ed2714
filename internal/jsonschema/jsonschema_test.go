package jsonschema

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

func TestValidate(t *testing.T) {
	const readFile = `{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"integer","minimum":1}},"required":["path"]}`
	tests := []struct {
		name, schema, value, want string // want "" means valid
	}{
		{"ok", readFile, `{"path":"/a"}`, ""},
		{"ok optional", readFile, `{"path":"/a","head":3}`, ""},
		{"wrong type", readFile, `{"path":3}`, `argument "path" must be a string`},
		{"missing", readFile, `{}`, `argument "path" is required`},
		{"integer fraction", readFile, `{"path":"a","head":1.5}`, `argument "head" must be an integer`},
		{"minimum", readFile, `{"path":"a","head":0}`, `argument "head" must be at least 1`},
		{"unknown argument closed by default", readFile, `{"path":"a","mode":"x"}`, `argument "mode" is not a known argument`},
		{"not an object", readFile, `[1]`, `the arguments must be an object`},
		{"explicit additional true", `{"properties":{"a":{}},"additionalProperties":true}`, `{"b":1}`, ""},
		{"additional schema", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"h":1}`, `argument "h" must be a string`},
		{"additional schema ok", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"h":"v"}`, ""},
		{"no properties: anything", `{"type":"object"}`, `{"x":[1,{"y":null}]}`, ""},
		{"deterministic first failure", readFile, `{"path":"a","zz":1,"aa":2,"mm":3}`, `argument "aa" is not a known argument`},
		{"type list", `{"properties":{"m":{"type":["boolean","string"]}}}`, `{"m":1}`, `argument "m" must be a string or a boolean`},
		{"type list ok", `{"properties":{"m":{"type":["boolean","string"]}}}`, `{"m":"x"}`, ""},
		{"nullable", `{"properties":{"m":{"type":"string","nullable":true}}}`, `{"m":null}`, ""},
		{"enum", `{"properties":{"s":{"enum":["name","size"]}}}`, `{"s":"date"}`, `argument "s" must be one of "name", "size"`},
		{"enum ok", `{"properties":{"s":{"enum":["name","size"]}}}`, `{"s":"size"}`, ""},
		{"const", `{"properties":{"c":{"const":"yes"}}}`, `{"c":"no"}`, `argument "c" must be "yes"`},
		{"const number", `{"properties":{"c":{"const":1}}}`, `{"c":1.0}`, ""},
		{"items", `{"properties":{"p":{"type":"array","items":{"type":"string"}}}}`, `{"p":["a",2]}`, `argument "p[1]" must be a string`},
		{"minItems", `{"properties":{"p":{"type":"array","minItems":1}}}`, `{"p":[]}`, `argument "p" must have at least 1 items`},
		{"maxItems", `{"properties":{"p":{"maxItems":1}}}`, `{"p":[1,2]}`, `argument "p" must have at most 1 items`},
		{"tuple", `{"properties":{"t":{"items":[{"type":"string"},{"type":"number"}],"additionalItems":false}}}`, `{"t":["a",1,true]}`, `argument "t[2]" is not allowed`},
		{"prefixItems", `{"properties":{"t":{"prefixItems":[{"type":"string"}],"items":{"type":"number"}}}}`, `{"t":["a",1,"b"]}`, `argument "t[2]" must be a number`},
		{"minLength runes", `{"properties":{"s":{"minLength":3}}}`, `{"s":"äö"}`, `argument "s" must be at least 3 characters long`},
		{"maxLength runes", `{"properties":{"s":{"maxLength":2}}}`, `{"s":"äö"}`, ""},
		{"maxLength", `{"properties":{"s":{"maxLength":2}}}`, `{"s":"abc"}`, `argument "s" must be at most 2 characters long`},
		{"pattern", `{"properties":{"b":{"pattern":"^[a-z]+$"}}}`, `{"b":"Main"}`, `argument "b" must match the pattern "^[a-z]+$"`},
		{"maximum", `{"properties":{"n":{"maximum":60}}}`, `{"n":61}`, `argument "n" must be at most 60`},
		{"exclusive number", `{"properties":{"n":{"exclusiveMinimum":0}}}`, `{"n":0}`, `argument "n" must be greater than 0`},
		{"exclusive draft4", `{"properties":{"n":{"maximum":5,"exclusiveMaximum":true}}}`, `{"n":5}`, `argument "n" must be less than 5`},
		{"multipleOf", `{"properties":{"n":{"multipleOf":0.1}}}`, `{"n":0.3}`, ""},
		{"multipleOf fails", `{"properties":{"n":{"multipleOf":2}}}`, `{"n":3}`, `argument "n" must be a multiple of 2`},
		{"nested object", `{"properties":{"o":{"type":"object","properties":{"d":{"type":"integer"}}}}}`, `{"o":{"d":"x"}}`, `argument "o.d" must be an integer`},
		{"nested unknown", `{"properties":{"o":{"type":"object","properties":{"d":{}}}}}`, `{"o":{"e":1}}`, `argument "o.e" is not a known argument`},
		{"anyOf types", `{"properties":{"m":{"anyOf":[{"type":"boolean"},{"type":"string"}]}}}`, `{"m":2}`, `argument "m" must be a string or a boolean`},
		{"anyOf one branch of kind", `{"properties":{"m":{"anyOf":[{"type":"boolean"},{"type":"string","maxLength":1}]}}}`, `{"m":"ab"}`, `argument "m" must be at most 1 characters long`},
		{"anyOf ok", `{"properties":{"m":{"anyOf":[{"type":"boolean"},{"type":"string"}]}}}`, `{"m":true}`, ""},
		{"oneOf none", `{"properties":{"m":{"oneOf":[{"minimum":5},{"maximum":1}]}}}`, `{"m":3}`, `argument "m" does not match any of the allowed forms`},
		{"oneOf two", `{"properties":{"m":{"oneOf":[{"minimum":1},{"maximum":9}]}}}`, `{"m":3}`, `argument "m" matches more than one of the allowed forms`},
		{"oneOf discriminated", `{"oneOf":[{"properties":{"k":{"const":"a"},"x":{}},"required":["k"]},{"properties":{"k":{"const":"b"},"y":{}},"required":["k"]}]}`, `{"k":"a","y":1}`, `the arguments does not match any of the allowed forms`},
		{"oneOf discriminated ok", `{"oneOf":[{"properties":{"k":{"const":"a"},"x":{}},"required":["k"]},{"properties":{"k":{"const":"b"},"y":{}},"required":["k"]}]}`, `{"k":"b","y":1}`, ""},
		{"allOf parts not closed", `{"allOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"number"}}}]}`, `{"a":"x","b":1}`, ""},
		{"allOf part fails", `{"allOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"number"}}}]}`, `{"a":"x","b":"y"}`, `argument "b" must be a number`},
		{"not", `{"properties":{"m":{"not":{"type":"string"}}}}`, `{"m":"s"}`, `argument "m" is in a form that is not allowed`},
		{"if then", `{"properties":{"mode":{},"name":{}},"if":{"properties":{"mode":{"const":"add"}}},"then":{"required":["name"]}}`, `{"mode":"add"}`, `argument "name" is required`},
		{"if else", `{"properties":{"mode":{},"name":{}},"if":{"properties":{"mode":{"const":"add"}}},"then":{"required":["name"]}}`, `{"mode":"list"}`, ""},
		{"ref defs", `{"$defs":{"p":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/p"}}}`, `{"a":1}`, `argument "a" must be a string`},
		{"ref recursive", `{"$defs":{"t":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/t"}},"n":{"type":"string"}}}},"$ref":"#/$defs/t"}`, `{"kids":[{"kids":[{"n":3}]}]}`, `argument "kids[0].kids[0].n" must be a string`},
		{"ref root", `{"type":"object","properties":{"c":{"$ref":"#"}}}`, `{"c":{"c":{"d":1}}}`, `argument "c.c.d" is not a known argument`},
		{"patternProperties", `{"properties":{"a":{}},"patternProperties":{"^x-":{"type":"string"}}}`, `{"a":1,"x-b":"s"}`, ""},
		{"patternProperties type", `{"properties":{"a":{}},"patternProperties":{"^x-":{"type":"string"}}}`, `{"x-b":2}`, `argument "x-b" must be a string`},
		{"patternProperties unknown", `{"properties":{"a":{}},"patternProperties":{"^x-":{"type":"string"}}}`, `{"y":2}`, `argument "y" is not a known argument`},
		{"propertyNames", `{"type":"object","propertyNames":{"maxLength":3}}`, `{"abcd":1}`, `argument "abcd" is not an allowed name`},
		{"minProperties", `{"type":"object","minProperties":1}`, `{}`, `the arguments must have at least 1 members`},
		{"false schema", `{"properties":{"a":false}}`, `{"a":1}`, `argument "a" is not allowed`},
		{"true schema", `true`, `{"a":1}`, ""},
		{"unknown keywords ignored", `{"properties":{"u":{"format":"uri","uniqueItems":true,"x-custom":1}}}`, `{"u":"not a uri"}`, ""},
		{"empty schema", ``, `{"z":1}`, ""},
		{"empty schema not object", ``, `"s"`, `the arguments must be an object`},
		{"long unknown key truncated", readFile, `{"path":"a","` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1}`, `argument "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" is not a known argument`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile([]byte(tt.schema))
			require.NoError(t, err)
			err = s.Validate(decode(t, tt.value))
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.want, err.Error())
			var e *Error
			require.ErrorAs(t, err, &e)
		})
	}
}

func TestValidateRejectsNonJSONValues(t *testing.T) {
	s, err := Compile([]byte(`{"type":"object","additionalProperties":{}}`))
	require.NoError(t, err)
	for _, v := range []any{
		map[string]any{"n": math.NaN()},
		map[string]any{"n": math.Inf(1)},
		map[string]any{"n": 3},             // an int, not a float64
		map[string]any{"n": []string{"a"}}, // not []any
	} {
		err := s.Validate(v)
		require.Error(t, err, "%#v", v)
		require.Contains(t, err.Error(), "must be a JSON value")
	}
}

func TestCompileErrors(t *testing.T) {
	for name, schema := range map[string]string{
		"not json":          `{`,
		"not a schema":      `3`,
		"bad type":          `{"type":"str"}`,
		"bad type list":     `{"type":[]}`,
		"remote ref":        `{"$ref":"https://example.com/s.json"}`,
		"dangling ref":      `{"$ref":"#/$defs/nope"}`,
		"self ref":          `{"$ref":"#"}`,
		"allOf cycle":       `{"$defs":{"a":{"allOf":[{"$ref":"#/$defs/b"}]},"b":{"anyOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`,
		"non-RE2 pattern":   `{"pattern":"(?=x)"}`,
		"bad minLength":     `{"minLength":-1}`,
		"fraction maxItems": `{"maxItems":1.5}`,
		"bad required":      `{"required":[1]}`,
		"bad properties":    `{"properties":[]}`,
		"bad multipleOf":    `{"multipleOf":0}`,
		"empty anyOf":       `{"anyOf":[]}`,
		"bad minimum":       `{"minimum":"1"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Compile([]byte(schema))
			require.Error(t, err)
		})
	}
}

func TestValidateDoesNotAllocateOnSuccess(t *testing.T) {
	s, err := Compile([]byte(`{"type":"object","properties":{
		"path":{"type":"string","minLength":1},
		"paths":{"type":"array","items":{"type":"string"}},
		"mode":{"enum":["a","b"]},
		"opts":{"type":"object","properties":{"depth":{"type":"integer","maximum":10}}},
		"merged":{"anyOf":[{"type":"boolean"},{"type":"string"}]}},
		"required":["path"]}`))
	require.NoError(t, err)
	v := decode(t, `{"path":"/a/b","paths":["x","y"],"mode":"b","opts":{"depth":3},"merged":true}`)
	require.NoError(t, s.Validate(v))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = s.Validate(v) }))
}

func BenchmarkValidate(b *testing.B) {
	s, err := Compile([]byte(`{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"integer"},"tail":{"type":"integer"}},"required":["path"]}`))
	require.NoError(b, err)
	v := decode(b, `{"path":"/home/user/file.txt","head":10}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Validate(v)
	}
}

// FuzzValidate compiles arbitrary schemas and validates arbitrary values
// against them: nothing may panic or hang, and validation is deterministic.
func FuzzValidate(f *testing.F) {
	seeds := [][2]string{
		{`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, `{"a":"x"}`},
		{`{"$defs":{"t":{"properties":{"k":{"items":{"$ref":"#/$defs/t"}}}}},"$ref":"#/$defs/t"}`, `{"k":[{"k":[]}]}`},
		{`{"anyOf":[{"type":"string","pattern":"^a"},{"type":"number","multipleOf":0.5}]}`, `1.5`},
		{`{"oneOf":[{"const":1},{"enum":[1,2]}],"not":{"type":"null"}}`, `2`},
		{`{"prefixItems":[{"type":"string"}],"items":false,"minItems":1}`, `["a"]`},
		{`{"if":{"required":["m"]},"then":{"properties":{"m":{"maxLength":2}}},"else":true}`, `{"m":"abc"}`},
		{`{"patternProperties":{"^x":{"type":"integer"}},"propertyNames":{"minLength":1}}`, `{"xa":1}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, schema, value []byte) {
		s, err := Compile(schema)
		if err != nil {
			return
		}
		var v any
		if json.Unmarshal(value, &v) != nil {
			return
		}
		e1 := s.Validate(v)
		e2 := s.Validate(v)
		if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
			t.Fatalf("validation is not deterministic: %v vs %v", e1, e2)
		}
	})
}
