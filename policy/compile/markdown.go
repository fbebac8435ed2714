package compile

import (
	"regexp"
	"strings"
)

// item is one list item of the constitution: a sentence, with the line it
// starts on.
type item struct {
	line int
	text string
	// problem is why the front end cannot read it, once it has tried.
	problem string
}

var (
	bulletRE = regexp.MustCompile(`^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)$`)
	fenceRE  = regexp.MustCompile("^\\s*(```|~~~)")
	// proseRuleRE spots a permission sentence written as prose, which would
	// otherwise be silently ignored.
	proseRuleRE = regexp.MustCompile(`(?i)^\s*(?:(?:the agent|the assistant) (?:may|must|can|cannot|needs|is allowed|is free)|(?:it|claude|you) (?:may|must|cannot|is allowed|are allowed))\b`)
)

// split reads a Markdown constitution: every list item ("- ", "* ", "+ ",
// "1. ") is a sentence, its indented continuation lines joined to it;
// everything else — headings, paragraphs, quotes, code blocks, HTML
// comments — is commentary. A paragraph line that reads like a permission
// sentence is returned in prose, so that it can be reported rather than
// ignored.
func split(src string) (items, prose []item) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var cur *item
	indent := 0
	fence := ""
	comment := false
	flush := func() {
		if cur != nil {
			cur.text = strings.Join(strings.Fields(cur.text), " ")
			if cur.text != "" {
				items = append(items, *cur)
			}
			cur = nil
		}
	}
	for i, l := range lines {
		n := i + 1
		switch {
		case fence != "":
			if strings.HasPrefix(strings.TrimSpace(l), fence) {
				fence = ""
			}
			continue
		case comment:
			if strings.Contains(l, "-->") {
				comment = false
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(l); m != nil {
			flush()
			fence = m[1]
			continue
		}
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "<!--") {
			flush()
			comment = !strings.Contains(t, "-->")
			continue
		}
		if m := bulletRE.FindStringSubmatch(l); m != nil {
			flush()
			cur = &item{line: n, text: m[2]}
			indent = len(m[1])
			continue
		}
		trimmed := strings.TrimSpace(l)
		if trimmed == "" {
			flush()
			continue
		}
		lead := len(l) - len(strings.TrimLeft(l, " \t"))
		if cur != nil && lead > indent && !strings.HasPrefix(trimmed, "#") {
			cur.text += " " + trimmed
			continue
		}
		flush()
		if proseRuleRE.MatchString(l) {
			prose = append(prose, item{line: n, text: trimmed})
		}
	}
	flush()
	return items, prose
}
