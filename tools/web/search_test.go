package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testvault"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

const testKey = "KEY-0123456789abcdef"

// The same three hits in each provider's documented response shape, plus a
// hit without a web URL that must be dropped.
var providerAnswers = map[string]string{
	"brave": `{"type":"search","query":{"original":"golang"},"web":{"type":"search","results":[
		{"title":"The <strong>Go</strong> Programming Language","url":"https://go.dev/","description":"Go is an open source language &amp; more.","age":"2 days"},
		{"title":"Go (programming language)","url":"https://en.wikipedia.org/wiki/Go_(programming_language)","description":"Go is a  statically typed\nlanguage."},
		{"title":"Bad","url":"javascript:alert(1)","description":"dropped"},
		{"title":"A Tour of Go","url":"https://go.dev/tour/","description":""}]}}`,
	"tavily": `{"query":"golang","answer":null,"response_time":1.1,"results":[
		{"title":"The Go Programming Language","url":"https://go.dev/","content":"Go is an open source language & more.","score":0.9},
		{"title":"Go (programming language)","url":"https://en.wikipedia.org/wiki/Go_(programming_language)","content":"Go is a statically typed language.","score":0.8},
		{"title":"Bad","url":"javascript:alert(1)","content":"dropped","score":0.7},
		{"title":"A Tour of Go","url":"https://go.dev/tour/","content":"","score":0.6}]}`,
	"serpapi": `{"search_metadata":{"status":"Success"},"organic_results":[
		{"position":1,"title":"The Go Programming Language","link":"https://go.dev/","snippet":"Go is an open source language &amp; more."},
		{"position":2,"title":"Go (programming language)","link":"https://en.wikipedia.org/wiki/Go_(programming_language)","snippet":"Go is a statically typed language."},
		{"position":3,"title":"Bad","link":"javascript:alert(1)","snippet":"dropped"},
		{"position":4,"title":"A Tour of Go","link":"https://go.dev/tour/"}]}`,
	"searxng": `{"query":"golang","number_of_results":0,"answers":[],"results":[
		{"url":"https://go.dev/","title":"The Go Programming Language","content":"Go is an open source language & more.","engine":"google"},
		{"url":"https://en.wikipedia.org/wiki/Go_(programming_language)","title":"Go (programming language)","content":"Go is a statically typed language.","engine":"wikipedia"},
		{"url":"javascript:alert(1)","title":"Bad","content":"dropped"},
		{"url":"https://go.dev/tour/","title":"A Tour of Go","content":""},
		{"url":"https://go.dev/doc/","title":"Fourth, cut by max_results","content":""}]}`,
}

const wantRendered = `Search results for "golang":

1. The Go Programming Language
   URL: https://go.dev/
   Go is an open source language & more.

2. Go (programming language)
   URL: https://en.wikipedia.org/wiki/Go_(programming_language)
   Go is a statically typed language.

3. A Tour of Go
   URL: https://go.dev/tour/`

// checkRequest asserts the provider's documented request shape.
func checkRequest(t *testing.T, provider string, r *http.Request) {
	q := r.URL.Query()
	switch provider {
	case "brave":
		require.Equal(t, "GET /res/v1/web/search", r.Method+" "+r.URL.Path)
		require.Equal(t, "golang", q.Get("q"))
		require.Equal(t, "3", q.Get("count"))
		require.Equal(t, testKey, r.Header.Get("X-Subscription-Token"))
	case "tavily":
		require.Equal(t, "POST /search", r.Method+" "+r.URL.Path)
		require.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var body map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		require.Equal(t, map[string]any{"query": "golang", "max_results": float64(3)}, body)
	case "serpapi":
		require.Equal(t, "GET /search.json", r.Method+" "+r.URL.Path)
		require.Equal(t, "google", q.Get("engine"))
		require.Equal(t, "golang", q.Get("q"))
		require.Equal(t, "3", q.Get("num"))
		require.Equal(t, testKey, q.Get("api_key"))
	case "searxng":
		require.Equal(t, "GET /searx/search", r.Method+" "+r.URL.Path)
		require.Equal(t, "golang", q.Get("q"))
		require.Equal(t, "json", q.Get("format"))
		require.Empty(t, r.Header.Get("Authorization"), "no key configured, none sent")
	}
}

