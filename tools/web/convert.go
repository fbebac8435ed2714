package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// page is an HTML document reduced to its main content, links resolved.
type page struct {
	title   string
	content *html.Node
}

// dropAlways are elements that never carry readable content: code, styling,
// embedded documents, media and form controls. Navigation and asides go too.
var dropAlways = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Iframe: true, atom.Frame: true,
	atom.Frameset: true, atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Canvas: true, atom.Video: true, atom.Audio: true,
	atom.Source: true, atom.Track: true, atom.Head: true, atom.Link: true, atom.Meta: true,
	atom.Nav: true, atom.Aside: true, atom.Input: true, atom.Button: true, atom.Select: true,
	atom.Textarea: true, atom.Option: true, atom.Datalist: true, atom.Dialog: true,
}

// dropFromBody are page chrome, dropped when no <main> or <article> names
// the content. Inside an article a <header> holds its title and stays.
//
// <form> is kept (its controls are dropped): some frameworks wrap a whole
// page in one form, and dropping it would drop the page.
var dropFromBody = map[atom.Atom]bool{atom.Header: true, atom.Footer: true}

// parsePage parses an HTML document and reduces it to its main content: the
// first <main> (or role="main"), else the first <article>, else <body>.
// Relative links and images are resolved against the document's <base> or
// finalURL; data:, javascript: and other non-web URLs are removed.
func parsePage(src string, finalURL *url.URL) (*page, error) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil, err
	}
	limitDepth(doc, maxDepth)
	p := &page{title: collapseSpace(textOf(find(doc, isAtom(atom.Title))))}
	baseURL := documentBase(doc, finalURL)
	root := find(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Main || attr(n, "role") == "main"
	})
	if root == nil {
		root = find(doc, isAtom(atom.Article))
	}
	chrome := root == nil
	if root == nil {
		root = find(doc, isAtom(atom.Body))
	}
	if root == nil {
		root = doc
	}
	prune(root, chrome)
	fixURLs(root, baseURL)
	p.content = root
	return p, nil
}

// maxDepth bounds element nesting. The parser accepts any depth, and the
// walks below and the Markdown converter recurse; a hostile page of nested
// <div>s must not exhaust the stack. Browsers cut nesting at about 512.
const maxDepth = 512

// limitDepth removes the children of nodes nested deeper than limit. It
// walks iteratively, so that it is safe at any depth.
func limitDepth(root *html.Node, limit int) {
	type item struct {
		n     *html.Node
		depth int
	}
	stack := []item{{root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth >= limit {
			for c := it.n.FirstChild; c != nil; c = it.n.FirstChild {
				it.n.RemoveChild(c)
			}
			continue
		}
		for c := it.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
}

func isAtom(a atom.Atom) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.DataAtom == a }
}

// find returns the first element, in document order, that match accepts.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// documentBase resolves <base href> against the URL the page came from.
func documentBase(doc *html.Node, finalURL *url.URL) *url.URL {
	if b := find(doc, isAtom(atom.Base)); b != nil {
		if u, err := finalURL.Parse(strings.TrimSpace(attr(b, "href"))); err == nil && isWebScheme(u.Scheme) {
			return u
		}
	}
	return finalURL
}

func isWebScheme(s string) bool { return s == "http" || s == "https" }

// prune removes what is not readable content below root.
func prune(root *html.Node, chrome bool) {
	var next *html.Node
	for c := root.FirstChild; c != nil; c = next {
		next = c.NextSibling
		switch c.Type {
		case html.CommentNode, html.DoctypeNode:
			root.RemoveChild(c)
			continue
		case html.ElementNode:
			if dropAlways[c.DataAtom] || (chrome && dropFromBody[c.DataAtom]) || hidden(c) {
				root.RemoveChild(c)
				continue
			}
		}
		prune(c, chrome)
	}
}

// hidden reports an element the page does not show.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			s := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// maxURLBytes bounds a link or image URL kept in the output.
const maxURLBytes = 2048

// fixURLs resolves links and images against base and removes URLs that are
// not web or mail addresses. An image with a data: URI is replaced by its
// alt text: inline data bloats the model's context and says nothing.
func fixURLs(n *html.Node, base *url.URL) {
	var next *html.Node
	for c := n.FirstChild; c != nil; c = next {
		next = c.NextSibling
		if c.Type != html.ElementNode {
			continue
		}
		switch c.DataAtom {
		case atom.A:
			fixURLs(c, base) // descendants first: unwrapping moves them out
			if href := resolveURL(base, attr(c, "href"), true); href != "" {
				setOrDropAttr(c, "href", href)
			} else {
				// No usable target: keep the words, lose the link.
				for gc := c.FirstChild; gc != nil; gc = c.FirstChild {
					c.RemoveChild(gc)
					n.InsertBefore(gc, c)
				}
				n.RemoveChild(c)
			}
			continue
		case atom.Img:
			src := resolveURL(base, attr(c, "src"), false)
			if src == "" {
				alt := collapseSpace(attr(c, "alt"))
				if alt == "" {
					n.RemoveChild(c)
				} else {
					n.InsertBefore(&html.Node{Type: html.TextNode, Data: alt}, c)
					n.RemoveChild(c)
				}
				continue
			}
			setOrDropAttr(c, "src", src)
			setOrDropAttr(c, "srcset", "")
		}
		fixURLs(c, base)
	}
}

// resolveURL returns raw resolved against base, or "" when it is empty, not
// a URL, too long, or of a scheme other than http, https (and mailto for
// links).
func resolveURL(base *url.URL, raw string, link bool) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURLBytes {
		return ""
	}
	u, err := base.Parse(raw)
	if err != nil {
		return ""
	}
	if isWebScheme(u.Scheme) || (link && u.Scheme == "mailto") {
		return u.String()
	}
	return ""
}

func setOrDropAttr(n *html.Node, key, val string) {
	out := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			if val == "" {
				continue
			}
			a.Val = val
		}
		out = append(out, a)
	}
	n.Attr = out
}

// newMarkdownConverter builds the html-to-markdown converter with tables
// kept as Markdown tables. A Converter is safe for concurrent use.
func newMarkdownConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
	))
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// markdown renders the page's content as Markdown.
func (p *page) markdown(ctx context.Context, conv *converter.Converter) (string, error) {
	out, err := conv.ConvertNode(p.content, converter.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(string(out), "\n\n")), nil
}

// collapseSpace joins the words of s with single spaces.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
