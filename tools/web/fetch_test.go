package web

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

const testPage = `<!doctype html><html><head><title>  Test
  Page </title><style>.x{color:red}</style><script>var secret = 1</script></head>
<body><header>Site header</header><nav><a href="/home">Home nav</a></nav>
<main><h1>Main Title</h1>
<p>Hello <a href="/rel/link">relative link</a> and <a href="javascript:alert(1)">js</a>.</p>
<p><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" alt="inline pic"> <img src="img.png" alt="real pic"></p>
<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody><tr><td>alpha</td><td>1</td></tr></tbody></table>
<div hidden>hidden text</div><p style="display: none">invisible</p><p aria-hidden="true">aria hidden</p>
<aside>Aside text</aside><form><input value="typed"><p>form text</p></form>
</main><footer>Footer text</footer></body></html>`

func TestFetchMarkdown(t *testing.T) {
	site, port := newSite(t, content("text/html; charset=utf-8", testPage))
	s := newLocal(t, Options{}, port)
	res, out := fetchOK(t, s, map[string]any{"url": site.URL + "/dir/page.html"})
	md := out.Body
	require.Contains(t, md, "# Main Title")
	require.Contains(t, md, "[relative link]("+site.URL+"/rel/link)", "links are absolute")
	require.Contains(t, md, ") and js.", "a javascript: link keeps its words, not its target")
	require.Contains(t, md, "![real pic]("+site.URL+"/dir/img.png)", "images resolved against the page URL")
	require.Contains(t, md, "inline pic", "a data: image leaves its alt text")
	require.Contains(t, md, "| Name  | Value |", "tables are kept")
	require.Contains(t, md, "| alpha | 1     |")
	require.Contains(t, md, "form text")
	for _, gone := range []string{"data:", "javascript:", "Home nav", "Site header", "Footer text", "Aside text",
		"secret", "color:red", "hidden text", "invisible", "aria hidden", "typed"} {
		require.NotContains(t, md, gone)
	}
	require.Equal(t, "Test Page", out.Title)
	require.True(t, strings.HasPrefix(res.Text(), "HTTP 200 OK\nURL: "+site.URL+"/dir/page.html\n"), res.Text())
	require.Contains(t, res.Text(), "Title: Test Page\n")
	require.Contains(t, res.Text(), "Content-Type: text/html; charset=utf-8\n")
}

func TestFetchFormats(t *testing.T) {
	site, port := newSite(t, content("text/html; charset=utf-8", testPage))
	s := newLocal(t, Options{}, port)
	t.Run("text", func(t *testing.T) {
		_, out := fetchOK(t, s, map[string]any{"url": site.URL, "format": "text"})
		require.Contains(t, out.Body, "Main Title\n\nHello relative link and js.")
		require.Contains(t, out.Body, "Name | Value\nalpha | 1")
		require.NotContains(t, out.Body, "<")
		require.NotContains(t, out.Body, "Home nav")
		require.NotContains(t, out.Body, "  ", "whitespace collapsed")
	})
	t.Run("html", func(t *testing.T) {
		_, out := fetchOK(t, s, map[string]any{"url": site.URL, "format": "html"})
		require.Equal(t, testPage, out.Body, "raw HTML, untouched")
	})
	t.Run("markdown is the default", func(t *testing.T) {
		_, def := fetchOK(t, s, map[string]any{"url": site.URL})
		_, md := fetchOK(t, s, map[string]any{"url": site.URL, "format": "markdown"})
		require.Equal(t, md.Body, def.Body)
	})
}

func TestFetchMainContentChoice(t *testing.T) {
	tests := []struct {
		name, page, want, notWant string
	}{
		{"article keeps its header", `<body><nav>menu</nav><article><header><h1>Post</h1></header><p>Body</p></article><footer>foot</footer></body>`,
			"# Post\n\nBody", "menu"},
		{"body without chrome", `<body><header>top</header><p>Only body</p><footer>foot</footer></body>`,
			"Only body", "top"},
		{"role main", `<body><div>chrome</div><div role="main"><p>Real</p></div></body>`, "Real", "chrome"},
		{"main over article", `<body><article>side story</article><main><p>Main one</p></main></body>`, "Main one", "side story"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site, port := newSite(t, content("text/html", tc.page))
			s := newLocal(t, Options{}, port)
			_, out := fetchOK(t, s, map[string]any{"url": site.URL})
			require.Contains(t, out.Body, tc.want)
			require.NotContains(t, out.Body, tc.notWant)
		})
	}
}

