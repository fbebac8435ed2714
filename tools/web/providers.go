package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// provider is one search API: how to ask it and how to read its answer.
// Implementations hold no state and are safe for concurrent use.
type provider interface {
	// request builds the request for query and n results. key is "" when
	// no credential is configured.
	request(ctx context.Context, base *url.URL, key, query string, n int) (*http.Request, error)
	// parse reads a 200 response body. It models only the fields web_search
	// shows; results are cleaned by the caller.
	parse(body []byte) ([]SearchResult, error)
}

// providerSpec describes a provider: its name, defaults and implementation.
type providerSpec struct {
	name              string
	defaultBase       string
	defaultCredential string
	impl              provider
}

var providers = map[string]providerSpec{
	"brave":   {"brave", "https://api.search.brave.com", "BRAVE_API_KEY", brave{}},
	"tavily":  {"tavily", "https://api.tavily.com", "TAVILY_API_KEY", tavily{}},
	"serpapi": {"serpapi", "https://serpapi.com", "SERPAPI_API_KEY", serpAPI{}},
	"searxng": {"searxng", "", "", searxng{}},
}

// getRequest builds a GET of base/path?params with an Accept: JSON header.
func getRequest(ctx context.Context, base *url.URL, path string, params url.Values) (*http.Request, error) {
	u := base.JoinPath(path)
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// brave is the Brave Search API: GET /res/v1/web/search?q=&count=, key in
// X-Subscription-Token; results in web.results[] {title, url, description}.
type brave struct{}

func (brave) request(ctx context.Context, base *url.URL, key, query string, n int) (*http.Request, error) {
	req, err := getRequest(ctx, base, "res/v1/web/search", url.Values{"q": {query}, "count": {strconv.Itoa(n)}})
	if err == nil {
		req.Header.Set("X-Subscription-Token", key)
	}
	return req, err
}

// braveHit is one of Brave's web.results[].
type braveHit struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

func (h braveHit) result() SearchResult {
	return SearchResult{Title: h.Title, URL: h.URL, Snippet: h.Description}
}

func (brave) parse(body []byte) ([]SearchResult, error) {
	var r struct {
		Web struct {
			Results []braveHit `json:"results"`
		} `json:"web"`
	}
	return decodeHits(body, &r, &r.Web.Results)
}

// tavily is the Tavily Search API: POST /search with a JSON body {query,
// max_results}, key as a bearer token; results in results[] {title, url,
// content}.
type tavily struct{}

func (tavily) request(ctx context.Context, base *url.URL, key, query string, n int) (*http.Request, error) {
	body, err := json.Marshal(map[string]any{"query": query, "max_results": n})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.JoinPath("search").String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	return req, nil
}

func (tavily) parse(body []byte) ([]SearchResult, error) { return parseContentResults(body) }

// contentHit is one result of the shape Tavily and SearXNG share:
// {title, url, content}, the content being the snippet.
type contentHit struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Content string `json:"content"`
}

func (h contentHit) result() SearchResult {
	return SearchResult{Title: h.Title, URL: h.URL, Snippet: h.Content}
}

// parseContentResults reads the shape Tavily and SearXNG share: results[]
// of contentHit.
func parseContentResults(body []byte) ([]SearchResult, error) {
	var r struct {
		Results []contentHit `json:"results"`
	}
	return decodeHits(body, &r, &r.Results)
}

// serpAPI is SerpApi's Google engine: GET
// /search.json?engine=google&q=&num=&api_key=; results in
// organic_results[] {title, link, snippet}. It reports some failures with
// status 200 and an "error" field.
type serpAPI struct{}

func (serpAPI) request(ctx context.Context, base *url.URL, key, query string, n int) (*http.Request, error) {
	return getRequest(ctx, base, "search.json", url.Values{
		"engine": {"google"}, "q": {query}, "num": {strconv.Itoa(n)}, "api_key": {key},
	})
}

// serpAPINoResults is the error SerpApi gives, with status 200, for a query
// Google found nothing for; it is an empty result, not a failure.
const serpAPINoResults = "Google hasn't returned any results for this query."

// serpAPIHit is one of SerpApi's organic_results[].
type serpAPIHit struct {
	Title   string `json:"title"`
	Link    string `json:"link"`
	Snippet string `json:"snippet"`
}

func (h serpAPIHit) result() SearchResult {
	return SearchResult{Title: h.Title, URL: h.Link, Snippet: h.Snippet}
}

func (serpAPI) parse(body []byte) ([]SearchResult, error) {
	var r struct {
		Error          string       `json:"error"`
		OrganicResults []serpAPIHit `json:"organic_results"`
	}
	out, err := decodeHits(body, &r, &r.OrganicResults)
	if err == nil && r.Error != "" && len(out) == 0 {
		if r.Error == serpAPINoResults {
			return nil, nil
		}
		return nil, errors.New(shorten(cleanText(r.Error), 300))
	}
	return out, err
}

// searxng is a SearXNG instance's search API: GET /search?q=&format=json
// (the instance must enable the JSON format); results in results[] {title,
// url, content}. It has no count parameter: the list is cut afterwards.
type searxng struct{}

func (searxng) request(ctx context.Context, base *url.URL, key, query string, _ int) (*http.Request, error) {
	req, err := getRequest(ctx, base, "search", url.Values{"q": {query}, "format": {"json"}})
	if err == nil && key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req, err
}

func (searxng) parse(body []byte) ([]SearchResult, error) { return parseContentResults(body) }

// decodeHits decodes body into v, the response of a provider, and returns
// the hits it holds (hits points into v), in order, as search results.
func decodeHits[H interface{ result() SearchResult }](body []byte, v any, hits *[]H) ([]SearchResult, error) {
	if err := json.Unmarshal(body, v); err != nil {
		return nil, jsonError(err)
	}
	out := make([]SearchResult, 0, len(*hits))
	for _, h := range *hits {
		out = append(out, h.result())
	}
	return out, nil
}

// jsonError describes a decoding failure without quoting the body.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errors.New("malformed JSON")
	case errors.As(err, &typ):
		return errors.New("unexpected JSON shape at " + strconv.Quote(typ.Field))
	}
	return errors.New("malformed JSON")
}
