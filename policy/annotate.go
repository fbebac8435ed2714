package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// AnnotateReport says what [Annotate] carried over, guessed and could not
// decide. Each entry is one line for a person, naming server, tool and
// argument.
type AnnotateReport struct {
	// Renamed are arguments whose roles moved to the argument the tool
	// seems to have renamed them to, with the conditions testing them.
	Renamed []string
	// Known are arguments given the roles of the built-in annotations.
	Known []string
	// Removed are tools no longer served, arguments no longer taken and
	// conditions on them, dropped.
	Removed []string
	// Unresolved are arguments nothing gives a role. They are left out of
	// the annotations, so that the engine still refuses to serve the tool
	// until a person gives them roles.
	Unresolved []string
}

// Annotate rebuilds the annotations of the served tools from their input
// schemas, without a model. An argument keeps the roles base gives it under
// the same name; an argument the tool renamed (the guess [Engine.CheckTools]
// reports) takes the roles of its old name, and conditions on the old name
// test the new one; any other argument takes the roles known gives it (the
// built-in annotations, for the built-in servers), or is left unresolved.
// Servers base annotates that are not served are kept as they are; the
// result records each served tool's schema.
//
// base and known may be nil. Neither is modified.
func Annotate(base *Annotations, served map[string][]ironcurtain.Tool, known *Annotations) (*Annotations, AnnotateReport) {
	out := &Annotations{Servers: map[string]ServerAnnotations{}}
	var rep AnnotateReport
	if base != nil {
		for name, sa := range base.Servers {
			if _, ok := served[name]; !ok {
				out.Servers[name] = cloneServer(sa)
			}
		}
	}
	for _, server := range slices.Sorted(maps.Keys(served)) {
		var old, ref []ToolAnnotation
		if base != nil {
			old = base.Servers[server].Tools
		}
		if known != nil {
			ref = known.Servers[server].Tools
		}
		sa := ServerAnnotations{}
		tools := slices.SortedFunc(slices.Values(served[server]), func(a, b ironcurtain.Tool) int { return strings.Compare(a.Name, b.Name) })
		for _, t := range tools {
			sa.Tools = append(sa.Tools, annotateTool(server, t, findTool(old, t.Name), findTool(ref, t.Name), &rep))
		}
		for _, ta := range old {
			if !slices.ContainsFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == ta.ToolName }) {
				rep.Removed = append(rep.Removed, fmt.Sprintf("%s/%s: no longer served", server, ta.ToolName))
			}
		}
		out.Servers[server] = sa
	}
	return out, rep
}

func findTool(tools []ToolAnnotation, name string) *ToolAnnotation {
	for i := range tools {
		if tools[i].ToolName == name {
			return &tools[i]
		}
	}
	return nil
}

func annotateTool(server string, t ironcurtain.Tool, old, ref *ToolAnnotation, rep *AnnotateReport) ToolAnnotation {
	where := server + "/" + t.Name
	ta := ToolAnnotation{ToolName: t.Name, ServerName: server, InputSchema: bytes.Clone(t.InputSchema)}
	specs := map[string]ArgSpec{}
	rename := map[string]string{} // old name → new
	if old != nil {
		ta.Comment, ta.SideEffects = old.Comment, old.SideEffects
		d := compareTool(server, *old, t)
		for _, r := range d.Renamed {
			rename[r.From] = r.To
			rep.Renamed = append(rep.Renamed, fmt.Sprintf("%s: %q renamed %q: its roles carried over", where, r.From, r.To))
		}
		for _, a := range old.Args {
			name := a.Name
			if to, ok := rename[name]; ok {
				name = to
			} else if slices.Contains(d.Unknown, name) {
				rep.Removed = append(rep.Removed, fmt.Sprintf("%s: argument %q is no longer taken", where, name))
				continue
			}
			specs[name] = cloneSpec(a.Spec)
		}
	}
	if ta.Comment == "" {
		ta.Comment = firstLine(t.Description)
	}
	have := schemaArgs(t.InputSchema)
	for _, name := range argOrder(t.InputSchema, old, ref, rename) {
		spec, ok := specs[name]
		if !ok {
			if r := refArg(ref, name); r != nil {
				spec, ok = cloneSpec(*r), true
				rep.Known = append(rep.Known, fmt.Sprintf("%s: argument %q takes the built-in roles %s", where, name, describeSpec(*r)))
			}
		}
		if !ok {
			rep.Unresolved = append(rep.Unresolved, fmt.Sprintf("%s: argument %q has no role: give it one", where, name))
			continue
		}
		for i, w := range spec.When {
			if to, ok := rename[w.Condition.Arg]; ok {
				spec.When[i].Condition.Arg = to
			}
		}
		spec.When = slices.DeleteFunc(spec.When, func(w When) bool {
			if _, ok := have[w.Condition.Arg]; ok {
				return false
			}
			rep.Removed = append(rep.Removed, fmt.Sprintf("%s: argument %q: a condition on %q, which the tool does not take", where, name, w.Condition.Arg))
			return true
		})
		ta.Args = append(ta.Args, Arg{Name: name, Spec: spec})
	}
	return ta
}

// argOrder orders the tool's arguments as the old annotation declared them
// (declaration order decides which rule a decision names), then as the
// known one does, then as the schema lists the rest.
func argOrder(schema json.RawMessage, old, ref *ToolAnnotation, rename map[string]string) []string {
	have := schemaArgs(schema)
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if _, ok := have[name]; ok && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, ta := range []*ToolAnnotation{old, ref} {
		if ta == nil {
			continue
		}
		for _, a := range ta.Args {
			if to, ok := rename[a.Name]; ok && ta == old {
				add(to)
			} else {
				add(a.Name)
			}
		}
	}
	for _, name := range schemaArgOrder(schema) {
		add(name)
	}
	return out
}

func refArg(ref *ToolAnnotation, name string) *ArgSpec {
	if ref == nil {
		return nil
	}
	for i := range ref.Args {
		if ref.Args[i].Name == name {
			return &ref.Args[i].Spec
		}
	}
	return nil
}

func describeSpec(s ArgSpec) string {
	b, err := json.Marshal(s)
	if err != nil {
		return "?"
	}
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func cloneSpec(s ArgSpec) ArgSpec {
	c := ArgSpec{Default: slices.Clone(s.Default), Conditional: s.Conditional}
	for _, w := range s.When {
		w.Roles = slices.Clone(w.Roles)
		w.Condition.In = slices.Clone(w.Condition.In)
		w.Condition.Equals = bytes.Clone(w.Condition.Equals)
		c.When = append(c.When, w)
	}
	return c
}

func cloneServer(sa ServerAnnotations) ServerAnnotations {
	c := ServerAnnotations{InputHash: sa.InputHash}
	for _, ta := range sa.Tools {
		t := ta
		t.Args = nil
		for _, a := range ta.Args {
			t.Args = append(t.Args, Arg{Name: a.Name, Spec: cloneSpec(a.Spec)})
		}
		t.InputSchema = bytes.Clone(ta.InputSchema)
		c.Tools = append(c.Tools, t)
	}
	return c
}

// objectKeys returns the keys of a JSON object in document order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := tok.(string)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
		keys = append(keys, k)
	}
	return keys
}