// newSearch returns a Server whose provider is a local server running h.
func newSearch(t *testing.T, provider string, h http.HandlerFunc, vault ironcurtain.CredentialVault) *Server {
	site, _ := newSite(t, h)
	base := site.URL
	if provider == "searxng" {
		base += "/searx"
	}
	// No AllowNetworks: the provider's base URL is operator configuration and
	// does not go through the SSRF defence.
	s, err := New(Options{Search: SearchConfig{Provider: provider, BaseURL: base, Timeout: time.Second}, Vault: vault})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSearchProviders(t *testing.T) {
	for provider, answer := range providerAnswers {
		t.Run(provider, func(t *testing.T) {
			s := newSearch(t, provider, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, provider, r)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, answer)
			}, testvault.Map{"BRAVE_API_KEY": testKey, "TAVILY_API_KEY": testKey, "SERPAPI_API_KEY": testKey})
			res := call(t, s, ToolSearch, map[string]any{"query": "  golang ", "max_results": 3})
			require.False(t, res.IsError, res.Text())
			require.Equal(t, wantRendered, res.Text(), "the same rendering whatever the provider")
			var out struct {
				Query   string         `json:"query"`
				Results []SearchResult `json:"results"`
			}
			require.NoError(t, json.Unmarshal(res.Structured, &out))
			require.Equal(t, "golang", out.Query)
			require.Len(t, out.Results, 3)
			require.Equal(t, SearchResult{"A Tour of Go", "https://go.dev/tour/", ""}, out.Results[2])
		})
	}
}

// A provider's error reaches the agent as its status and what to do next;
// the provider's own message, which may quote the key or name its
// internals, goes to the audit log only, with the key taken out.
func TestSearchProviderErrors(t *testing.T) {
	vault := testvault.Map{"BRAVE_API_KEY": testKey, "TAVILY_API_KEY": testKey, "SERPAPI_API_KEY": testKey}
	const (
		denied  = "; the provider refused IronCurtain's access (its API key or the instance's settings), which only the operator can fix: retrying will not help"
		garbled = " answered with a response that could not be read"
	)
	tests := []struct {
		name, provider string
		status         int
		body           string
		want           string // the agent's text
		detail         string // in the audit entry, not in the agent's text
	}{
		{"brave 401", "brave", 401, `{"type":"ErrorResponse","error":{"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"The provided subscription token ` + testKey + ` is invalid.","status":401}}`,
			"brave answered HTTP 401 Unauthorized" + denied, "HTTP 401: The provided subscription token [redacted] is invalid."},
		{"brave 429", "brave", 429, `{"type":"ErrorResponse","error":{"code":"RATE_LIMITED","detail":"Request rate limit exceeded."}}`,
			"brave answered HTTP 429 Too Many Requests; the provider's rate limit or quota is used up: try again later", "Request rate limit exceeded."},
		{"tavily 401", "tavily", 401, `{"detail":{"error":"Unauthorized: missing or invalid API key."}}`,
			"tavily answered HTTP 401 Unauthorized" + denied, "Unauthorized: missing or invalid API key."},
		{"tavily 400", "tavily", 400, `{"detail":{"error":"Query is too long."}}`,
			"tavily answered HTTP 400 Bad Request; the provider rejected the request: a different query may work", "Query is too long."},
		{"serpapi 401", "serpapi", 401, `{"error":"Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key?k=` + testKey + `"}`,
			"serpapi answered HTTP 401 Unauthorized" + denied, "Invalid API key."},
		{"serpapi 503", "serpapi", 503, `{"error":"upstream pool exhausted"}`,
			"serpapi answered HTTP 503 Service Unavailable; the provider failed: try again later", "upstream pool exhausted"},
		{"serpapi error with 200", "serpapi", 200, `{"error":"Your account has run out of searches."}`,
			"serpapi" + garbled, "Your account has run out of searches."},
		{"searxng 403 html", "searxng", 403, `<html>Forbidden</html>`, "searxng answered HTTP 403 Forbidden" + denied, "HTTP 403: <html>Forbidden</html>"},
		{"unknown status", "searxng", 499, `{}`, "searxng answered HTTP 499; the provider rejected the request: a different query may work", "HTTP 499: {}"},
		{"malformed JSON", "brave", 200, `{"web": {"results": [`, "brave" + garbled, "malformed JSON"},
		{"wrong shape", "tavily", 200, `{"results": "none"}`, "tavily" + garbled, `unexpected JSON shape at "results"`},
		{"not JSON at all", "searxng", 200, `<html>search page</html>`, "searxng" + garbled, "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSearch(t, tc.provider, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}, vault)
			g := toolsettest.Gate(t, ServerName, s)
			res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: ToolSearch, Arguments: map[string]any{"query": "q"}})
			require.NoError(t, err)
			require.True(t, res.IsError)
			require.Equal(t, "web_search: "+tc.want, res.Text())
			require.NotContains(t, res.Text(), tc.detail)
			audited := g.Audited()
			require.Len(t, audited, 1)
			require.Contains(t, audited[0].Error, tc.detail)
			require.NotContains(t, audited[0].Error, testKey)
		})
	}
}

