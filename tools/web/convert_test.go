package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

func mustPage(t *testing.T, src, base string) *page {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	p, err := parsePage(src, u)
	require.NoError(t, err)
	return p
}

func TestMarkdownLinksAndImages(t *testing.T) {
	src := `<html><head><base href="/docs/"></head><body><main>
<p><a href="guide.html">guide</a> <a href="mailto:a@example.com">mail</a> <a href="data:text/html,x">data link</a>
<a href="vbscript:x">vb</a> <a href="#top">top</a> <a href="//other.example/x">proto-relative</a></p>
<p><img src="data:image/gif;base64,R0lGOD"> <img src="pic.png" srcset="a.png 2x, b.png 3x" alt="pic">
<a href="javascript:void(0)"><img src="in-link.png" alt="linked"></a></p></main></body></html>`
	p := mustPage(t, src, "https://site.example/a/b")
	md, err := p.markdown(context.Background(), newMarkdownConverter())
	require.NoError(t, err)
	require.Contains(t, md, "[guide](https://site.example/docs/guide.html)", "<base> is respected")
	require.Contains(t, md, "[mail](mailto:a@example.com)")
	require.Contains(t, md, "data link", "a data: link keeps its words")
	require.Contains(t, md, "[top](https://site.example/docs/#top)", "fragments resolve against <base> too, as in browsers")
	require.Contains(t, md, "[proto-relative](https://other.example/x)")
	require.Contains(t, md, "![pic](https://site.example/docs/pic.png)")
	require.Contains(t, md, "![linked](https://site.example/docs/in-link.png)", "an unwrapped link's image is still fixed")
	for _, gone := range []string{"data:", "vbscript", "javascript", "srcset", "a.png", "R0lGOD"} {
		require.NotContains(t, md, gone)
	}
}

func TestTextRendering(t *testing.T) {
	src := `<body><h1>Head</h1><p>one
	two   three</p><ul><li>a</li><li>b <b>bold</b></li></ul><pre>  keep
    this</pre><p>x<br>y</p><table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table>
	<div><div><div>nested</div></div></div><p>end</p></body>`
	p := mustPage(t, src, "http://x.example/")
	require.Equal(t, "Head\n\none two three\n\n- a\n- b bold\n\n  keep\n    this\n\nx\ny\n\nk | v\n1 | 2\n\nnested\n\nend", p.text())
}

// The parser refuses pages nested deeper than 512 elements; such a page
// still yields its text, and nothing recurses without bound.
func TestDeeplyNestedPage(t *testing.T) {
	src := strings.Repeat("<div>", 100000) + "deep words<script>no()</script>" + strings.Repeat("</div>", 100000)
	_, err := parsePage(src, &url.URL{Scheme: "http", Host: "x"})
	require.Error(t, err, "x/net/html caps nesting")
	require.Equal(t, "deep words", tokenText(src))

	site, port := newSite(t, content("text/html", src))
	s := newLocal(t, Options{}, port)
	for _, format := range []string{"markdown", "text"} {
		_, out := fetchOK(t, s, map[string]any{"url": site.URL, "format": format})
		require.Equal(t, "deep words", out.Body)
	}
}

func TestLimitDepth(t *testing.T) {
	root := &html.Node{Type: html.DocumentNode}
	n := root
	for range 2000 {
		c := &html.Node{Type: html.ElementNode, Data: "div"}
		n.AppendChild(c)
		n = c
	}
	limitDepth(root, 10)
	depth := 0
	for n = root; n.FirstChild != nil; n = n.FirstChild {
		depth++
	}
	require.Equal(t, 10, depth)
}

func TestTokenText(t *testing.T) {
	tests := map[string]string{
		`<input><meta charset=x><p>after void</p>`:              "after void",
		`<style>a{}</style><p>a</p><p>b</p>`:                    "a\n\nb",
		`<title>t</title><select><option>o</select><b>bold</b>`: "bold",
		`</script>stray end<script>x</script>`:                  "stray end",
		`<svg><text>drawn</text></svg>shown`:                    "shown",
		`<div>one</div><div>two</div>`:                          "one\ntwo",
	}
	for in, want := range tests {
		require.Equal(t, want, tokenText(in), in)
	}
}

func TestPageTitle(t *testing.T) {
	require.Equal(t, "A B", mustPage(t, "<title>\n A \t B </title><p>x", "http://x/").title)
	require.Empty(t, mustPage(t, "<p>x", "http://x/").title)
}
