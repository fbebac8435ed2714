package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Limits on the agent's headers object.
const (
	maxHeaders          = 32
	maxHeaderNameBytes  = 128
	maxHeaderValueBytes = 4096
)

// DroppedHeader names a header from the agent's headers argument that was
// not sent, and why.
type DroppedHeader struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Reasons a header is dropped, as the agent reads them.
const (
	reasonTransport  = "set by the HTTP client"
	reasonAgent      = "fixed by IronCurtain"
	reasonCredential = "credentials are never sent"
	reasonProxy      = "proxy and forwarding headers are not sent"
	reasonMethod     = "method overrides are not sent (http_fetch is GET only)"
	reasonBadName    = "invalid header name"
	reasonBadValue   = "invalid header value (control characters)"
	reasonTooLong    = "too long"
	reasonTooMany    = "more than 32 headers"
	reasonDuplicate  = "duplicate name"
)

// reservedHeaders maps lower-case names the agent may not set to the reason.
var reservedHeaders = map[string]string{
	"host":                   reasonTransport,
	"connection":             reasonTransport,
	"keep-alive":             reasonTransport,
	"transfer-encoding":      reasonTransport,
	"te":                     reasonTransport,
	"trailer":                reasonTransport,
	"upgrade":                reasonTransport,
	"content-length":         reasonTransport,
	"expect":                 reasonTransport,
	"accept-encoding":        reasonTransport, // the client decodes gzip itself, under the body cap
	"http2-settings":         reasonTransport,
	"user-agent":             reasonAgent,
	"authorization":          reasonCredential,
	"cookie":                 reasonCredential,
	"cookie2":                reasonCredential,
	"forwarded":              reasonProxy,
	"via":                    reasonProxy,
	"x-real-ip":              reasonProxy,
	"x-client-ip":            reasonProxy,
	"true-client-ip":         reasonProxy,
	"x-original-url":         reasonProxy,
	"x-rewrite-url":          reasonProxy,
	"x-http-method-override": reasonMethod,
	"x-http-method":          reasonMethod,
	"x-method-override":      reasonMethod,
}

// reservedPrefixes maps lower-case name prefixes to the reason.
var reservedPrefixes = [][2]string{
	{"proxy-", reasonProxy},
	{"x-forwarded-", reasonProxy},
}

// credentialNameParts mark names that carry credentials by convention
// (X-Api-Key, X-Auth-Token, X-Session-Id, X-Amz-Security-Token, ...). The
// rule is deliberately broad: a page that needs one of them is a page the
// agent should not reach with a credential of its own.
var credentialNameParts = []string{"auth", "token", "secret", "key", "passw", "session", "cookie", "credential", "signature"}

// credentialSchemes are authorization schemes; a value starting with one is
// a credential whatever the header is called.
var credentialSchemes = []string{"bearer ", "basic ", "digest ", "token ", "negotiate ", "ntlm ", "aws4-hmac-sha256 "}

// tokenPrefixes begin well-known secret formats (OpenAI, Stripe, GitHub,
// GitLab, Slack, AWS, Google, Tavily, JWT). A word of the value counts as a
// credential when it starts with one and runs on for at least
// minTokenTail more token characters, so "sk-SK" in Accept-Language passes.
var tokenPrefixes = []string{
	"sk-", "sk_live_", "rk_live_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
	"glpat-", "xoxb-", "xoxp-", "xoxa-", "xapp-", "AKIA", "ASIA", "AIza", "ya29.", "tvly-", "eyJ",
}

const minTokenTail = 16

// filterHeaders returns the agent's headers that may be sent and the ones
// dropped, in name order. It never returns a header the User-Agent rule,
// the transport or the credential rule reserves.
func filterHeaders(in map[string]string) (http.Header, []DroppedHeader) {
	out := http.Header{}
	var dropped []DroppedHeader
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		value := in[name]
		canon, reason := judgeHeader(name, value)
		if _, dup := out[canon]; reason == "" && dup {
			reason = reasonDuplicate
		}
		if reason == "" && len(out) >= maxHeaders {
			reason = reasonTooMany
		}
		if reason != "" {
			dropped = append(dropped, DroppedHeader{Name: displayName(name), Reason: reason})
			continue
		}
		out.Set(canon, value)
	}
	return out, dropped
}

// judgeHeader returns the canonical name and, when the header must not be
// sent, the reason.
func judgeHeader(name, value string) (string, string) {
	if len(name) > maxHeaderNameBytes || len(value) > maxHeaderValueBytes {
		return "", reasonTooLong
	}
	if !httpguts.ValidHeaderFieldName(name) {
		return "", reasonBadName
	}
	if !httpguts.ValidHeaderFieldValue(value) || strings.ContainsAny(value, "\r\n\x00") {
		return "", reasonBadValue
	}
	lower := strings.ToLower(name)
	if r, ok := reservedHeaders[lower]; ok {
		return "", r
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p[0]) {
			return "", p[1]
		}
	}
	for _, part := range credentialNameParts {
		if strings.Contains(lower, part) {
			return "", reasonCredential
		}
	}
	if looksLikeCredential(value) {
		return "", reasonCredential
	}
	return http.CanonicalHeaderKey(name), ""
}

// looksLikeCredential reports whether a header value carries an
// authorization scheme or a well-known token format.
func looksLikeCredential(value string) bool {
	v := strings.TrimSpace(value)
	lower := strings.ToLower(v)
	for _, s := range credentialSchemes {
		if strings.HasPrefix(lower, s) {
			return true
		}
	}
	words := strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == ';' || r == '=' || r == '"' || r == '\''
	})
	for _, w := range words {
		for _, p := range tokenPrefixes {
			if strings.HasPrefix(w, p) && tokenTail(w[len(p):]) >= minTokenTail {
				return true
			}
		}
	}
	return false
}

// tokenTail counts the leading characters of s that occur in API tokens.
func tokenTail(s string) int {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return i
		}
	}
	return len(s)
}

// displayName renders a header name for the result: as given when it is a
// valid name, quoted and shortened otherwise.
func displayName(name string) string {
	if len(name) <= maxHeaderNameBytes && httpguts.ValidHeaderFieldName(name) {
		return name
	}
	if len(name) > 40 {
		name = name[:40] + "..."
	}
	return strconv.QuoteToASCII(name)
}
