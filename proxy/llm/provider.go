package llm

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Provider describes one LLM API the proxy lets the agent reach: where it
// lives, which requests are allowed, where the API key travels, what the
// agent's fake key looks like, and which credential replaces it.
//
// The built-in providers are returned by [Anthropic], [OpenAI] and
// [Google]; change a returned value to allow more endpoints or to route
// through a gateway.
type Provider struct {
	// Name identifies the provider in fake keys, audit records and the
	// base-URL mode, where requests to "/<Name>/..." go to this provider.
	// Lower-case letters, digits and '-'.
	Name string
	// Hosts are the host names the agent may reach through CONNECT
	// (lower-case, without port; port 443 is implied). The first is the
	// host of the base-URL mode.
	Hosts []string
	// Endpoints are the requests allowed; anything else is refused with 403.
	Endpoints []Endpoint
	// Keys are the places the API key may travel in. A request must carry
	// the fake key in at least one of them and nothing else in any of them;
	// the real key replaces the fake one where it was found.
	Keys []KeySlot
	// FakeKey is the shape of the session's fake key.
	FakeKey KeyFormat
	// Credential names the real key in the CredentialVault.
	Credential string
	// Filter, if set, sees and may rewrite every request body before it
	// goes upstream. The built-in providers check bodies against the
	// fields their endpoints take ([AnthropicFilter], ...), refusing
	// server-side tools, connectors and content by URL.
	Filter BodyFilter
	// Upstream, if set, sends allowed requests to this base URL instead of
	// the requested host: "https://gateway.example/anthropic". Its path is
	// prefixed to the request path. It must be https unless the host is a
	// loopback address.
	Upstream string
}

// Endpoint is one allowed request: a method and a path pattern.
//
// The pattern is a path of literal segments; a '*' in a segment matches one
// or more characters other than '/', so "/v1beta/models/*:generateContent"
// matches "/v1beta/models/gemini-2.5-pro:generateContent" and nothing with
// another slash in it. A segment has at most one '*'. The query string is
// not part of the match.
type Endpoint struct {
	Method string
	Path   string
}

// KeySlot is one place an API key travels in: a header, optionally after
// a scheme ("Authorization: Bearer <key>"), or a query parameter.
// Exactly one of Header and Query is set.
type KeySlot struct {
	Header string
	// Scheme, with Header, is the word before the key, such as "Bearer".
	Scheme string
	Query  string
}

// KeyFormat is the shape of a fake key: Prefix, then Length random
// characters from the URL-safe base64 alphabet, then Suffix. Keys shaped
// like the provider's own pass the format checks agents and SDKs make.
type KeyFormat struct {
	Prefix string
	Length int
	Suffix string
}

// Anthropic returns the Anthropic Messages API: api.anthropic.com, the key
// in x-api-key (or as a bearer token), fake keys shaped like
// "sk-ant-api03-…", the credential ANTHROPIC_API_KEY, and bodies checked
// by [AnthropicFilter].
func Anthropic() Provider {
	return Provider{
		Name:  "anthropic",
		Hosts: []string{"api.anthropic.com"},
		Endpoints: []Endpoint{
			{"POST", "/v1/messages"},
			{"POST", "/v1/messages/count_tokens"},
			{"GET", "/v1/models"},
			{"GET", "/v1/models/*"},
		},
		Keys:       []KeySlot{{Header: "X-Api-Key"}, {Header: "Authorization", Scheme: "Bearer"}},
		FakeKey:    KeyFormat{Prefix: "sk-ant-api03-", Length: 93, Suffix: "AA"},
		Credential: "ANTHROPIC_API_KEY",
		Filter:     AnthropicFilter,
	}
}

// OpenAI returns the OpenAI API: api.openai.com, the Responses and Chat
// Completions endpoints, the key as a bearer token, fake keys shaped like
// "sk-proj-…", the credential OPENAI_API_KEY, and bodies checked by
// [OpenAIFilter].
func OpenAI() Provider {
	return Provider{
		Name:  "openai",
		Hosts: []string{"api.openai.com"},
		Endpoints: []Endpoint{
			{"POST", "/v1/responses"},
			{"POST", "/v1/chat/completions"},
			{"GET", "/v1/models"},
			{"GET", "/v1/models/*"},
		},
		Keys:       []KeySlot{{Header: "Authorization", Scheme: "Bearer"}},
		FakeKey:    KeyFormat{Prefix: "sk-proj-", Length: 156},
		Credential: "OPENAI_API_KEY",
		Filter:     OpenAIFilter,
	}
}