func TestSerpAPINoResults(t *testing.T) {
	s := newSearch(t, "serpapi", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"search_metadata":{"status":"Success"},"error":"`+serpAPINoResults+`"}`)
	}, testvault.Map{"SERPAPI_API_KEY": testKey})
	res := call(t, s, ToolSearch, map[string]any{"query": "zzqqxx"})
	require.False(t, res.IsError)
	require.Equal(t, `No results for "zzqqxx".`, res.Text())
}

// failingVault fails every lookup with an internal error.
type failingVault struct{}

func (failingVault) Credential(context.Context, string) (ironcurtain.Secret, error) {
	return ironcurtain.Secret{}, errors.New("vault at /run/secrets unreachable")
}
func (failingVault) Secrets(context.Context) ([]ironcurtain.Secret, error) {
	return nil, errors.New("no")
}

func TestSearchCredentials(t *testing.T) {
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, providerAnswers["brave"]) }
	t.Run("missing key", func(t *testing.T) {
		s := newSearch(t, "brave", ok, testvault.Map{})
		g := toolsettest.Gate(t, ServerName, s)
		res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: ToolSearch, Arguments: map[string]any{"query": "q"}})
		require.NoError(t, err)
		require.True(t, res.IsError)
		require.Equal(t, "web_search: the brave API key is not configured", res.Text())
		require.Contains(t, g.Audited()[0].Error, `credential "BRAVE_API_KEY"`, "the operator learns which credential is missing")
	})
	t.Run("empty key", func(t *testing.T) {
		s := newSearch(t, "brave", ok, testvault.Map{"BRAVE_API_KEY": ""})
		require.Contains(t, call(t, s, ToolSearch, map[string]any{"query": "q"}).Text(), "is not configured")
	})
	t.Run("vault failure", func(t *testing.T) {
		s := newSearch(t, "brave", ok, failingVault{})
		res := call(t, s, ToolSearch, map[string]any{"query": "q"})
		require.Equal(t, "web_search: the brave API key could not be read from the vault", res.Text())
	})
	t.Run("custom credential name", func(t *testing.T) {
		site, _ := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "Bearer instance-token", r.Header.Get("Authorization"))
			_, _ = io.WriteString(w, providerAnswers["searxng"])
		}))
		s, err := New(Options{
			Search: SearchConfig{Provider: "SearXNG", BaseURL: site.URL, Credential: "searx"},
			Vault:  testvault.Map{"searx": "instance-token"},
		})
		require.NoError(t, err)
		defer s.Close()
		require.False(t, call(t, s, ToolSearch, map[string]any{"query": "q"}).IsError)
	})
}

// A transport failure must not leak the key, though SerpApi carries it in
// the URL, which net/http puts in its error text.
func TestSearchUnreachableDoesNotLeakKey(t *testing.T) {
	site, _ := newSite(t, http.NotFoundHandler())
	base := site.URL
	site.Close()
	s, err := New(Options{Search: SearchConfig{Provider: "serpapi", BaseURL: base}, Vault: testvault.Map{"SERPAPI_API_KEY": testKey}})
	require.NoError(t, err)
	defer s.Close()
	res := call(t, s, ToolSearch, map[string]any{"query": "q"})
	require.True(t, res.IsError)
	require.Contains(t, res.Text(), "could not reach serpapi")
	require.NotContains(t, res.Text(), testKey)
	require.NotContains(t, res.Text(), "api_key")
}

func TestSearchTimeout(t *testing.T) {
	site, _ := newSite(t, http.HandlerFunc(hang))
	s, err := New(Options{Search: SearchConfig{Provider: "searxng", BaseURL: site.URL, Timeout: 50 * time.Millisecond}})
	require.NoError(t, err)
	defer s.Close()
	res := call(t, s, ToolSearch, map[string]any{"query": "q"})
	require.Equal(t, "web_search: searxng did not answer within 50ms", res.Text())
}

func TestSearchNotConfiguredAndArguments(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "web_search: no search provider configured", call(t, s, ToolSearch, map[string]any{"query": "q"}).Text())
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{}, `"query" is required`},
		{map[string]any{"query": "   "}, `"query" is required`},
		{map[string]any{"query": strings.Repeat("q", 1001)}, `argument "query" must be at most 1000 characters long`},
		{map[string]any{"query": strings.Repeat("é", 600)}, "longer than 1000 bytes"},
		{map[string]any{"query": ""}, `argument "query" must be at least 1 characters long`},
		{map[string]any{"query": "q", "max_results": 0}, `argument "max_results" must be at least 1`},
		{map[string]any{"query": "q", "max_results": 21}, `argument "max_results" must be at most 20`},
		{map[string]any{"query": "q", "max_results": 2.5}, `argument "max_results" must be a whole number`},
		{map[string]any{"query": "q", "page": 2}, `argument "page" is not a known argument`},
	}
	for _, tc := range tests {
		res := call(t, s, ToolSearch, tc.args)
		require.True(t, res.IsError)
		require.Contains(t, res.Text(), tc.want)
	}
}

func TestCleanText(t *testing.T) {
	tests := map[string]string{
		"The <strong>Go</strong> language": "The Go language",
		"a &amp; b &lt;c&gt;":              "a & b <c>",
		"line\none\ttab\x00nul\x1b[31mred": "line one tab nul [31mred",
		"x < y and y > z":                  "x < y and y > z",
		"<script>alert(1)</script>visible": "alert(1)visible",
		"bad \xff utf8":                    "bad \uFFFD utf8",
	}
	for in, want := range tests {
		require.Equal(t, want, cleanText(in), in)
	}
}

func FuzzProviderParse(f *testing.F) {
	for _, a := range providerAnswers {
		f.Add([]byte(a))
	}
	f.Add([]byte(`{"error":{"detail":"x"},"detail":{"error":"y"}}`))
	f.Add([]byte(`{"web":{"results":[{"title":"<b>","url":"http://x\u0000y/"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = providerMessage(body)
		for name, spec := range providers {
			raw, err := spec.impl.parse(body)
			if err != nil {
				require.LessOrEqual(t, len(err.Error()), 310, "%s: errors never quote the body at length", name)
				continue
			}
			for _, r := range normalise(raw, 20) {
				require.True(t, strings.HasPrefix(r.URL, "http://") || strings.HasPrefix(r.URL, "https://"), r.URL)
				for _, s := range []string{r.Title, r.Snippet} {
					require.False(t, strings.ContainsFunc(s, unicode.IsControl), "%q", s)
					require.LessOrEqual(t, len(s), 1003)
				}
			}
		}
	})
}
