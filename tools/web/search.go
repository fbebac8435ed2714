package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// SearchResult is one web_search result, in the form every provider's
// answer is normalised to.
type SearchResult struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Snippet string `json:"snippet"`
}

// Limits of web_search.
const (
	defaultMaxResults = 5
	maxQueryLength    = 1000
	maxSearchBody     = 4 << 20
)

// searchConfig is SearchConfig after defaults and validation.
type searchConfig struct {
	spec       providerSpec
	base       *url.URL
	credential string // "" when no key is sent
	timeout    time.Duration
}

func (c SearchConfig) config(vault ironcurtain.CredentialVault) (*searchConfig, error) {
	if c.Provider == "" {
		if c.BaseURL != "" || c.Credential != "" {
			return nil, errors.New("web: Search.BaseURL or Search.Credential set without Search.Provider")
		}
		return nil, nil
	}
	spec, ok := providers[strings.ToLower(c.Provider)]
	if !ok {
		return nil, fmt.Errorf("web: unknown search provider %q (want brave, tavily, serpapi or searxng)", c.Provider)
	}
	raw := c.BaseURL
	if raw == "" {
		raw = spec.defaultBase
	}
	if raw == "" {
		return nil, fmt.Errorf("web: search provider %s needs Search.BaseURL", spec.name)
	}
	base, err := url.Parse(raw)
	if err != nil || !isWebScheme(base.Scheme) || base.Host == "" || base.RawQuery != "" || base.User != nil {
		return nil, fmt.Errorf("web: Search.BaseURL %q is not an http or https URL without query or user", raw)
	}
	sc := &searchConfig{spec: spec, base: base, credential: c.Credential, timeout: c.Timeout}
	if sc.credential == "" {
		sc.credential = spec.defaultCredential
	}
	if sc.credential != "" && vault == nil {
		return nil, fmt.Errorf("web: search provider %s needs Options.Vault for credential %q", spec.name, sc.credential)
	}
	switch {
	case sc.timeout < 0:
		return nil, errors.New("web: negative Search.Timeout")
	case sc.timeout == 0:
		sc.timeout = DefaultSearchTimeout
	}
	return sc, nil
}

// searcher runs searches against the configured provider with its own
// client: the endpoint is operator configuration, not agent input, so the
// SSRF defence does not apply, but redirects are not followed and
// environment proxies are not used.
type searcher struct {
	cfg       *searchConfig
	vault     ironcurtain.CredentialVault
	transport *http.Transport
	client    *http.Client
}

