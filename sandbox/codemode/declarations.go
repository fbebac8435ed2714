package codemode

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// declarationsHeader opens the declarations: how the tools behave, in the
// words a model needs.
const declarationsHeader = `// Tools the script can call. Each is a synchronous function taking one
// object of named arguments; call it without await. A tool with an output
// schema returns its structured result, any other its text. A call that the
// policy refuses, or that fails, throws an Error whose message says why.
// The script is the body of an async function: use return to give a result.
`

// declarations renders TypeScript declarations for the bindings, grouped
// by namespace in the order bind gives them.
func declarations(bs []binding) string {
	var b strings.Builder
	b.WriteString(declarationsHeader)
	for _, group := range namespaces(bs) {
		b.WriteString("\n")
		writeNamespace(&b, group)
	}
	return b.String()
}

// namespaces splits bindings, in bind's order, into runs of one namespace.
func namespaces(bs []binding) [][]binding {
	var out [][]binding
	for i := 0; i < len(bs); {
		j := i + 1
		for j < len(bs) && bs[j].Namespace == bs[i].Namespace {
			j++
		}
		out = append(out, bs[i:j])
		i = j
	}
	return out
}

// writeNamespace declares one namespace with the methods of group, all of
// which belong to it.
func writeNamespace(b *strings.Builder, group []binding) {
	ns := group[0].Namespace
	if ns != group[0].Tool.Server {
		b.WriteString("// Server " + jsString(group[0].Tool.Server) + ".\n")
	}
	b.WriteString("declare const " + ns + ": {\n")
	for _, bd := range group {
		writeMethod(b, bd)
	}
	b.WriteString("};\n")
}

func writeMethod(b *strings.Builder, bd binding) {
	t := bd.Tool.Tool
	doc := t.Description
	if bd.Method != t.Name {
		doc = strings.TrimSpace(doc + "\n\nTool " + jsString(t.Name) + ".")
	}
	writeDoc(b, "  ", doc)
	in := newTSGen(t.InputSchema)
	args, optional := in.arguments()
	q := ""
	if optional {
		q = "?"
	}
	ret := "string"
	if len(t.OutputSchema) > 0 {
		ret = newTSGen(t.OutputSchema).rootType("  ")
	}
	b.WriteString("  " + bd.Method + "(args" + q + ": " + args + "): " + ret + ";\n")
}

// writeDoc writes text as a JSDoc comment, or nothing for empty text.
func writeDoc(b *strings.Builder, indent, text string) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return
	}
	text = strings.ReplaceAll(text, "*/", "*\\/")
	lines := strings.Split(text, "\n")
	if len(lines) == 1 {
		b.WriteString(indent + "/** " + lines[0] + " */\n")
		return
	}
	b.WriteString(indent + "/**\n")
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			b.WriteString(indent + " *\n")
		} else {
			b.WriteString(indent + " * " + l + "\n")
		}
	}
	b.WriteString(indent + " */\n")
}

// jsString quotes s as a JavaScript (and TypeScript) string literal.
func jsString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// tsGen turns one JSON Schema into TypeScript types. It understands type
// (one or a list), properties and required, additionalProperties, items
// and prefixItems, enum, const, anyOf and oneOf (unions), allOf
// (intersections) and local $ref; anything else is unknown. Expansion is
// bounded, so a hostile schema yields unknown, not a huge text.
type tsGen struct {
	root   *jnode
	budget int
	active map[string]bool // $refs being expanded
}

// tsBudget bounds the schema nodes one tool's types may expand.
const tsBudget = 2000

// maxTSDepth bounds nesting in the generated types.
const maxTSDepth = 24

func newTSGen(schema []byte) *tsGen {
	g := &tsGen{budget: tsBudget, active: map[string]bool{}}
	if len(bytes.TrimSpace(schema)) > 0 {
		g.root, _ = parseJSON(schema) // a broken schema gives unknown types
	}
	return g
}

// arguments returns the type of a tool's argument object and whether the
// argument may be left out (no property is required).
func (g *tsGen) arguments() (string, bool) {
	s := g.root
	if s == nil {
		return "Record<string, unknown>", true
	}
	if r := s.get("required"); r != nil && r.kind == 'a' && len(r.items) > 0 {
		return g.rootType("  "), false
	}
	return g.rootType("  "), true
}

func (g *tsGen) rootType(indent string) string {
	if g.root == nil {
		return "unknown"
	}
	return g.typ(g.root, indent, 0)
}

func (g *tsGen) typ(s *jnode, indent string, depth int) string {
	g.budget--
	if s == nil || g.budget < 0 || depth > maxTSDepth {
		return "unknown"
	}
	switch s.kind {
	case 'b':
		if s.b {
			return "unknown"
		}
		return "never"
	case 'o':
	default:
		return "unknown"
	}
	if ref := s.get("$ref").text(); ref != "" {
		return g.ref(ref, indent, depth)
	}
	if c := s.get("const"); c != nil {
		return literal(c)
	}
	if e := s.get("enum"); e != nil && e.kind == 'a' && len(e.items) > 0 {
		parts := make([]string, 0, len(e.items))
		for _, v := range e.items {
			parts = append(parts, literal(v))
		}
		return union(parts)
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts := s.get(k); alts != nil && alts.kind == 'a' && len(alts.items) > 0 {
			parts := make([]string, 0, len(alts.items))
			for _, a := range alts.items {
				parts = append(parts, g.typ(a, indent, depth+1))
			}
			return union(parts)
		}
	}
	if all := s.get("allOf"); all != nil && all.kind == 'a' && len(all.items) > 0 {
		parts := make([]string, 0, len(all.items))
		for _, a := range all.items {
			parts = append(parts, paren(g.typ(a, indent, depth+1)))
		}
		return strings.Join(dedupe(parts), " & ")
	}
	var types []string
	switch t := s.get("type"); {
	case t == nil:
		switch {
		case s.get("properties") != nil || s.get("additionalProperties") != nil:
			types = []string{"object"}
		case s.get("items") != nil || s.get("prefixItems") != nil:
			types = []string{"array"}
		}
	case t.kind == 's':
		types = []string{t.str}
	case t.kind == 'a':
		for _, it := range t.items {
			types = append(types, it.text())
		}
	}
	if len(types) == 0 {
		return "unknown"
	}
	parts := make([]string, 0, len(types))
	for _, t := range types {
		parts = append(parts, g.single(t, s, indent, depth))
	}
	return union(parts)
}

