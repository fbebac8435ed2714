package web

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// breaks says how many line breaks surround a block element: 2 for
// paragraph-like blocks (a blank line), 1 for the others. Elements not
// listed are inline.
var breaks = map[atom.Atom]int{
	atom.P: 2, atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Ul: 2, atom.Ol: 2, atom.Dl: 2, atom.Table: 2, atom.Blockquote: 2, atom.Pre: 2,
	atom.Hr: 2, atom.Figure: 2, atom.Section: 2, atom.Article: 2, atom.Main: 2,
	atom.Header: 1, atom.Footer: 1, atom.Div: 1, atom.Li: 1, atom.Tr: 1, atom.Dt: 1, atom.Dd: 1,
	atom.Figcaption: 1, atom.Address: 1, atom.Details: 1, atom.Summary: 1, atom.Fieldset: 1,
	atom.Form: 1, atom.Caption: 1, atom.Thead: 1, atom.Tbody: 1, atom.Tfoot: 1, atom.Br: 1,
}

// textWriter collects visible text: words joined by single spaces, blocks
// on their own lines, at most one blank line in a row, <pre> verbatim.
type textWriter struct {
	b      strings.Builder
	space  bool // a space is due before the next word
	breaks int  // line breaks due before the next word
}

func (w *textWriter) lineBreak(n int) { w.breaks = max(w.breaks, n) }

// flush writes the separator that is due, if any text precedes it.
func (w *textWriter) flush() {
	if w.b.Len() > 0 {
		switch {
		case w.breaks > 0:
			w.b.WriteString(strings.Repeat("\n", w.breaks))
		case w.space:
			w.b.WriteByte(' ')
		}
	}
	w.space, w.breaks = false, 0
}

func (w *textWriter) words(s string) {
	if s == "" {
		return
	}
	if isSpace(s[0]) {
		w.space = true
	}
	for i, f := range strings.Fields(s) {
		if i > 0 {
			w.space = true
		}
		w.flush()
		w.b.WriteString(f)
	}
	if isSpace(s[len(s)-1]) {
		w.space = true
	}
}

func (w *textWriter) verbatim(s string) {
	if s == "" {
		return
	}
	w.flush()
	w.b.WriteString(s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// text renders the page's content as plain text.
func (p *page) text() string {
	var w textWriter
	w.node(p.content, false)
	return strings.TrimSpace(w.b.String())
}

func (w *textWriter) node(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		if pre {
			w.verbatim(n.Data)
		} else {
			w.words(n.Data)
		}
		return
	case html.ElementNode:
	case html.DocumentNode:
	default:
		return
	}
	br := breaks[n.DataAtom]
	w.lineBreak(br)
	switch n.DataAtom {
	case atom.Li:
		w.flush()
		w.b.WriteString("- ")
	case atom.Td, atom.Th:
		if prevCell(n) {
			w.flush()
			w.b.WriteString(" | ")
		}
	case atom.Img:
		if alt := collapseSpace(attr(n, "alt")); alt != "" {
			w.words(alt)
		}
	}
	inPre := pre || n.DataAtom == atom.Pre
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c, inPre)
	}
	w.lineBreak(br)
}

func prevCell(n *html.Node) bool {
	for s := n.PrevSibling; s != nil; s = s.PrevSibling {
		if s.Type == html.ElementNode && (s.DataAtom == atom.Td || s.DataAtom == atom.Th) {
			return true
		}
	}
	return false
}

// skipText are the elements whose content tokenText leaves out. Only
// elements with an end tag belong here: a void element (<input>, <meta>)
// would open a skip that never closes.
var skipText = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Canvas: true, atom.Video: true,
	atom.Audio: true, atom.Select: true, atom.Textarea: true, atom.Title: true,
}

// tokenText extracts the text of an HTML document the parser refused (it
// refuses nesting deeper than 512 elements): the text tokens outside
// script, style and similar elements, whitespace collapsed.
func tokenText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var w textWriter
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(w.b.String())
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipText[a] {
				skip++
			}
			w.lineBreak(breaks[a])
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipText[a] && skip > 0 {
				skip--
			}
			w.lineBreak(breaks[a])
		case html.TextToken:
			if skip == 0 {
				w.words(string(z.Text()))
			}
		}
	}
}
