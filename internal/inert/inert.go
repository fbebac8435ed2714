// Package inert renders text that an untrusted party controls — an
// agent's arguments, what a jailed tool server prints — so that a
// terminal, a log viewer or a page shows it as characters and nothing
// else: no escape sequence, no forged line, no text reordered by
// bidirectional controls.
//
//	w := inert.NewLines(os.Stderr, inert.LinesConfig{Prefix: "[github] "})
//	cmd.Stderr = w
//	...
//	w.Flush()
package inert

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String makes s inert: every character that is not visible — control
// characters including newline and carriage return (so no ANSI escape
// sequence gets through and no line can be forged), DEL, C1 controls,
// invisible and bidirectional formatting characters, odd spaces — and
// invalid UTF-8 are shown as escapes (\u001b, \u202e, \x80), and a
// backslash as \\, so an escape in the text cannot pass for one made here.
// The space and every graphic character are kept as they are.
func String(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == ' ' || (unicode.IsGraphic(r) && !unicode.IsSpace(r) && !bidi(r)):
			b.WriteString(s[i : i+size])
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// Text is String for text of several lines: a newline stays a newline,
// and every line is inert as String makes it. Use it only where the
// reader sees where the text starts and ends (a quoted block), since its
// lines can look like any others.
func Text(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = String(l)
	}
	return strings.Join(lines, "\n")
}

// bidi reports the bidirectional controls that unicode.IsGraphic does not
// already exclude (all of them are format characters, category Cf, which
// it excludes; the check is explicit so that a change there cannot let
// them through).
func bidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}