func TestFetchNonHTML(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"json", "application/json", `{"a": [1, 2, "<b>x</b>"]}`},
		{"problem json", "application/problem+json", `{"title": "nope"}`},
		{"plain", "text/plain; charset=utf-8", "line one\n  line two"},
		{"xml", "application/xml", "<a><b>x</b></a>"},
		{"csv", "text/csv", "a,b\n1,2"},
		{"octet stream holding text", "application/octet-stream", "just text"},
		{"no content type, text", "", "plain words"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site, port := newSite(t, content(tc.contentType, tc.body))
			s := newLocal(t, Options{}, port)
			for _, format := range []string{"markdown", "text", "html"} {
				_, out := fetchOK(t, s, map[string]any{"url": site.URL, "format": format})
				require.Equal(t, tc.body, out.Body, "returned as is, whatever the format")
			}
		})
	}
}

func TestFetchBinaryRefused(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	tests := []struct {
		name, contentType, body, want string
	}{
		{"declared image", "image/png", png, "image/png, a binary type"},
		{"declared pdf", "application/pdf", "%PDF-1.7", "application/pdf, a binary type"},
		{"sniffed", "", png, "looks like image/png"},
		{"octet stream sniffed", "application/octet-stream", "PK\x03\x04zip", "looks like application/zip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site, port := newSite(t, content(tc.contentType, tc.body))
			s := newLocal(t, Options{}, port)
			require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL}), tc.want)
		})
	}
}

func TestFetchStatusesAreResults(t *testing.T) {
	for _, code := range []int{404, 500, 418, 204} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(code)
				if code != 204 {
					_, _ = w.Write([]byte("status body"))
				}
			}))
			s := newLocal(t, Options{}, port)
			res, out := fetchOK(t, s, map[string]any{"url": site.URL})
			require.Equal(t, code, out.Status)
			require.True(t, strings.HasPrefix(res.Text(), fmt.Sprintf("HTTP %d %s\n", code, http.StatusText(code))))
		})
	}
}

func TestFetchKeyHeaders(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Set-Cookie", "session=s3cr3t")
		w.Header().Set("Content-Length", "5")
		_, _ = w.Write([]byte("hello"))
	}))
	s := newLocal(t, Options{}, port)
	res, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Equal(t, map[string]string{
		"content-type": "text/plain", "content-length": "5",
		"last-modified": "Wed, 21 Oct 2015 07:28:00 GMT", "etag": `"abc"`,
	}, out.Headers)
	require.Contains(t, res.Text(), "ETag: \"abc\"\n")
	require.NotContains(t, res.Text(), "s3cr3t", "only key headers are shown")
}

// echo answers with the request headers it received, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	h := map[string]string{"Host": r.Host, "Method": r.Method}
	for k, v := range r.Header {
		h[k] = strings.Join(v, ",")
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h)
}

func TestFetchRequestHeaders(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(echo))
	s := newLocal(t, Options{UserAgent: "TestAgent/1"}, port)
	res, out := fetchOK(t, s, map[string]any{"url": site.URL, "headers": map[string]any{
		"X-Custom":        "kept",
		"accept-language": "sk-SK",
		"User-Agent":      "evil",
		"Host":            "internal.corp",
		"Authorization":   "Bearer abc",
		"Cookie":          "a=b",
		"X-Api-Key":       "k",
		"X-Forwarded-For": "127.0.0.1",
		"X-Note":          "Bearer hidden",
		"Accept-Encoding": "identity",
	}})
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(out.Body), &got))
	require.Equal(t, "GET", got["Method"])
	require.Equal(t, "TestAgent/1", got["User-Agent"], "the User-Agent is fixed")
	require.Equal(t, fmt.Sprintf("127.0.0.1:%d", port), got["Host"])
	require.Equal(t, "kept", got["X-Custom"])
	require.Equal(t, "sk-SK", got["Accept-Language"])
	require.Equal(t, "gzip", got["Accept-Encoding"], "the transport's own")
	require.Equal(t, defaultAccept, got["Accept"], "a default Accept when the agent sets none")
	for _, h := range []string{"Authorization", "Cookie", "X-Api-Key", "X-Forwarded-For", "X-Note"} {
		require.NotContains(t, got, h)
	}
	require.Len(t, out.DroppedHeaders, 8)
	require.Contains(t, res.Text(), "Dropped request headers: Accept-Encoding (set by the HTTP client), Authorization (credentials are never sent)")
	require.Contains(t, res.Text(), "User-Agent (fixed by IronCurtain)")
}

