package web

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// benchPage builds an HTML page of about size bytes: site chrome around a
// main element of headings, paragraphs with links, lists, tables and code.
func benchPage(size int) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>Benchmark page</title>
<style>body{font-family:sans-serif}</style><script>window.analytics=1</script></head><body>
<header><a href="/">Site</a></header><nav><ul><li><a href="/a">A</a></li><li><a href="/b">B</a></li></ul></nav><main>`)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `<h2 id="s%d">Section %d</h2>
<p>Paragraph %d with <a href="/doc/%d">a relative link</a>, <em>emphasis</em>, <code>inline code</code> and some
ordinary words that make up the body of a documentation page about contained agents &amp; tools.</p>
<ul><li>First point %d</li><li>Second point with <a href="https://example.com/%d">an absolute link</a></li></ul>
<table><thead><tr><th>Name</th><th>Value</th><th>Note</th></tr></thead><tbody>
<tr><td>alpha</td><td>%d</td><td>first</td></tr><tr><td>beta</td><td>%d</td><td>second</td></tr></tbody></table>
<pre><code class="language-go">func f%d() error { return nil }</code></pre>
<img src="/img/%d.png" alt="figure %d">
`, i, i, i, i, i, i, i, i*2, i, i, i)
	}
	b.WriteString(`</main><footer>Footer</footer></body></html>`)
	return b.String()
}

func BenchmarkFetch200KB(b *testing.B) {
	page := benchPage(200 << 10)
	site, port := newSite(b, content("text/html; charset=utf-8", page))
	s := newLocal(b, Options{}, port)
	for _, format := range []string{"markdown", "text", "html"} {
		b.Run(format, func(b *testing.B) {
			args := map[string]any{"url": site.URL, "format": format, "max_length": 1 << 20}
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: ToolFetch, Arguments: args})
				if err != nil || res.IsError {
					b.Fatal(err, res.Text())
				}
			}
		})
	}
}

// BenchmarkConvert200KB measures parsing and conversion alone.
func BenchmarkConvert200KB(b *testing.B) {
	src := benchPage(200 << 10)
	base, _ := url.Parse("https://example.com/docs/page")
	conv := newMarkdownConverter()
	formats := []struct {
		name    string
		convert func(*page) error
	}{
		{"markdown", func(p *page) error {
			_, err := p.markdown(context.Background(), conv)
			return err
		}},
		{"text", func(p *page) error {
			_ = p.text()
			return nil
		}},
	}
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := parsePage(src, base)
				if err != nil {
					b.Fatal(err)
				}
				if err := f.convert(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckAddr(b *testing.B) {
	addrs := []netip.Addr{
		netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1"),
		netip.MustParseAddr("2606:4700::1111"), netip.MustParseAddr("64:ff9b::a9fe:a9fe"),
	}
	for b.Loop() {
		for _, a := range addrs {
			_ = CheckAddr(a)
		}
	}
}
