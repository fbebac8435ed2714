package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/ironcurtain-go/ironcurtain"
)

// ErrDrift marks tool annotations that do not describe the tools a server
// serves: a policy that cannot see an argument cannot judge it.
var ErrDrift = errors.New("policy: tool annotations do not match the tools served")

// ToolDrift is how one tool's annotation differs from the tool its server
// serves, compared by argument name with the tool's input schema.
type ToolDrift struct {
	Server, Tool string
	// NotServed: the tool is annotated but the server does not serve it
	// (calls to it are refused as calls to an unknown tool).
	NotServed bool `json:",omitempty"`
	// NotAnnotated: the server serves the tool but no annotation describes
	// it (the engine denies every call to it).
	NotAnnotated bool `json:",omitempty"`
	// Unknown are annotated arguments the tool does not have.
	Unknown []string `json:",omitempty"`
	// Unroled are arguments of the tool no annotation gives a role: the
	// policy never sees their values.
	Unroled []string `json:",omitempty"`
	// Conditions are arguments the annotation's conditional roles test but
	// the tool does not have: those conditions never hold.
	Conditions []string `json:",omitempty"`
	// Open: the schema admits arguments it does not name
	// (additionalProperties or patternProperties), which no annotation can
	// give a role.
	Open bool `json:",omitempty"`
	// Renamed pairs Unknown arguments with the Unroled ones they most
	// likely became (a guess from the names and, where the annotation kept
	// the old schema, the types).
	Renamed []Rename `json:",omitempty"`
}

// Rename is an annotated argument the tool seems to have renamed.
type Rename struct{ From, To string }

// Fatal reports whether the policy cannot judge calls to the tool as its
// author meant: an argument it cannot see, an annotated argument the tool
// does not have, or a condition on one. A tool that is only unannotated or
// unserved is refused at call time and is not fatal.
func (d ToolDrift) Fatal() bool {
	return d.Open || len(d.Unknown)+len(d.Unroled)+len(d.Conditions) > 0
}

// String describes the drift on one line, naming every argument.
func (d ToolDrift) String() string {
	var parts []string
	switch {
	case d.NotServed:
		parts = append(parts, "annotated, but the server does not serve it")
	case d.NotAnnotated:
		parts = append(parts, "served, but no annotation describes it, so every call to it is denied")
	}
	renamed := map[string]bool{}
	if len(d.Renamed) > 0 {
		var rs []string
		for _, r := range d.Renamed {
			rs = append(rs, fmt.Sprintf("%q to %q", r.From, r.To))
			renamed[r.From], renamed[r.To] = true, true
		}
		parts = append(parts, "argument renamed "+strings.Join(rs, ", "))
	}
	if u := without(d.Unknown, renamed); len(u) > 0 {
		parts = append(parts, "annotated "+plural(len(u), "argument")+" "+quoted(u)+" not in the tool's schema")
	}
	if u := without(d.Unroled, renamed); len(u) > 0 {
		parts = append(parts, plural(len(u), "argument")+" "+quoted(u)+" with no role")
	}
	if len(d.Conditions) > 0 {
		parts = append(parts, "conditional roles test "+quoted(d.Conditions)+", which the tool does not have, so they never apply")
	}
	if d.Open {
		parts = append(parts, "the schema admits arguments it does not name, which no annotation can give a role")
	}
	return fmt.Sprintf("%s/%s: %s", d.Server, d.Tool, strings.Join(parts, "; "))
}

func without(xs []string, drop map[string]bool) []string {
	var out []string
	for _, x := range xs {
		if !drop[x] {
			out = append(out, x)
		}
	}
	return out
}

