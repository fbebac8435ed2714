package toolset

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
)

// Typed returns a tool whose input schema is derived from In, a struct, and
// whose handler receives the arguments decoded into In. def is the rest of
// the tool's definition (name, title, description, annotations, output
// schema); its InputSchema must be empty.
//
// Every call's arguments are first validated against the derived schema,
// with the same validator and so the same messages as the Gate's argument
// check, and then decoded strictly with [Decode]. Either failure is a tool
// error result the model can act on (its text wraps
// [ironcurtain.ErrInvalidArguments]); handle runs only on arguments that
// passed both. Defaults are published, not applied: an absent optional
// argument leaves its field at the zero value (nil for a pointer), and the
// handler decides what that means.
//
// The schema is derived once, here, from In's exported fields (see
// [SchemaOf] for the tags). Typed panics on a type or tag it cannot derive a
// schema from: that is a programming error in the table.
func Typed[In any](def ironcurtain.Tool, handle func(ctx context.Context, in In) (ironcurtain.Result, error)) Tool {
	if len(def.InputSchema) > 0 {
		panic("toolset: tool " + def.Name + ": Typed derives the input schema; leave InputSchema empty")
	}
	d, err := decoderFor(reflect.TypeFor[In]())
	if err != nil {
		panic("toolset: tool " + def.Name + ": " + err.Error())
	}
	def.InputSchema = slices.Clone(d.raw)
	return Tool{Def: def, Handle: func(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
		var in In
		if err := d.decode(args, &in); err != nil {
			return (&Error{Public: err.Error()}).Result(), nil
		}
		return handle(ctx, in)
	}}
}

// SchemaOf returns the JSON Schema derived from T, as [Typed] publishes it
// for an argument struct. It serves also for output schemas.
//
// A struct is an object of its exported fields, in field order, that admits
// no other members. A field's name is its json tag name; it is required
// unless the tag says omitempty or omitzero. string, bool, int and int64,
// float64 are "string", "boolean", "integer" and "number"; a slice is an
// array of its element's schema; a map with string keys is an object whose
// members have its element's schema; a pointer has its element's schema
// (null is not admitted: leave the member out instead). The fields of an
// embedded struct without a json name are the struct's own, at its place,
// as encoding/json decodes them (an argument many tools share is declared
// once so). Other types, other embedded fields and recursive types are
// refused, and so is a type that decodes
// itself (json.Unmarshaler) unless it also implements [SchemaProvider].
//
// Two tags add to a field's schema:
//
//	desc:"text"                  the description
//	schema:"key=value,..."       keywords, among:
//	  enum=a|b|c                 allowed values (strings or numbers)
//	  default=v                  the default: the text itself for a string,
//	                             a JSON value otherwise (only on an optional
//	                             field, and it must fit the field's schema)
//	  minimum=n, maximum=n       bounds of a number
//	  minLength=n, maxLength=n   bounds of a string's length, in characters
//	  minItems=n, maxItems=n     bounds of an array's length
//	  type=number                publish an integer as a JSON number (with
//	                             multipleOf 1), for a surface that says number
//	  items.k=v                  keyword k of an array's items (items.enum=a|b)
//
// Keyword values cannot hold a comma. A type the tags cannot describe (a
// boolean or a string, say) implements [SchemaProvider].
//
// SchemaOf panics when T cannot be described.
func SchemaOf[T any]() json.RawMessage {
	n, err := typeSchema(reflect.TypeFor[T](), map[reflect.Type]bool{})
	if err == nil {
		err = checkDefaults(n)
	}
	if err != nil {
		panic("toolset: " + err.Error())
	}
	raw, err := n.MarshalJSON()
	if err != nil {
		panic("toolset: " + err.Error())
	}
	return raw
}

// decoder validates and decodes the arguments of one argument type.
type decoder struct {
	raw    json.RawMessage
	schema *jsonschema.Schema
}

// decoders holds the decoder of each argument type made so far: deriving
// and compiling a schema is the same work for every server built from the
// same types (a stack is assembled per run and per session), and a
// decoder is never changed once made.
var decoders sync.Map // reflect.Type → *decoder

// decoderFor returns t's decoder, made once.
func decoderFor(t reflect.Type) (*decoder, error) {
	if d, ok := decoders.Load(t); ok {
		return d.(*decoder), nil
	}
	d, err := newDecoder(t)
	if err != nil {
		return nil, err
	}
	actual, _ := decoders.LoadOrStore(t, d)
	return actual.(*decoder), nil
}

func newDecoder(t reflect.Type) (*decoder, error) {
	n, err := deriveSchema(t)
	if err != nil {
		return nil, err
	}
	if err := checkDefaults(n); err != nil {
		return nil, err
	}
	raw, err := n.MarshalJSON()
	if err != nil {
		return nil, err
	}
	s, err := jsonschema.Compile(raw)
	if err != nil {
		return nil, fmt.Errorf("derived schema does not compile: %v", err)
	}
	return &decoder{raw: raw, schema: s}, nil
}

// decode validates args against the schema and decodes them into into, a
// pointer to the argument struct. The arguments are encoded to JSON first,
// so that a caller in Go may pass an int where JSON has a number; what JSON
// cannot hold fails there.
func (d *decoder) decode(args map[string]any, into any) error {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("%w: %v", ironcurtain.ErrInvalidArguments, err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return fmt.Errorf("%w: %v", ironcurtain.ErrInvalidArguments, err)
	}
	if err := d.schema.Validate(generic); err != nil {
		return fmt.Errorf("%w: %v", ironcurtain.ErrInvalidArguments, err)
	}
	return decodeJSON(raw, into)
}

// checkDefaults compiles the schema of every node that has a default and
// checks that the default passes it, so that no published default is one
// the tool would refuse.
func checkDefaults(n *node) error {
	if n.def != nil {
		bare := *n
		bare.def = nil
		raw, err := bare.MarshalJSON()
		if err != nil {
			return err
		}
		s, err := jsonschema.Compile(raw)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(n.def, &v); err != nil {
			return err
		}
		if err := s.Validate(v); err != nil {
			return fmt.Errorf("default %s: %v", n.def, err)
		}
	}
	for _, child := range []*node{n.items, n.values} {
		if child != nil {
			if err := checkDefaults(child); err != nil {
				return err
			}
		}
	}
	for _, p := range n.props {
		if err := checkDefaults(p.n); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}