func TestFetchDefaultUserAgent(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(echo))
	s := newLocal(t, Options{}, port)
	_, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Contains(t, out.Body, `"User-Agent":"IronCurtain-Go/`)
	require.Contains(t, out.Body, `(+contained AI agent)`)
}

func TestFetchArguments(t *testing.T) {
	s := newLocal(t, Options{})
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"missing url", map[string]any{}, `"url" is required`},
		{"unknown argument", map[string]any{"url": "http://x.test/", "method": "POST"}, `argument "method" is not a known argument`},
		{"url not a string", map[string]any{"url": 7}, `"url" must be a string`},
		{"not a URL", map[string]any{"url": "http://[::1"}, "not a valid URL"},
		{"relative", map[string]any{"url": "/etc/passwd"}, "only http and https"},
		{"file", map[string]any{"url": "file:///etc/passwd"}, `not "file"`},
		{"ftp", map[string]any{"url": "ftp://example.com/x"}, `not "ftp"`},
		{"data", map[string]any{"url": "data:text/plain,hi"}, `not "data"`},
		{"javascript", map[string]any{"url": "javascript:alert(1)"}, `not "javascript"`},
		{"no host", map[string]any{"url": "http:///path"}, "no host"},
		{"user info", map[string]any{"url": "http://user:pass@example.com/"}, "user names or passwords"},
		{"port", map[string]any{"url": "http://example.com:8080/"}, "port 8080 is not allowed"},
		{"bad port", map[string]any{"url": "http://example.com:0/"}, "port is not valid"},
		{"too long", map[string]any{"url": "http://example.com/" + strings.Repeat("a", 9000)}, `argument "url" must be at most 8192 characters long`},
		{"too many bytes", map[string]any{"url": "http://example.com/" + strings.Repeat("é", 5000)}, "longer than 8192 bytes"},
		{"url null", map[string]any{"url": nil}, `argument "url" must be a string`},
		{"format", map[string]any{"url": "http://x.test/", "format": "pdf"}, `"format" must be`},
		{"timeout low", map[string]any{"url": "http://x.test/", "timeout": 0}, `argument "timeout" must be at least 1`},
		{"timeout high", map[string]any{"url": "http://x.test/", "timeout": 61}, `argument "timeout" must be at most 60`},
		{"max_length zero", map[string]any{"url": "http://x.test/", "max_length": 0}, `argument "max_length" must be at least 1`},
		{"max_length fraction", map[string]any{"url": "http://x.test/", "max_length": 1.5}, `"max_length" must be a whole number`},
		{"headers not strings", map[string]any{"url": "http://x.test/", "headers": map[string]any{"A": 1}}, "must be a string"},
		{"literal private address", map[string]any{"url": "http://10.0.0.1/"}, "a private address (10.0.0.0/8)"},
		{"zoned IPv6 literal", map[string]any{"url": "http://[fe80::1%25eth0]/"}, "refused: the host is a scoped (zoned) address"},
		{"metadata over IPv6", map[string]any{"url": "http://[fd00:ec2::254]/"}, "cloud metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, fetchErr(t, s, tc.args), tc.want)
		})
	}
}

func TestCallerCancellationIsAnError(t *testing.T) {
	s := newLocal(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Call(ctx, ironcurtain.ToolCall{Tool: ToolFetch, Arguments: map[string]any{"url": "http://127.0.0.1/"}})
	require.ErrorIs(t, err, context.Canceled)
}

func TestFetchHTTPS(t *testing.T) {
	site := httptest.NewTLSServer(content("text/plain", "over TLS"))
	defer site.Close()
	port := portOf(t, site.URL)
	pool := x509.NewCertPool()
	pool.AddCert(site.Certificate())

	s := newLocal(t, Options{RootCAs: pool}, port)
	_, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Equal(t, "over TLS", out.Body)

	untrusting := newLocal(t, Options{}, port)
	require.Contains(t, fetchErr(t, untrusting, map[string]any{"url": site.URL}), "certificate")
}

// A connection failure reads as one, without the address dialled.
func TestFetchConnectionRefused(t *testing.T) {
	site, port := newSite(t, http.NotFoundHandler())
	target := site.URL
	site.Close()
	s := newLocal(t, Options{}, port)
	msg := fetchErr(t, s, map[string]any{"url": target})
	require.Equal(t, "http_fetch: "+target+": could not connect: connection refused", msg)
}