func quoted(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// DriftError reports the tools whose annotations do not match what their
// servers serve. It satisfies errors.Is(err, ErrDrift).
type DriftError struct {
	Drifts []ToolDrift
}

// Error names every drifted tool and argument.
func (e *DriftError) Error() string {
	parts := make([]string, len(e.Drifts))
	for i, d := range e.Drifts {
		parts[i] = d.String()
	}
	return fmt.Sprintf("%v (%d %s; regenerate the annotations with `ironcurtain annotate`): %s",
		ErrDrift, len(e.Drifts), plural(len(e.Drifts), "tool"), strings.Join(parts, "; "))
}

// Is reports whether target is ErrDrift.
func (e *DriftError) Is(target error) bool { return target == ErrDrift }

// CheckTools compares the engine's annotations of server with the tools the
// server serves, tool by tool in name order, and returns every difference
// (fatal or not). A trusted server needs no annotations and has none.
//
// Callers that serve tools treat a Fatal drift as a refusal to start (see
// [CheckServed]); the linter reports them all.
func (e *Engine) CheckTools(server string, tools []ironcurtain.Tool) []ToolDrift {
	if e.trusted[server] {
		return nil
	}
	return compareTools(server, e.artifacts.Annotations.Servers[server].Tools, tools)
}

// CheckServed runs CheckTools for every server and returns a *DriftError
// holding the fatal drifts, or nil. Servers are taken in name order.
func (e *Engine) CheckServed(served map[string][]ironcurtain.Tool) ([]ToolDrift, error) {
	var all, fatal []ToolDrift
	for _, name := range slices.Sorted(maps.Keys(served)) {
		for _, d := range e.CheckTools(name, served[name]) {
			all = append(all, d)
			if d.Fatal() {
				fatal = append(fatal, d)
			}
		}
	}
	if len(fatal) > 0 {
		return all, &DriftError{Drifts: fatal}
	}
	return all, nil
}

// LintServed is the linter's view of [Engine.CheckServed]: a "drift"
// finding for every difference, fatal or not, between the annotations of the
// servers given and the tools they serve. Servers the annotations do not
// mention at all are left out.
func (e *Engine) LintServed(served map[string][]ironcurtain.Tool) []Finding {
	mentioned := map[string][]ironcurtain.Tool{}
	for name, tools := range served {
		if _, ok := e.artifacts.Annotations.Servers[name]; ok {
			mentioned[name] = tools
		}
	}
	drifts, _ := e.CheckServed(mentioned)
	out := make([]Finding, 0, len(drifts))
	for _, d := range drifts {
		msg := d.String()
		msg = strings.TrimPrefix(msg, d.Server+"/"+d.Tool+": ")
		if d.Fatal() {
			msg += " (serve, exec and docker run refuse to start)"
		}
		out = append(out, Finding{Kind: "drift", Tool: d.Server + "/" + d.Tool, Message: msg})
	}
	return out
}

// compareTools compares one server's annotations with its tools.
func compareTools(server string, annotated []ToolAnnotation, tools []ironcurtain.Tool) []ToolDrift {
	byName := make(map[string]ToolAnnotation, len(annotated))
	for _, ta := range annotated {
		byName[ta.ToolName] = ta
	}
	served := map[string]bool{}
	var out []ToolDrift
	for _, t := range slices.SortedFunc(slices.Values(tools), func(a, b ironcurtain.Tool) int { return strings.Compare(a.Name, b.Name) }) {
		served[t.Name] = true
		ta, ok := byName[t.Name]
		if !ok {
			out = append(out, ToolDrift{Server: server, Tool: t.Name, NotAnnotated: true})
			continue
		}
		if d := compareTool(server, ta, t); d.Fatal() {
			out = append(out, d)
		}
	}
	for _, ta := range annotated {
		if !served[ta.ToolName] {
			out = append(out, ToolDrift{Server: server, Tool: ta.ToolName, NotServed: true})
		}
	}
	return out
}

// compareTool compares one annotation with the tool's schema.
func compareTool(server string, ta ToolAnnotation, t ironcurtain.Tool) ToolDrift {
	d := ToolDrift{Server: server, Tool: t.Name, Open: schemaOpen(t.InputSchema)}
	have := schemaArgs(t.InputSchema)
	annotated := map[string]bool{}
	for _, a := range ta.Args {
		annotated[a.Name] = true
		if _, ok := have[a.Name]; !ok {
			d.Unknown = append(d.Unknown, a.Name)
		}
		for _, w := range a.Spec.When {
			if _, ok := have[w.Condition.Arg]; !ok && !slices.Contains(d.Conditions, w.Condition.Arg) {
				d.Conditions = append(d.Conditions, w.Condition.Arg)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(have)) {
		if !annotated[name] {
			d.Unroled = append(d.Unroled, name)
		}
	}
	if len(d.Unknown) > 0 && len(d.Unroled) > 0 { // the old schema helps pair them
		d.Renamed = guessRenames(d.Unknown, d.Unroled, schemaArgs(ta.InputSchema), have)
	}
	return d
}

// argSchema is what the comparison reads of one argument's schema.
type argSchema struct {
	typ  string
	enum []string
}

// schemaArgs returns the arguments an input schema names: its properties,
// and those of the alternatives it is made of at the top level. Keywords
// are matched exactly, as the Gate's schema check matches them. The map is
// shared: the caller must not modify it.
func schemaArgs(raw json.RawMessage) map[string]argSchema {
	return readSchema(raw).args
}

// schemaArgOrder returns the same arguments in the order the schema lists
// them.
func schemaArgOrder(raw json.RawMessage) []string {
	return slices.Clone(readSchema(raw).order)
}

// schemaOpen reports whether a schema says outright that it admits
// arguments beyond those it names: additionalProperties other than false,
// or patternProperties, at the top level or in a top-level alternative. (A
// schema that says nothing admits no others: the Gate's check is stricter
// than JSON Schema there, as IronCurtain's is.)
func schemaOpen(raw json.RawMessage) bool {
	return readSchema(raw).open
}

// schemaInfo is what the drift check and the annotator read of an input
// schema. It is a function of the schema's bytes alone and is never
// modified once made.
type schemaInfo struct {
	order []string
	args  map[string]argSchema
	open  bool
}

// schemas remembers the schemaInfo of the schemas read in this process, by
// their bytes: the built-in servers serve the same schemas to every stack,
// and decoding them was most of what the drift check at a stack's start
// cost. Nothing read from disk is kept, only what a schema's own bytes
// say, and at most maxSchemas of them (a server whose schemas keep
// changing is then only read again each time).
var schemas struct {
	mu sync.Mutex
	m  map[string]*schemaInfo
}

// maxSchemas bounds the schemas remembered.
const maxSchemas = 4096

// readSchema returns the schemaInfo of raw.
func readSchema(raw json.RawMessage) *schemaInfo {
	schemas.mu.Lock()
	si, ok := schemas.m[string(raw)]
	schemas.mu.Unlock()
	if ok {
		return si
	}
	si = &schemaInfo{open: readSchemaOpen(raw)}
	si.order, si.args = readSchemaProps(raw)
	schemas.mu.Lock()
	if schemas.m == nil {
		schemas.m = map[string]*schemaInfo{}
	}
	if len(schemas.m) < maxSchemas {
		schemas.m[string(raw)] = si
	}
	schemas.mu.Unlock()
	return si
}

func readSchemaProps(raw json.RawMessage) ([]string, map[string]argSchema) {
	var order []string
	args := map[string]argSchema{}
	var walk func(raw json.RawMessage, top bool)
	walk = func(raw json.RawMessage, top bool) {
		var node map[string]json.RawMessage
		if json.Unmarshal(raw, &node) != nil {
			return
		}
		var props map[string]json.RawMessage
		_ = json.Unmarshal(node["properties"], &props)
		for _, name := range objectKeys(node["properties"]) {
			if _, seen := args[name]; !seen {
				order = append(order, name)
			}
			args[name] = readArgSchema(props[name])
		}
		if !top {
			return
		}
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			var subs []json.RawMessage
			if json.Unmarshal(node[k], &subs) == nil {
				for _, sub := range subs {
					walk(sub, false)
				}
			}
		}
	}
	walk(raw, true)
	return order, args
}

func readSchemaOpen(raw json.RawMessage) bool {
	var open func(raw json.RawMessage, top bool) bool
	open = func(raw json.RawMessage, top bool) bool {
		var node map[string]json.RawMessage
		if json.Unmarshal(raw, &node) != nil {
			return false
		}
		if a, ok := node["additionalProperties"]; ok && string(bytes.TrimSpace(a)) != "false" {
			return true
		}
		if _, ok := node["patternProperties"]; ok {
			return true
		}
		if top {
			for _, k := range []string{"allOf", "anyOf", "oneOf"} {
				var subs []json.RawMessage
				if json.Unmarshal(node[k], &subs) == nil {
					for _, sub := range subs {
						if open(sub, false) {
							return true
						}
					}
				}
			}
		}
		return false
	}
	return open(raw, true)
}

func readArgSchema(raw json.RawMessage) argSchema {
	var p map[string]json.RawMessage
	if json.Unmarshal(raw, &p) != nil {
		return argSchema{}
	}
	var as argSchema
	_ = json.Unmarshal(p["type"], &as.typ)
	var enum []any
	if json.Unmarshal(p["enum"], &enum) == nil {
		for _, v := range enum {
			as.enum = append(as.enum, fmt.Sprint(v))
		}
	}
	return as
}

// guessRenames pairs unknown arguments with unroled ones, best match first.
// A pair needs a similar name (word overlap after folding plurals and a few
// synonyms: file and path, operation and mode) or, from the old schema
// kept in the annotation, overlapping enum values; a clash of types rules
// a pair out.
func guessRenames(unknown, unroled []string, old, now map[string]argSchema) []Rename {
	type pair struct {
		from, to string
		score    float64
	}
	var pairs []pair
	for _, u := range unknown {
		for _, r := range unroled {
			if s := renameScore(u, r, old[u], now[r]); s >= 0.3 {
				pairs = append(pairs, pair{u, r, s})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	used := map[string]bool{}
	var out []Rename
	for _, p := range pairs {
		if used["u"+p.from] || used["r"+p.to] {
			continue
		}
		used["u"+p.from], used["r"+p.to] = true, true
		out = append(out, Rename{From: p.from, To: p.to})
	}
	slices.SortFunc(out, func(a, b Rename) int { return strings.Compare(a.From, b.From) })
	return out
}

func renameScore(from, to string, old, now argSchema) float64 {
	if old.typ != "" && now.typ != "" && old.typ != now.typ {
		return 0
	}
	a, b := nameWords(from), nameWords(to)
	common := 0
	for w := range a {
		if b[w] {
			common++
		}
	}
	var score float64
	if n := len(a) + len(b) - common; n > 0 {
		score = float64(common) / float64(n)
	}
	if len(old.enum) > 0 && len(now.enum) > 0 {
		shared := 0
		for _, v := range old.enum {
			if slices.Contains(now.enum, v) {
				shared++
			}
		}
		score += float64(shared) / float64(max(len(old.enum), len(now.enum)))
	}
	return score
}

// synonyms fold words that name the same thing in tool arguments.
var synonyms = map[string]string{
	"file": "path", "filepath": "path", "filename": "path", "dir": "path", "directory": "path", "location": "path",
	"operation": "mode", "op": "mode", "action": "mode", "command": "mode", "subcommand": "mode",
	"msg": "message", "repository": "repo",
}

// nameWords splits an argument name (camelCase, snake_case, kebab-case)
// into lower-case words, plurals folded and synonyms merged.
func nameWords(name string) map[string]bool {
	words := map[string]bool{}
	var cur []rune
	flush := func() {
		if len(cur) == 0 {
			return
		}
		w := strings.ToLower(string(cur))
		cur = cur[:0]
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		if s, ok := synonyms[w]; ok {
			w = s
		}
		words[w] = true
	}
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}
