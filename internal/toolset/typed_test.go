package toolset

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
)

type richArgs struct {
	Path    string            `json:"path" schema:"minLength=1"`
	Head    *int              `json:"head,omitempty" schema:"type=number,minimum=0"`
	Mode    string            `json:"mode,omitempty" schema:"enum=a|b"`
	Ratio   *float64          `json:"ratio,omitempty" schema:"minimum=0,maximum=1"`
	Tags    []string          `json:"tags,omitempty" schema:"maxItems=3"`
	Edits   []inner           `json:"edits,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Flag    bool              `json:"flag,omitempty"`
	Count   int64             `json:"count,omitempty"`
}

var reflectTypeOfRich = reflect.TypeFor[richArgs]()

// richSet returns a Set with one Typed tool, "t", and the arguments its
// handler was last called with.
func richSet(t *testing.T) (*Set, *[]richArgs) {
	t.Helper()
	var calls []richArgs
	s := New(Typed(ironcurtain.Tool{Name: "t", Description: "test"}, func(_ context.Context, in richArgs) (ironcurtain.Result, error) {
		calls = append(calls, in)
		return ironcurtain.TextResult("ok"), nil
	}))
	return s, &calls
}

func TestTypedDecodes(t *testing.T) {
	s, calls := richSet(t)
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t", Arguments: map[string]any{
		"path":    "p",
		"head":    3, // a Go int, as a caller in Go passes it
		"mode":    "b",
		"ratio":   0.5,
		"tags":    []any{"x", "y"},
		"edits":   []any{map[string]any{"a": "1", "b": 2.0}},
		"headers": map[string]any{"K": "v"},
		"flag":    true,
		"count":   float64(1 << 53),
	}})
	require.NoError(t, err)
	require.False(t, res.IsError, res.Text())
	head, ratio := 3, 0.5
	require.Equal(t, []richArgs{{
		Path: "p", Head: &head, Mode: "b", Ratio: &ratio, Tags: []string{"x", "y"},
		Edits: []inner{{A: "1", B: 2}}, Headers: map[string]string{"K": "v"}, Flag: true, Count: 1 << 53,
	}}, *calls)

	*calls = nil
	res, err = s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t", Arguments: map[string]any{"path": "p"}})
	require.NoError(t, err)
	require.False(t, res.IsError, res.Text())
	require.Equal(t, []richArgs{{Path: "p"}}, *calls, "absent optional arguments are zero values; defaults are not applied")
}

// TestTypedRefuses: hostile or mistaken arguments never reach the handler;
// each is a tool error naming the argument, with the text the Gate's own
// check gives for the same arguments.
func TestTypedRefuses(t *testing.T) {
	s, calls := richSet(t)
	defs, err := s.Tools(context.Background())
	require.NoError(t, err)
	gate, err := jsonschema.Compile(defs[0].InputSchema)
	require.NoError(t, err)
	tests := []struct {
		name string
		args map[string]any
		want string
		// byDecoder marks what the schema admits and the decoder refuses.
		byDecoder bool
	}{
		{"no arguments", nil, `argument "path" is required`, false},
		{"unknown argument", map[string]any{"path": "p", "x": 1}, `argument "x" is not a known argument`, false},
		{"unknown nested argument", map[string]any{"path": "p", "edits": []any{map[string]any{"a": "1", "z": 1}}}, `argument "edits[0].z" is not a known argument`, false},
		{"missing nested argument", map[string]any{"path": "p", "edits": []any{map[string]any{}}}, `argument "edits[0].a" is required`, false},
		// encoding/json matches member names without regard to case, so
		// "PATH" alone would overwrite "path"; the schema knows only "path".
		{"name in another case", map[string]any{"path": "p", "PATH": "/etc/shadow"}, `argument "PATH" is not a known argument`, false},
		{"wrong type", map[string]any{"path": 7}, `argument "path" must be a string`, false},
		{"wrong nested type", map[string]any{"path": "p", "headers": map[string]any{"K": 1}}, `argument "headers.K" must be a string`, false},
		{"array for a string", map[string]any{"path": []any{"p"}}, `argument "path" must be a string`, false},
		{"object for an array", map[string]any{"path": "p", "tags": map[string]any{}}, `argument "tags" must be an array`, false},
		{"null for an optional argument", map[string]any{"path": "p", "head": nil}, `argument "head" must be a number`, false},
		{"null for a required argument", map[string]any{"path": nil}, `argument "path" must be a string`, false},
		{"string too short", map[string]any{"path": ""}, `argument "path" must be at least 1 characters long`, false},
		{"below minimum", map[string]any{"path": "p", "head": -1}, `argument "head" must be at least 0`, false},
		{"above maximum", map[string]any{"path": "p", "ratio": 1.5}, `argument "ratio" must be at most 1`, false},
		{"fraction for an integer", map[string]any{"path": "p", "head": 1.5}, `argument "head" must be a multiple of 1`, false},
		{"not in the enum", map[string]any{"path": "p", "mode": "c"}, `argument "mode" must be one of "a", "b"`, false},
		{"too many items", map[string]any{"path": "p", "tags": []any{"1", "2", "3", "4"}}, `argument "tags" must have at most 3 items`, false},
		{"bool for a number", map[string]any{"path": "p", "count": true}, `argument "count" must be an integer`, false},
		// An integer the Go field cannot hold passes the schema (JSON
		// Schema has no such bound) and is refused by the decoder.
		{"integer beyond int64", map[string]any{"path": "p", "count": 1e19}, `argument "count" must be an integer, not number 10000000000000000000`, true},
		{"integer beyond int", map[string]any{"path": "p", "head": 1e300}, `argument "head" must be an integer`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*calls = nil
			res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t", Arguments: tt.args})
			require.NoError(t, err)
			require.True(t, res.IsError)
			require.Empty(t, *calls, "the handler never sees refused arguments")
			text := res.Text()
			require.True(t, strings.HasPrefix(text, ironcurtain.ErrInvalidArguments.Error()+": "), text)
			require.Contains(t, text, tt.want)
			args := tt.args
			if args == nil {
				args = map[string]any{}
			}
			var generic any
			raw, err := json.Marshal(args)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &generic))
			gateErr := gate.Validate(generic)
			if tt.byDecoder {
				require.NoError(t, gateErr)
				return
			}
			require.Error(t, gateErr)
			require.Equal(t, ironcurtain.ErrInvalidArguments.Error()+": "+gateErr.Error(), text, "the same words as the Gate")
		})
	}
}

// TestTypedRefusesNonJSON: Go values JSON cannot hold fail as invalid
// arguments, never as a panic or a protocol error.
func TestTypedRefusesNonJSON(t *testing.T) {
	s, calls := richSet(t)
	for name, v := range map[string]any{
		"NaN":      math.NaN(),
		"infinity": math.Inf(1),
		"channel":  make(chan int),
		"function": func() {},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t", Arguments: map[string]any{"path": "p", "ratio": v}})
			require.NoError(t, err)
			require.True(t, res.IsError)
			require.Contains(t, res.Text(), ironcurtain.ErrInvalidArguments.Error())
		})
	}
	require.Empty(t, *calls)
}

func TestTypedDefinition(t *testing.T) {
	tool := Typed(ironcurtain.Tool{Name: "t", Title: "T", Description: "d", Annotations: ironcurtain.ToolAnnotations{ReadOnlyHint: true}},
		func(context.Context, richArgs) (ironcurtain.Result, error) { return ironcurtain.Result{}, nil })
	require.Equal(t, string(SchemaOf[richArgs]()), string(tool.Def.InputSchema))
	require.Equal(t, "T", tool.Def.Title)
	require.True(t, tool.Def.Annotations.ReadOnlyHint, "annotations stay the tool's own")

	require.PanicsWithValue(t, "toolset: tool t: Typed derives the input schema; leave InputSchema empty", func() {
		Typed(ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(`{"type":"object"}`)},
			func(context.Context, richArgs) (ironcurtain.Result, error) { return ironcurtain.Result{}, nil })
	})
	require.Panics(t, func() {
		Typed(ironcurtain.Tool{Name: "t"}, func(context.Context, string) (ironcurtain.Result, error) { return ironcurtain.Result{}, nil })
	}, "arguments that are not a struct")
}

// TestTypedHandlerErrors: the handler's own results and errors pass
// through unchanged.
func TestTypedHandlerErrors(t *testing.T) {
	boom := errors.New("boom")
	s := New(Typed(ironcurtain.Tool{Name: "t"}, func(_ context.Context, in struct {
		Fail bool `json:"fail,omitempty"`
	}) (ironcurtain.Result, error) {
		if in.Fail {
			return ironcurtain.Result{}, boom
		}
		return ironcurtain.ErrorResult("refused: 7"), nil
	}))
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t"})
	require.NoError(t, err)
	require.Equal(t, "refused: 7", res.Text())
	_, err = s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t", Arguments: map[string]any{"fail": true}})
	require.ErrorIs(t, err, boom)
}

// FuzzTypedDecode feeds any JSON object to the decoder of richArgs: it
// never panics; a refusal wraps ErrInvalidArguments; what it accepts passes
// the published schema, and so does the decoded value encoded again.
func FuzzTypedDecode(f *testing.F) {
	f.Add(`{"path":"p"}`)
	f.Add(`{"path":"p","head":3,"mode":"a","ratio":0.25,"tags":["x"],"edits":[{"a":"1","b":2}],"headers":{"k":"v"},"flag":true,"count":-4}`)
	f.Add(`{"path":"","head":-1}`)
	f.Add(`{"path":"p","count":1e19}`)
	f.Add(`{"path":"p","edits":[{"a":"x","b":1.5}]}`)
	f.Add(`{"path":"p","head":null}`)
	f.Add(`{"path":"p","Path":"q"}`)
	d, err := newDecoder(reflectTypeOfRich)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, doc string) {
		var args map[string]any
		if json.Unmarshal([]byte(doc), &args) != nil {
			return
		}
		var in richArgs
		err := d.decode(args, &in)
		if err != nil {
			require.ErrorIs(t, err, ironcurtain.ErrInvalidArguments)
			return
		}
		require.NoError(t, d.schema.Validate(args))
		again, err := json.Marshal(in)
		require.NoError(t, err)
		var generic any
		require.NoError(t, json.Unmarshal(again, &generic))
		require.NoError(t, d.schema.Validate(generic), "re-encoded: %s", again)
	})
}

// TestNewRefusesSchemasThatAreNotObjects: a tool's input schema must be a
// JSON object; anything else is a programmer's error, found when the set
// is built.
func TestNewRefusesSchemasThatAreNotObjects(t *testing.T) {
	h := func(context.Context, map[string]any) (ironcurtain.Result, error) { return ironcurtain.Result{}, nil }
	for _, schema := range []string{"", "null", "[]", `"x"`, `{"type":`, `{"type":"object"}x`, `{"a":1}{}`} {
		require.Panics(t, func() { New(Tool{Def: ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(schema)}, Handle: h}) }, schema)
	}
	for _, schema := range []string{`{}`, " \n{\"type\":\"object\"} ", `{"a":{"b":[1,null]}}`} {
		require.NotPanics(t, func() { New(Tool{Def: ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(schema)}, Handle: h}) }, schema)
	}
}
