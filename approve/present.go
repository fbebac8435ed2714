package approve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
)

// MaxArgumentShown bounds how much of one argument a [Presentation] shows,
// in bytes of its escaped rendering.
const MaxArgumentShown = 2 << 10

// Presentation is an escalated call as a person is shown it, the same for
// every front end (terminal, web, messenger). Every string in it is inert:
// control characters (so ANSI escape sequences), newlines, DEL, C1
// controls, invisible and bidirectional formatting characters
// (U+202A–U+202E, U+2066–U+2069, ...), odd spaces and invalid UTF-8 appear
// as \n, \uXXXX or \xXX escapes, so a front end may print them as they are.
//
// Resources, the rule and its reason come first and are never cut; each
// other argument is cut on its own, so no argument can push another out of
// view. Digest is the [ironcurtain.ArgumentsDigest] of the call's canonical
// arguments: an approval made from this presentation carries it (see
// [Presentation.Approval]) and the Gate refuses the approval for any other
// arguments.
type Presentation struct {
	Server, Tool string
	// Rule and Reason are the escalating rule and its reason.
	Rule, Reason string
	// Resources are the canonical resources the policy judged: resolved
	// paths, full URLs, resolved git remotes.
	Resources []ShownResource
	// Arguments are the call's other arguments (those no resource names),
	// in name order.
	Arguments []ShownArgument
	// Digest is the hex SHA-256 of the canonical arguments; "" if they
	// cannot be digested, in which case nothing should be approved.
	Digest string
}

// ShownResource is one canonical resource, escaped, never cut.
type ShownResource struct {
	Argument, Role, Kind, Value string
}

// ShownArgument is one argument: its name, its value (a string as it is,
// anything else as compact JSON), escaped, and cut to MaxArgumentShown.
type ShownArgument struct {
	Name, Value string
	// Size is the value's length in bytes before escaping: the string's, or
	// the JSON encoding's.
	Size int
	// Cut reports whether Value is only the start of the value.
	Cut bool
}

// Present renders esc for a person; see [Presentation]. It does not modify
// esc.
func Present(esc ironcurtain.Escalation) Presentation {
	c, d := esc.Call, esc.Decision
	p := Presentation{
		Server: escape(c.Server), Tool: escape(c.Tool),
		Rule: escape(d.Rule), Reason: escape(d.Reason),
	}
	p.Digest, _ = ironcurtain.ArgumentsDigest(c.Arguments)
	named := map[string]bool{}
	for _, r := range d.Resources {
		named[r.Argument] = true
		sr := ShownResource{Argument: escape(r.Argument), Role: escape(r.Role), Kind: escape(string(r.Kind)), Value: escape(r.Value)}
		if !slices.Contains(p.Resources, sr) {
			p.Resources = append(p.Resources, sr)
		}
	}
	names := make([]string, 0, len(c.Arguments))
	for k := range c.Arguments {
		if !named[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		p.Arguments = append(p.Arguments, showArgument(k, c.Arguments[k]))
	}
	return p
}

func showArgument(name string, v any) ShownArgument {
	raw, ok := v.(string)
	if !ok {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return ShownArgument{Name: escape(name), Value: "(cannot be shown: " + escape(err.Error()) + ")"}
		}
		raw = strings.TrimSuffix(buf.String(), "\n")
	}
	a := ShownArgument{Name: escape(name), Size: len(raw)}
	s := escape(raw)
	if len(s) > MaxArgumentShown {
		cut := MaxArgumentShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		// Do not end inside an escape sequence.
		if i := strings.LastIndexByte(s[:cut], '\\'); i >= 0 && cut-i < 6 {
			cut = i
		}
		s, a.Cut = s[:cut], true
	}
	a.Value = s
	return a
}

// Text renders the presentation as plain lines, each ending in a newline:
// the header, resources, rule, reason and digest, then the arguments with
// their sizes.
func (p Presentation) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server:    %s\ntool:      %s\n", p.Server, p.Tool)
	if len(p.Resources) == 0 {
		b.WriteString("resources: (none reported by the policy)\n")
	} else {
		b.WriteString("resources:\n")
		for _, r := range p.Resources {
			fmt.Fprintf(&b, "  %s (%s, %s): %s\n", r.Role, r.Argument, r.Kind, r.Value)
		}
	}
	fmt.Fprintf(&b, "rule:      %s\nreason:    %s\n", p.Rule, p.Reason)
	if p.Digest == "" {
		b.WriteString("digest:    (the arguments cannot be digested)\n")
	} else {
		fmt.Fprintf(&b, "digest:    sha256:%s\n", p.Digest)
	}
	if len(p.Arguments) > 0 {
		b.WriteString("other arguments:\n")
	}
	for _, a := range p.Arguments {
		size := strconv.Itoa(a.Size) + " bytes"
		if a.Cut {
			size += ", cut"
		}
		fmt.Fprintf(&b, "  %s (%s): %s", a.Name, size, a.Value)
		if a.Cut {
			b.WriteString(" …")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Approval returns an approval by by, bound to the arguments shown.
func (p Presentation) Approval(by, reason string) ironcurtain.Approval {
	return ironcurtain.Approval{Answer: ironcurtain.Approve, By: by, Reason: reason, Arguments: p.Digest}
}

// escape makes text inert on a terminal or a page: every character that is
// not visible — control characters including newline (so no ANSI escape
// sequence gets through and no line can be forged), DEL, C1 controls,
// invisible and bidirectional formatting characters, odd spaces — and
// invalid UTF-8 are shown as escapes, and a backslash as \\, so an escape
// in the text cannot pass for one made here.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == ' ' || (unicode.IsGraphic(r) && !unicode.IsSpace(r)):
			b.WriteString(s[i : i+size])
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}
