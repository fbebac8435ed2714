package codemode

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	inerttext "github.com/ironcurtain-go/ironcurtain/internal/inert"
)

// With many tools, their declarations crowd the model's prompt. The
// overview is the short form: one line per tool, and a help function in
// the runtime that returns the declarations of a namespace or a tool as
// Declarations writes them, when the script asks.

// overviewHeader opens the overview.
const overviewHeader = `// Tools the script can call, one line each. Each is a synchronous function
// taking one object of named arguments; call it without await. A call that
// the policy refuses, or that fails, throws an Error whose message says why.
// The script is the body of an async function: use return to give a result.
//
// For the arguments and results, call help: help("ns") returns the
// TypeScript declarations of namespace ns, help("ns.method") those of one
// tool, help() this list. help is not a tool call; return or log its text
// to read it.
`

// maxSummaryRunes bounds a tool's line in the overview.
const maxSummaryRunes = 120

// Overview returns the short form of [Sandbox.Declarations] for a system
// prompt with many tools: each tool as ns.method with the first sentence
// of its description, grouped by namespace, and how to call help, the
// runtime function that returns the full declarations of a namespace
// (help("git")) or of one tool (help("git.git_log")). The text is the
// same for the same tool list; help() returns it too.
func (s *Sandbox) Overview(ctx context.Context) (string, error) {
	bindings, err := s.bindings(ctx)
	if err != nil {
		return "", err
	}
	return overview(bindings), nil
}

// overview renders the overview of bs. Everything taken from the tool
// list sits in a line comment and holds no line break, control, format
// or bidirectional character: a description cannot add lines to the
// prompt or hide text in it.
func overview(bs []binding) string {
	var b strings.Builder
	b.WriteString(overviewHeader)
	if len(bs) > 0 {
		b.WriteString("// For example: help(" + jsString(bs[0].Namespace) + "), help(" + jsString(bs[0].Namespace+"."+bs[0].Method) + ").\n")
	}
	for _, group := range namespaces(bs) {
		ns := group[0].Namespace
		b.WriteString("\n// " + ns)
		if ns != group[0].Tool.Server {
			b.WriteString(" (server " + inert(jsString(group[0].Tool.Server)) + ")")
		}
		b.WriteString(":\n")
		for _, bd := range group {
			line := "//   " + ns + "." + bd.Method
			if sum := summary(bd.Tool.Tool.Description); sum != "" {
				line += ": " + sum
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// summary is the first sentence of a description (or its first line, if
// shorter), rendered inert and cut to maxSummaryRunes.
func summary(desc string) string {
	desc = strings.TrimSpace(desc)
	if i := strings.IndexAny(desc, "\r\n\u2028\u2029"); i >= 0 {
		desc = desc[:i]
	}
	if i := strings.Index(desc, ". "); i >= 0 {
		desc = desc[:i+1]
	}
	desc = strings.TrimSpace(inert(desc))
	if utf8.RuneCountInString(desc) > maxSummaryRunes {
		r := []rune(desc)
		desc = strings.TrimSpace(string(r[:maxSummaryRunes-1])) + "…"
	}
	return desc
}

// inert renders text from the tool list as internal/inert does (control,
// format and bidirectional characters shown as escapes), and breaks up
// "*/" so that the text cannot end a block comment it is quoted in.
func inert(s string) string {
	return strings.ReplaceAll(inerttext.String(s), "*/", "* /")
}

// help answers the runtime's help function. arg is empty for help(),
// otherwise the argument as JSON (null for one that is not a string).
func (r *run) help(arg string) string {
	if arg == "" {
		return "V" + jsString(overview(r.bindings))
	}
	var name string
	if json.Unmarshal([]byte(arg), &name) != nil {
		return "E" + helpMiss(r.bindings, "help takes the name of a namespace or a tool, as a string")
	}
	ns, method, one := strings.Cut(name, ".")
	for _, group := range namespaces(r.bindings) {
		if group[0].Namespace != ns {
			continue
		}
		if !one {
			var b strings.Builder
			writeNamespace(&b, group)
			return "V" + jsString(b.String())
		}
		for _, bd := range group {
			if bd.Method == method {
				var b strings.Builder
				writeNamespace(&b, []binding{bd})
				return "V" + jsString(b.String())
			}
		}
		return "E" + helpMiss(r.bindings, "namespace "+ns+" has no tool "+jsString(method))
	}
	return "E" + helpMiss(r.bindings, "there is no namespace "+jsString(ns))
}

// helpMiss explains a help call that names nothing, listing what exists.
func helpMiss(bs []binding, why string) string {
	var names []string
	for _, group := range namespaces(bs) {
		names = append(names, group[0].Namespace)
	}
	if len(names) == 0 {
		return "help: " + why + "; no tools are available"
	}
	return "help: " + why + "; the namespaces are " + strings.Join(names, ", ") + " (help() lists every tool)"
}
