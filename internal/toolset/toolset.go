// Package toolset builds an [ironcurtain.ToolServer] from a table of tools,
// each a definition and a handler, and decodes hostile arguments into typed
// structs. The built-in tool servers (tools/fs, tools/git, tools/web) are
// made with it.
//
// A tool is declared once, as the struct its arguments decode into; [Typed]
// derives the published input schema from the struct's fields and tags, and
// checks every call against it before the handler runs:
//
//	type readArgs struct {
//		Path string `json:"path" desc:"The file to read."`
//		Head *int   `json:"head,omitempty" desc:"Only the first N lines." schema:"minimum=0"`
//	}
//
//	toolset.New(toolset.Typed(ironcurtain.Tool{Name: "read", Description: "..."},
//		func(ctx context.Context, a readArgs) (ironcurtain.Result, error) { ... }))
//
// Package toolsettest pins the derived schemas in golden files.
package toolset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ironcurtain-go/ironcurtain"
)

// Handler runs one tool. A failure the model should see is a Result with
// IsError or an [*Error] returned as the error, which [Set.Call]
// turns into such a Result; any other error return means the tool could not
// be run.
type Handler func(ctx context.Context, args map[string]any) (ironcurtain.Result, error)

// Tool is one entry of a [Set]: its definition and its handler.
type Tool struct {
	Def    ironcurtain.Tool
	Handle Handler
}

// Set is a ToolServer made of a fixed table of tools. It is safe for
// concurrent use if its handlers are.
type Set struct {
	defs     []ironcurtain.Tool
	handlers map[string]Handler
}

// New returns a Set of the given tools. It panics on a duplicate or empty
// tool name, or an input schema that is not a JSON object: those are
// programming errors in the table, not runtime conditions.
func New(tools ...Tool) *Set {
	s := &Set{handlers: make(map[string]Handler, len(tools))}
	for _, t := range tools {
		name := t.Def.Name
		if name == "" || t.Handle == nil {
			panic("toolset: tool without a name or handler")
		}
		if _, dup := s.handlers[name]; dup {
			panic("toolset: duplicate tool " + name)
		}
		// Checked, not decoded: a server builds its set at every start.
		if b := bytes.TrimLeft(t.Def.InputSchema, " \t\r\n"); len(b) == 0 || b[0] != '{' || !json.Valid(b) {
			panic(fmt.Sprintf("toolset: tool %s: input schema is not a JSON object", name))
		}
		s.handlers[name] = t.Handle
		s.defs = append(s.defs, t.Def)
	}
	return s
}

// Tools returns the tool definitions, in table order. The caller may modify
// the returned slice.
func (s *Set) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return slices.Clone(s.defs), nil
}

// Call runs the named tool. An unknown tool is an error wrapping
// [ironcurtain.ErrUnknownTool]. A handler's [*Error] becomes a tool-level
// error result showing only its public text. A handler that panics is
// reported as an error, never as a crash of the caller.
func (s *Set) Call(ctx context.Context, call ironcurtain.ToolCall) (res ironcurtain.Result, err error) {
	h, ok := s.handlers[call.Tool]
	if !ok {
		return ironcurtain.Result{}, fmt.Errorf("%w: %q", ironcurtain.ErrUnknownTool, call.Tool)
	}
	if err := ctx.Err(); err != nil {
		return ironcurtain.Result{}, err
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = ironcurtain.Result{}, fmt.Errorf("toolset: tool %s panicked: %v", call.Tool, p)
		}
	}()
	args := call.Arguments
	if args == nil {
		args = map[string]any{}
	}
	res, err = h(ctx, args)
	if e, ok := AsError(err); ok {
		return e.Result(), nil
	}
	return res, err
}

// Decode converts decoded JSON arguments into a typed struct. Unknown
// argument names and wrong types are errors that name the argument, fit to
// be shown to the model (wrapped in [ironcurtain.ErrInvalidArguments]).
// Decode checks no bounds or required arguments; a tool made with [Typed]
// has its schema checked too.
func Decode[T any](args map[string]any) (T, error) {
	var v T
	err := decodeInto(args, &v)
	return v, err
}

// decodeInto is Decode into a pointer.
func decodeInto(args map[string]any, into any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("%w: %v", ironcurtain.ErrInvalidArguments, err)
	}
	return decodeJSON(raw, into)
}

// decodeJSON decodes a JSON object strictly into a pointer.
func decodeJSON(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%w: argument %q must be %s, not %s", ironcurtain.ErrInvalidArguments, te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Errorf("%w: %v", ironcurtain.ErrInvalidArguments, err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}