func (g *tsGen) single(t string, s *jnode, indent string, depth int) string {
	switch t {
	case "string":
		return "string"
	case "number", "integer":
		return "number"
	case "boolean":
		return "boolean"
	case "null":
		return "null"
	case "array":
		if p := s.get("prefixItems"); p != nil && p.kind == 'a' {
			parts := make([]string, 0, len(p.items))
			for _, it := range p.items {
				parts = append(parts, g.typ(it, indent, depth+1))
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		if it := s.get("items"); it != nil {
			if it.kind == 'a' { // the old tuple form
				parts := make([]string, 0, len(it.items))
				for _, x := range it.items {
					parts = append(parts, g.typ(x, indent, depth+1))
				}
				return "[" + strings.Join(parts, ", ") + "]"
			}
			return paren(g.typ(it, indent, depth+1)) + "[]"
		}
		return "unknown[]"
	case "object":
		return g.object(s, indent, depth)
	}
	return "unknown"
}

func (g *tsGen) object(s *jnode, indent string, depth int) string {
	props := s.get("properties")
	extra := s.get("additionalProperties")
	if props == nil || props.kind != 'o' || len(props.keys) == 0 {
		if extra != nil && extra.kind == 'o' {
			return "Record<string, " + g.typ(extra, indent, depth+1) + ">"
		}
		return "Record<string, unknown>"
	}
	required := map[string]bool{}
	if r := s.get("required"); r != nil && r.kind == 'a' {
		for _, it := range r.items {
			required[it.text()] = true
		}
	}
	inner := indent + "  "
	type field struct{ doc, decl string }
	multiline := false
	fields := make([]field, 0, len(props.keys)+1)
	for i, name := range props.keys {
		p := props.vals[i]
		var doc strings.Builder
		if desc := p.get("description").text(); desc != "" {
			multiline = true
			writeDoc(&doc, inner, desc)
		}
		key := name
		if !isIdent(name) {
			key = jsString(name)
		}
		if !required[name] {
			key += "?"
		}
		typ := g.typ(p, inner, depth+1)
		if strings.Contains(typ, "\n") {
			multiline = true
		}
		fields = append(fields, field{doc.String(), key + ": " + typ + ";"})
	}
	if extra != nil && !(extra.kind == 'b' && !extra.b) {
		fields = append(fields, field{"", "[key: string]: unknown;"})
	}
	var b strings.Builder
	if !multiline {
		b.WriteString("{")
		for i, f := range fields {
			decl := f.decl
			if i == len(fields)-1 {
				decl = strings.TrimSuffix(decl, ";")
			}
			b.WriteString(" " + decl)
		}
		b.WriteString(" }")
		return b.String()
	}
	b.WriteString("{\n")
	for _, f := range fields {
		b.WriteString(f.doc + inner + f.decl + "\n")
	}
	b.WriteString(indent + "}")
	return b.String()
}

// ref expands a local reference ("#/$defs/x", "#/definitions/x", or any
// JSON pointer into the same document); others, and cycles, are unknown.
func (g *tsGen) ref(ref, indent string, depth int) string {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok || g.active[ref] {
		return "unknown"
	}
	target := g.root
	if ptr != "" {
		if !strings.HasPrefix(ptr, "/") {
			return "unknown"
		}
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch {
			case target == nil:
				return "unknown"
			case target.kind == 'o':
				target = target.get(tok)
			default:
				return "unknown"
			}
		}
	}
	g.active[ref] = true
	defer delete(g.active, ref)
	return g.typ(target, indent, depth+1)
}

// literal renders a JSON value as a TypeScript literal type.
func literal(v *jnode) string {
	switch v.kind {
	case 's':
		return jsString(v.str)
	case 'n':
		return v.str
	case 'b':
		if v.b {
			return "true"
		}
		return "false"
	case 'z':
		return "null"
	}
	return "unknown"
}

// union joins alternatives, without repeats; unknown absorbs the rest.
func union(parts []string) string {
	parts = dedupe(parts)
	if slices.Contains(parts, "unknown") {
		return "unknown"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	for i, p := range parts {
		if strings.Contains(p, " & ") {
			parts[i] = "(" + p + ")"
		}
	}
	return strings.Join(parts, " | ")
}

func dedupe(parts []string) []string {
	seen := map[string]bool{}
	out := parts[:0:0]
	for _, p := range parts {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// paren wraps a union or intersection for use in an array type or an
// intersection.
func paren(t string) string {
	if strings.Contains(t, " | ") || strings.Contains(t, " & ") {
		return "(" + t + ")"
	}
	return t
}