// Google returns the Gemini API: generativelanguage.googleapis.com, content
// generation (streamed or not) and token counting, the key in
// x-goog-api-key or the query parameter "key", fake keys shaped like
// "AIza…", the credential GOOGLE_API_KEY, and bodies checked by
// [GoogleFilter].
func Google() Provider {
	return Provider{
		Name:  "google",
		Hosts: []string{"generativelanguage.googleapis.com"},
		Endpoints: []Endpoint{
			{"POST", "/v1beta/models/*:generateContent"},
			{"POST", "/v1beta/models/*:streamGenerateContent"},
			{"POST", "/v1beta/models/*:countTokens"},
			{"GET", "/v1beta/models"},
			{"GET", "/v1beta/models/*"},
		},
		Keys:       []KeySlot{{Header: "X-Goog-Api-Key"}, {Query: "key"}},
		FakeKey:    KeyFormat{Prefix: "AIza", Length: 35},
		Credential: "GOOGLE_API_KEY",
		Filter:     GoogleFilter,
	}
}

// DefaultProviders returns Anthropic, OpenAI and Google.
func DefaultProviders() []Provider { return []Provider{Anthropic(), OpenAI(), Google()} }

// provider is a validated, compiled Provider.
type provider struct {
	Provider
	patterns []compiledEndpoint
	upstream *url.URL // nil: the requested host over https
}

// compile validates p and compiles its patterns.
func compile(p Provider) (*provider, error) {
	if !validName(p.Name) {
		return nil, fmt.Errorf("llm: provider name %q: want lower-case letters, digits and '-'", p.Name)
	}
	if len(p.Hosts) == 0 {
		return nil, fmt.Errorf("llm: provider %s has no hosts", p.Name)
	}
	for _, h := range p.Hosts {
		if h != strings.ToLower(h) || !validHost(h) {
			return nil, fmt.Errorf("llm: provider %s: host %q: want a lower-case DNS name without port", p.Name, h)
		}
	}
	if len(p.Endpoints) == 0 {
		return nil, fmt.Errorf("llm: provider %s allows no endpoints", p.Name)
	}
	cp := &provider{Provider: p}
	cp.Hosts = slices.Clone(p.Hosts)
	cp.Endpoints = slices.Clone(p.Endpoints)
	cp.Keys = slices.Clone(p.Keys)
	for _, e := range p.Endpoints {
		ce, err := compileEndpoint(e)
		if err != nil {
			return nil, fmt.Errorf("llm: provider %s: %w", p.Name, err)
		}
		cp.patterns = append(cp.patterns, ce)
	}
	if len(p.Keys) == 0 {
		return nil, fmt.Errorf("llm: provider %s names no key slot", p.Name)
	}
	for i, k := range p.Keys {
		if (k.Header == "") == (k.Query == "") {
			return nil, fmt.Errorf("llm: provider %s: key slot %d: set exactly one of Header and Query", p.Name, i)
		}
		if k.Query != "" && k.Scheme != "" {
			return nil, fmt.Errorf("llm: provider %s: key slot %d: a query slot has no scheme", p.Name, i)
		}
		if k.Header != "" && !validToken(k.Header) {
			return nil, fmt.Errorf("llm: provider %s: key slot %d: bad header name %q", p.Name, i, k.Header)
		}
	}
	if p.FakeKey.Prefix == "" || p.FakeKey.Length < 24 {
		return nil, fmt.Errorf("llm: provider %s: a fake key needs a prefix and at least 24 random characters", p.Name)
	}
	if p.Credential == "" {
		return nil, fmt.Errorf("llm: provider %s names no credential", p.Name)
	}
	if p.Upstream != "" {
		u, err := url.Parse(p.Upstream)
		if err != nil {
			return nil, fmt.Errorf("llm: provider %s: upstream: %w", p.Name, err)
		}
		if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("llm: provider %s: upstream %q: want scheme://host[:port][/path]", p.Name, p.Upstream)
		}
		if u.Scheme != "https" && (u.Scheme != "http" || !isLoopbackHost(u.Hostname())) {
			return nil, fmt.Errorf("llm: provider %s: upstream %q must be https (http only to loopback)", p.Name, p.Upstream)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		cp.upstream = u
	}
	return cp, nil
}

// allows reports whether the provider allows method on path.
func (p *provider) allows(method, path string) bool {
	for _, e := range p.patterns {
		if e.method == method && e.match(path) {
			return true
		}
	}
	return false
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validToken reports whether s is an HTTP token (a header name, a method).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
