package toolset

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
)

type inner struct {
	A string `json:"a" desc:"inner a"`
	B int    `json:"b,omitempty" schema:"minimum=1"`
}

type shared struct {
	Path string `json:"path" desc:"the path"`
}

// boolOrRev is a value that describes and decodes itself.
type boolOrRev struct{ rev string }

func (boolOrRev) JSONSchema() json.RawMessage {
	return json.RawMessage(`{"type": ["boolean", "string"]}`)
}

func (b *boolOrRev) UnmarshalJSON(raw []byte) error {
	var on bool
	if json.Unmarshal(raw, &on) == nil {
		return nil
	}
	return json.Unmarshal(raw, &b.rev)
}

func TestSchemaOfTags(t *testing.T) {
	tests := []struct {
		name string
		got  json.RawMessage
		want string
	}{
		{"required unless omitempty or omitzero", SchemaOf[struct {
			A string  `json:"a"`
			B string  `json:"b,omitempty"`
			C *string `json:"c,omitzero"`
			D bool    `json:"d"`
		}](), `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"string"},"d":{"type":"boolean"}},
			"required":["a","d"],"additionalProperties":false}`},
		{"names: tag, field name, skipped", SchemaOf[struct {
			Named   int `json:"n"`
			Bare    int64
			Skipped int `json:"-"`
			hidden  int //nolint:unused // unexported fields are not arguments
			Opts    int `json:",omitempty"`
		}](), `{"type":"object","properties":{"n":{"type":"integer"},"Bare":{"type":"integer"},"Opts":{"type":"integer"}},
			"required":["n","Bare"],"additionalProperties":false}`},
		{"no fields", SchemaOf[struct{}](), `{"type":"object","properties":{},"additionalProperties":false}`},
		{"description", SchemaOf[struct {
			A string `json:"a" desc:"Quotes \"x\", commas, and <brackets>."`
		}](), `{"type":"object","properties":{"a":{"type":"string","description":"Quotes \"x\", commas, and <brackets>."}},
			"required":["a"],"additionalProperties":false}`},
		{"string enum and default", SchemaOf[struct {
			Sort string `json:"sort,omitempty" schema:"enum=name|size,default=name"`
		}](), `{"type":"object","properties":{"sort":{"type":"string","enum":["name","size"],"default":"name"}},"additionalProperties":false}`},
		{"number enum, bounds and default", SchemaOf[struct {
			N *float64 `json:"n,omitempty" schema:"enum=1|2.5|3,minimum=1,maximum=3,default=2.5"`
			I int      `json:"i,omitempty" schema:"enum=1|2"`
		}](), `{"type":"object","properties":{"n":{"type":"number","enum":[1,2.5,3],"default":2.5,"minimum":1,"maximum":3},
			"i":{"type":"integer","enum":[1,2]}},"additionalProperties":false}`},
		{"bool and array defaults", SchemaOf[struct {
			B bool     `json:"b,omitempty" schema:"default=false"`
			L []string `json:"l,omitempty" schema:"default=[]"`
		}](), `{"type":"object","properties":{"b":{"type":"boolean","default":false},"l":{"type":"array","items":{"type":"string"},"default":[]}},
			"additionalProperties":false}`},
		{"lengths", SchemaOf[struct {
			S string   `json:"s" schema:"minLength=1,maxLength=10"`
			L []string `json:"l" schema:"minItems=1,maxItems=3"`
		}](), `{"type":"object","properties":{"s":{"type":"string","minLength":1,"maxLength":10},
			"l":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":3}},"required":["s","l"],"additionalProperties":false}`},
		{"integer published as a number", SchemaOf[struct {
			Head *int `json:"head,omitempty" schema:"type=number,minimum=0"`
		}](), `{"type":"object","properties":{"head":{"type":"number","minimum":0,"multipleOf":1}},"additionalProperties":false}`},
		{"nested, pointer, slice of structs, map", SchemaOf[struct {
			In  inner             `json:"in"`
			Ptr *inner            `json:"ptr,omitempty"`
			All []inner           `json:"all,omitempty" desc:"many"`
			Map map[string]string `json:"map,omitempty"`
		}](), `{"type":"object","properties":{
			"in":{"type":"object","properties":{"a":{"type":"string","description":"inner a"},"b":{"type":"integer","minimum":1}},"required":["a"],"additionalProperties":false},
			"ptr":{"type":"object","properties":{"a":{"type":"string","description":"inner a"},"b":{"type":"integer","minimum":1}},"required":["a"],"additionalProperties":false},
			"all":{"type":"array","description":"many","items":{"type":"object","properties":{"a":{"type":"string","description":"inner a"},"b":{"type":"integer","minimum":1}},"required":["a"],"additionalProperties":false}},
			"map":{"type":"object","additionalProperties":{"type":"string"}}},
			"required":["in"],"additionalProperties":false}`},
		{"embedded struct is flattened", SchemaOf[struct {
			shared
			N int `json:"n"`
		}](), `{"type":"object","properties":{"path":{"type":"string","description":"the path"},"n":{"type":"integer"}},"required":["path","n"],"additionalProperties":false}`},
		{"a type that describes itself", SchemaOf[struct {
			M *boolOrRev `json:"merged,omitempty" desc:"true, or a revision"`
		}](), `{"type":"object","properties":{"merged":{"type":["boolean","string"],"description":"true, or a revision"}},"additionalProperties":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.JSONEq(t, tt.want, string(tt.got))
			_, err := jsonschema.Compile(tt.got)
			require.NoError(t, err, "the derived schema compiles")
		})
	}
}

// TestSchemaKeywordOrder: properties are published in field order, and
// keywords in a fixed order, so that the bytes are stable.
func TestSchemaKeywordOrder(t *testing.T) {
	got := SchemaOf[struct {
		Z string `json:"z" desc:"last letter"`
		A *int   `json:"a,omitempty" desc:"first" schema:"minimum=0,default=1"`
	}]()
	require.Equal(t, `{"type":"object","properties":{"z":{"type":"string","description":"last letter"},`+
		`"a":{"type":"integer","description":"first","default":1,"minimum":0}},"required":["z"],"additionalProperties":false}`, string(got))
}

type selfRef struct {
	Next *selfRef `json:"next,omitempty"`
}

type decodesOnly struct{ v string }

func (d *decodesOnly) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &d.v) }

type describesOnly struct{}

func (describesOnly) JSONSchema() json.RawMessage { return json.RawMessage(`{"type":"string"}`) }

type badSchema struct{}

func (badSchema) JSONSchema() json.RawMessage   { return json.RawMessage(`[1]`) }
func (*badSchema) UnmarshalJSON(b []byte) error { return nil }

// TestSchemaOfRefuses: what cannot be described, or is described wrongly,
// panics at set-up with a message that says what is wrong.
func TestSchemaOfRefuses(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"not a struct", reflect.TypeFor[string](), "must be a struct"},
		{"int32", reflect.TypeFor[struct {
			N int32 `json:"n"`
		}](), "not supported"},
		{"uint", reflect.TypeFor[struct {
			N uint `json:"n"`
		}](), "not supported"},
		{"interface", reflect.TypeFor[struct {
			V any `json:"v"`
		}](), "not supported"},
		{"int-keyed map", reflect.TypeFor[struct {
			M map[int]string `json:"m"`
		}](), "string keys"},
		{"pointer to pointer", reflect.TypeFor[struct {
			P **int `json:"p"`
		}](), "pointer to a pointer"},
		{"recursive", reflect.TypeFor[selfRef](), "refers to itself"},
		{"duplicate names", reflect.TypeFor[struct {
			X string
			Y string `json:"X"`
		}](), "two fields"},
		{"embedded pointer", reflect.TypeFor[struct {
			*shared
		}](), "only a struct can be embedded"},
		{"decodes but does not describe itself", reflect.TypeFor[struct {
			D decodesOnly `json:"d"`
		}](), "implement SchemaProvider"},
		{"describes but does not decode itself", reflect.TypeFor[struct {
			D describesOnly `json:"d"`
		}](), "does not decode itself"},
		{"self-description not an object", reflect.TypeFor[struct {
			D badSchema `json:"d"`
		}](), "not a JSON object"},
		{"unknown keyword", reflect.TypeFor[struct {
			S string `json:"s" schema:"pattern=x"`
		}](), "unknown schema keyword"},
		{"keyword without value", reflect.TypeFor[struct {
			S string `json:"s" schema:"required"`
		}](), "want key=value"},
		{"minimum on a string", reflect.TypeFor[struct {
			S string `json:"s" schema:"minimum=1"`
		}](), "applies to numbers"},
		{"minLength on a number", reflect.TypeFor[struct {
			N int `json:"n" schema:"minLength=1"`
		}](), "applies to strings"},
		{"minItems on a string", reflect.TypeFor[struct {
			S string `json:"s" schema:"minItems=1"`
		}](), "applies to arrays"},
		{"minimum above maximum", reflect.TypeFor[struct {
			N int `json:"n" schema:"minimum=5,maximum=1"`
		}](), "above maximum"},
		{"negative count", reflect.TypeFor[struct {
			S string `json:"s" schema:"maxLength=-1"`
		}](), "not a count"},
		{"bad bound", reflect.TypeFor[struct {
			N float64 `json:"n" schema:"maximum=lots"`
		}](), "not a number"},
		{"enum of booleans", reflect.TypeFor[struct {
			B bool `json:"b" schema:"enum=true"`
		}](), "enum applies"},
		{"fractional integer enum", reflect.TypeFor[struct {
			N int `json:"n" schema:"enum=1|1.5"`
		}](), "does not fit type integer"},
		{"type=number on a string", reflect.TypeFor[struct {
			S string `json:"s" schema:"type=number"`
		}](), "only an integer"},
		{"default on a required field", reflect.TypeFor[struct {
			S string `json:"s" schema:"default=x"`
		}](), "no use for a default"},
		{"default of the wrong type", reflect.TypeFor[struct {
			N int `json:"n,omitempty" schema:"default=\"x\""`
		}](), "does not fit"},
		{"default outside the enum", reflect.TypeFor[struct {
			S string `json:"s,omitempty" schema:"enum=a|b,default=c"`
		}](), "must be one of"},
		{"default below the minimum", reflect.TypeFor[struct {
			N *float64 `json:"n,omitempty" schema:"minimum=1,default=0"`
		}](), "must be at least 1"},
		{"default not JSON", reflect.TypeFor[struct {
			L []string `json:"l,omitempty" schema:"default=[x"`
		}](), "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newDecoder(tt.typ)
			require.ErrorContains(t, err, tt.want)
		})
	}
	require.PanicsWithValue(t, "toolset: "+fmt.Sprint(mustErr(newDecoder(reflect.TypeFor[struct {
		N int32 `json:"n"`
	}]()))), func() {
		SchemaOf[struct {
			N int32 `json:"n"`
		}]()
	})
}

func mustErr(_ *decoder, err error) error { return err }

func TestSchemaOfRefusesOmitemptyStruct(t *testing.T) {
	_, err := newDecoder(reflect.TypeFor[struct {
		In inner `json:"in,omitempty"`
	}]())
	require.ErrorContains(t, err, "omitempty never leaves out a struct")
	_, err = newDecoder(reflect.TypeFor[struct {
		In inner `json:"in,omitzero"`
	}]())
	require.NoError(t, err)
}
