package compile

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// item is one sentence of the constitution, with the line it starts on.
type item struct {
	line int
	text string
	// prose: the sentence was written in a paragraph, not a list item.
	prose bool
	// problem is why the front end cannot read it, once it has tried,
	// and column where in the sentence (1-based).
	problem string
	column  int
}

var (
	bulletRE = regexp.MustCompile(`^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)$`)
	fenceRE  = regexp.MustCompile("^\\s*(```|~~~)")
	// ruleLikeRE spots a sentence that reads like a permission, which must
	// be enforced or refused, never taken for commentary.
	labelRE    = regexp.MustCompile(`^(\p{L}[\p{L}\p{N} /&'-]{0,40}):\s+(\p{Lu}.*)$`)
	ruleLikeRE = regexp.MustCompile(`(?i)^\s*(?:(?:the agent|the assistant|it|claude|you|agents?)\s+(?:also\s+|only\s+|always\s+)?(?:may|must|can|cannot|can't|should|shouldn't|mustn't|needs|need|requires|(?:is|are)\s+(?:allowed|free|not|never|permitted|forbidden|prohibited))\b|never\b|don't\b|do not\b|always ask\b|ask\b|only\b)`)
)

// split reads a Markdown constitution into sentences: every list item
// ("- ", "* ", "+ ", "1. ", "1) "), its indented continuation lines joined
// to it, and every paragraph, are split into sentences. Headings, block
// quotes, code blocks, tables and HTML comments are commentary. Bold and
// underline marks are dropped.
func split(src string) []item {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var out []item
	var cur *item
	indent := 0
	fence := ""
	comment := false
	// principles: the items under a heading of principles are read as
	// prose: a principle that does not say what the agent may do is
	// commentary, not a refused rule.
	principles := false
	flush := func() {
		if cur != nil {
			out = append(out, sentences(*cur)...)
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
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "<!--") {
			flush()
			comment = !strings.Contains(trimmed, "-->")
			continue
		}
		if m := bulletRE.FindStringSubmatch(l); m != nil && !isRule(trimmed) {
			flush()
			cur = &item{line: n, text: m[2], prose: principles}
			indent = len(m[1])
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			principles = strings.Contains(strings.ToLower(trimmed), "principle")
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ">") ||
			strings.HasPrefix(trimmed, "|") || isRule(trimmed) {
			flush()
			continue
		}
		lead := len(l) - len(strings.TrimLeft(l, " \t"))
		if cur != nil && (cur.prose && !principles || lead > indent) {
			cur.text += " " + trimmed
			continue
		}
		flush()
		cur = &item{line: n, text: trimmed, prose: true}
	}
	flush()
	return out
}

// isRule reports a thematic break ("---", "***").
func isRule(t string) bool {
	t = strings.ReplaceAll(t, " ", "")
	return len(t) >= 3 && (strings.Trim(t, "-") == "" || strings.Trim(t, "*") == "" || strings.Trim(t, "_") == "")
}

// sentences splits an item's text into its sentences: at ".", "!" or "?"
// followed by a space and a capital letter, outside quotes.
func sentences(it item) []item {
	text := strings.Join(strings.Fields(it.text), " ")
	text = strings.NewReplacer("**", "", "__", "").Replace(text)
	// A label before the sentence ("Files: The agent may ...") is a
	// heading of one item.
	if m := labelRE.FindStringSubmatch(text); m != nil && len(strings.Fields(m[1])) <= 4 {
		text = m[2]
	}
	var out []item
	start := 0
	quote := rune(0)
	for i, r := range text {
		switch {
		case quote != 0:
			if r == quote || (quote == '“' && r == '”') {
				quote = 0
			}
			continue
		case r == '`' || r == '"' || r == '“':
			quote = r
			continue
		case r != '.' && r != '!' && r != '?':
			continue
		}
		rest := text[i+1:]
		if !strings.HasPrefix(rest, " ") {
			continue
		}
		next, _ := utf8.DecodeRuneInString(strings.TrimLeft(rest, " "))
		if !unicode.IsUpper(next) && next != '@' {
			continue
		}
		if s := strings.TrimSpace(text[start : i+1]); s != "" {
			out = append(out, item{line: it.line, text: s, prose: it.prose})
		}
		start = i + 1
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, item{line: it.line, text: s, prose: it.prose})
	}
	return out
}

// ruleLike reports whether a sentence reads like a permission.
func ruleLike(s string) bool { return ruleLikeRE.MatchString(s) }