func newSearcher(cfg *searchConfig, vault ironcurtain.CredentialVault) *searcher {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        4,
		IdleConnTimeout:     60 * time.Second,
	}
	return &searcher{cfg: cfg, vault: vault, transport: t, client: &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (s *searcher) close() { s.transport.CloseIdleConnections() }

// searchOutput is Result.Structured of web_search, and its output schema.
type searchOutput struct {
	Query   string         `json:"query"`
	Results []SearchResult `json:"results"`
}

// searchArgs is the arguments of web_search, and its input schema. The
// schema's maxLength of query counts characters; maxQueryLength, checked
// too, bounds its bytes.
type searchArgs struct {
	Query      string   `json:"query" schema:"minLength=1,maxLength=1000" desc:"The search query."`
	MaxResults *float64 `json:"max_results,omitempty" schema:"minimum=1,maximum=20,default=5" desc:"Number of results to return."`
}

// webSearch is the web_search handler.
func (s *Server) webSearch(ctx context.Context, in searchArgs) (ironcurtain.Result, error) {
	query := strings.TrimSpace(in.Query)
	switch {
	case query == "":
		return ironcurtain.Result{}, toolset.Failf("web_search: argument \"query\" is required")
	case len(query) > maxQueryLength:
		return ironcurtain.Result{}, toolset.Failf("web_search: argument \"query\" is longer than %d bytes", maxQueryLength)
	}
	n := defaultMaxResults
	if in.MaxResults != nil {
		v := *in.MaxResults
		if v != math.Trunc(v) {
			return ironcurtain.Result{}, toolset.Failf("web_search: argument \"max_results\" must be a whole number")
		}
		n = int(v)
	}
	if s.search == nil {
		return ironcurtain.Result{}, toolset.Failf("web_search: no search provider configured")
	}
	results, err := s.search.run(ctx, query, n)
	if err != nil {
		if ctx.Err() != nil {
			return ironcurtain.Result{}, ctx.Err()
		}
		if e, ok := toolset.AsError(err); ok {
			return ironcurtain.Result{}, e
		}
		// run returns *toolset.Error only; should anything else come, its
		// text is not shown.
		return ironcurtain.Result{}, toolset.Wrapf(err, "web_search: the search failed")
	}
	return searchResult(query, results), nil
}

// searchFailure is a failed search as a tool error: the public text, after
// "web_search: ", is the formatted message, whose operands must be fit for
// the agent; cause, which need not be, goes to the audit log with key taken
// out of its text.
func searchFailure(cause error, key, format string, a ...any) error {
	if cause != nil && key != "" {
		cause = &keyRedacted{cause, key}
	}
	return &toolset.Error{Public: "web_search: " + fmt.Sprintf(format, a...), Cause: cause}
}

// keyRedacted is an error whose text has the search key taken out: a
// *url.Error names the URL, which holds SerpApi's key, and a provider may
// quote the key in its error body. The audit log's own redaction is not
// relied on for the one secret this package handles.
type keyRedacted struct {
	err error
	key string
}

func (e *keyRedacted) Error() string { return redact(e.err.Error(), e.key) }
func (e *keyRedacted) Unwrap() error { return e.err }

// run asks the provider. Every error it returns is a *toolset.Error whose
// public text names the provider and says what failed in IronCurtain's
// words: the transport's error, the provider's error body and the vault's
// error are the cause, kept from the agent, and the key is in neither.
func (s *searcher) run(ctx context.Context, query string, n int) ([]SearchResult, error) {
	name := s.cfg.spec.name
	var key string
	if s.cfg.credential != "" {
		secret, err := s.vault.Credential(ctx, s.cfg.credential)
		// The credential's name is the operator's (a vault may take it for
		// a file name): it is in the cause, not in the agent's text.
		switch {
		case errors.Is(err, ironcurtain.ErrNoCredential):
			return nil, searchFailure(fmt.Errorf("credential %q: %w", s.cfg.credential, err), "", "the %s API key is not configured", name)
		case err == nil && secret.IsZero():
			return nil, searchFailure(fmt.Errorf("credential %q is empty", s.cfg.credential), "", "the %s API key is not configured", name)
		case err != nil:
			return nil, searchFailure(err, "", "the %s API key could not be read from the vault", name)
		}
		key = secret.Reveal()
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	req, err := s.cfg.spec.impl.request(ctx, s.cfg.base, key, query, n)
	if err != nil {
		return nil, searchFailure(err, key, "the %s request could not be built", name)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, searchFailure(err, key, "%s did not answer within %v", name, s.cfg.timeout)
		}
		if reason := netReason(err); reason != "" {
			return nil, searchFailure(err, key, "could not reach %s: %s", name, reason)
		}
		return nil, searchFailure(err, key, "could not reach %s", name)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSearchBody+1))
	switch {
	case err != nil:
		return nil, searchFailure(err, key, "reading the %s response failed", name)
	case len(body) > maxSearchBody:
		return nil, searchFailure(nil, key, "the %s response is larger than %s", name, formatBytes(maxSearchBody))
	case resp.StatusCode != http.StatusOK:
		return nil, searchFailure(providerError(resp.StatusCode, body), key, "%s", statusText(name, resp.StatusCode))
	}
	raw, err := s.cfg.spec.impl.parse(body)
	if err != nil {
		return nil, searchFailure(err, key, "%s answered with a response that could not be read", name)
	}
	return normalise(raw, n), nil
}

// statusText says, for the agent, that the provider answered with an error
// status, and what that means for the agent's next step.
func statusText(name string, code int) string {
	msg := fmt.Sprintf("%s answered HTTP %d", name, code)
	if t := http.StatusText(code); t != "" {
		msg += " " + t
	}
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		msg += "; the provider refused IronCurtain's access (its API key or the instance's settings), which only the operator can fix: retrying will not help"
	case code == http.StatusTooManyRequests:
		msg += "; the provider's rate limit or quota is used up: try again later"
	case code >= 500:
		msg += "; the provider failed: try again later"
	case code >= 400:
		msg += "; the provider rejected the request: a different query may work"
	}
	return msg
}

// providerError is the cause of an error status: the provider's message
// from its error body, or the head of the body when it has none, bounded.
func providerError(code int, body []byte) error {
	detail := providerMessage(body)
	if detail == "" {
		detail = shorten(strings.ToValidUTF8(string(body), "\uFFFD"), 1024)
	}
	return fmt.Errorf("HTTP %d: %s", code, detail)
}

// redact removes key, plain and URL-encoded, from text.
func redact(text, key string) string {
	if key == "" {
		return text
	}
	text = strings.ReplaceAll(text, key, "[redacted]")
	return strings.ReplaceAll(text, url.QueryEscape(key), "[redacted]")
}

// providerMessage digs the error text out of a provider's error body, in
// the shapes the four providers use, or "".
func providerMessage(body []byte) string {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	for _, path := range [][]string{{"error", "detail"}, {"error", "message"}, {"error"}, {"detail", "error"}, {"detail"}, {"message"}} {
		var cur any = v
		for _, k := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[k]
		}
		if s, ok := cur.(string); ok && strings.TrimSpace(s) != "" {
			return shorten(cleanText(s), 300)
		}
	}
	return ""
}

// normalise cleans provider results: markup and control characters
// removed, whitespace collapsed, lengths bounded; results without an http
// or https URL dropped; at most n kept.
func normalise(in []SearchResult, n int) []SearchResult {
	out := make([]SearchResult, 0, min(len(in), n))
	for _, r := range in {
		if len(out) == n {
			break
		}
		u, err := url.Parse(strings.TrimSpace(r.URL))
		if err != nil || !isWebScheme(u.Scheme) || u.Host == "" || len(r.URL) > maxURLBytes {
			continue
		}
		out = append(out, SearchResult{
			Title:   shorten(cleanText(r.Title), 300),
			URL:     u.String(),
			Snippet: shorten(cleanText(r.Snippet), 1000),
		})
	}
	return out
}

// cleanText turns a provider's title or snippet (which may hold <strong>
// and entities) into one line of plain text.
func cleanText(s string) string {
	var b strings.Builder
	z := html.NewTokenizerFragment(strings.NewReader(s), "div")
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt == html.TextToken {
			b.Write(z.Text())
		}
	}
	t := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, b.String())
	return strings.ToValidUTF8(collapseSpace(t), "\uFFFD")
}

// searchResult renders results the same way whatever the provider.
func searchResult(query string, results []SearchResult) ironcurtain.Result {
	var b strings.Builder
	if len(results) == 0 {
		fmt.Fprintf(&b, "No results for %q.", query)
	} else {
		fmt.Fprintf(&b, "Search results for %q:\n", query)
	}
	for i, r := range results {
		fmt.Fprintf(&b, "\n%d. %s\n   URL: %s\n", i+1, r.Title, r.URL)
		if r.Snippet != "" {
			fmt.Fprintf(&b, "   %s\n", r.Snippet)
		}
	}
	structured, _ := json.Marshal(searchOutput{query, results})
	res := ironcurtain.TextResult(strings.TrimRight(b.String(), "\n"))
	res.Structured = structured
	return res
}
