package llm

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Request classification: which provider a request is for and whether the
// allowlist lets it through. Everything here is a pure function of strings
// so that it can be fuzzed.
//
// There is no decoding on the way: a path with any percent-escape, an empty,
// "." or ".." segment, or a byte outside a small safe set is refused, so the
// bytes matched against the allowlist are exactly the bytes sent upstream
// and no upstream can read them differently.

// compiledEndpoint is an Endpoint split into segments.
type compiledEndpoint struct {
	method string
	segs   []segment
}

// segment is one path segment of a pattern: a literal (star false) or
// prefix '*' suffix.
type segment struct {
	star           bool
	prefix, suffix string
}

func compileEndpoint(e Endpoint) (compiledEndpoint, error) {
	if !validToken(e.Method) || e.Method != strings.ToUpper(e.Method) {
		return compiledEndpoint{}, fmt.Errorf("endpoint %s %s: bad method", e.Method, e.Path)
	}
	if e.Method == "CONNECT" {
		return compiledEndpoint{}, fmt.Errorf("endpoint %s %s: CONNECT cannot be allowed", e.Method, e.Path)
	}
	if !cleanPath(strings.ReplaceAll(e.Path, "*", "x")) {
		return compiledEndpoint{}, fmt.Errorf("endpoint %s %s: the pattern is not a clean absolute path", e.Method, e.Path)
	}
	ce := compiledEndpoint{method: e.Method}
	for _, s := range strings.Split(e.Path[1:], "/") {
		switch strings.Count(s, "*") {
		case 0:
			ce.segs = append(ce.segs, segment{prefix: s})
		case 1:
			i := strings.IndexByte(s, '*')
			ce.segs = append(ce.segs, segment{star: true, prefix: s[:i], suffix: s[i+1:]})
		default:
			return compiledEndpoint{}, fmt.Errorf("endpoint %s %s: at most one '*' per segment", e.Method, e.Path)
		}
	}
	return ce, nil
}

// match reports whether path, which must already be clean, matches.
func (e compiledEndpoint) match(path string) bool {
	rest := path[1:]
	for i, sg := range e.segs {
		var s string
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			if i == len(e.segs)-1 {
				return false // the path is longer
			}
			s, rest = rest[:j], rest[j+1:]
		} else {
			if i != len(e.segs)-1 {
				return false // the path is shorter
			}
			s, rest = rest, ""
		}
		if !sg.star {
			if s != sg.prefix {
				return false
			}
			continue
		}
		if len(s) < len(sg.prefix)+len(sg.suffix)+1 || !strings.HasPrefix(s, sg.prefix) || !strings.HasSuffix(s, sg.suffix) {
			return false
		}
	}
	return true
}

// cleanPath reports whether p is an absolute path of non-empty segments,
// none "." or "..", made only of letters, digits and "-._~:@" (bytes that
// no URL library escapes or decodes in a path), with no percent-escapes,
// and at most 2048 bytes long.
func cleanPath(p string) bool {
	if len(p) < 2 || len(p) > 2048 || p[0] != '/' {
		return false
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			s := p[start:i]
			if s == "" || s == "." || s == ".." {
				return false
			}
			start = i + 1
			continue
		}
		if !pathByte(p[i]) {
			return false
		}
	}
	return true
}

func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:@", c) >= 0
}

// normalizeHost lower-cases a host name and drops one trailing dot. It
// returns "" for anything that is not a plausible DNS name.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if !validHost(h) {
		return ""
	}
	return h
}

// validHost reports whether h is a DNS name of letters, digits, '-' and
// '.', or an IP literal (for tests against local upstreams).
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// splitConnectTarget parses the authority of a CONNECT request and
// returns the normalised host if the port is 443.
func splitConnectTarget(authority string) (string, error) {
	host, port, err := net.SplitHostPort(authority)
	if err != nil {
		return "", fmt.Errorf("bad CONNECT target")
	}
	if port != "443" {
		return "", fmt.Errorf("only port 443 may be reached")
	}
	h := normalizeHost(host)
	if h == "" {
		return "", fmt.Errorf("bad host name")
	}
	return h, nil
}

// hostMatches reports whether the Host header of a request inside a tunnel
// names the tunnel's host (with or without port 443).
func hostMatches(header, tunnel string) bool {
	h := header
	if host, port, err := net.SplitHostPort(header); err == nil {
		if port != "443" {
			return false
		}
		h = host
	}
	return normalizeHost(h) == tunnel
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// refusal is the proxy's own answer to a request it does not forward.
type refusal struct {
	status int
	reason string
	field  string // the body's field refused, if any
}

func (r *refusal) Error() string { return r.reason }

func refuse(status int, format string, args ...any) *refusal {
	return &refusal{status: status, reason: fmt.Sprintf(format, args...)}
}

// table is the set of providers a proxy serves.
type table struct {
	providers []*provider
	byHost    map[string]*provider
	byName    map[string]*provider
}

func newTable(ps []Provider) (*table, error) {
	t := &table{byHost: map[string]*provider{}, byName: map[string]*provider{}}
	for _, p := range ps {
		cp, err := compile(p)
		if err != nil {
			return nil, err
		}
		if t.byName[cp.Name] != nil {
			return nil, fmt.Errorf("llm: two providers named %s", cp.Name)
		}
		t.byName[cp.Name] = cp
		for _, h := range cp.Hosts {
			if t.byHost[h] != nil {
				return nil, fmt.Errorf("llm: host %s belongs to two providers", h)
			}
			t.byHost[h] = cp
		}
		t.providers = append(t.providers, cp)
	}
	return t, nil
}

// classifyTunnel decides a request inside a CONNECT tunnel to host.
func (t *table) classifyTunnel(host, method, path string) (*provider, *refusal) {
	p := t.byHost[host]
	if p == nil {
		return nil, refuse(403, "host %s is not an allowed LLM API host", host)
	}
	if !cleanPath(path) {
		return p, refuse(403, "the request path is not in canonical form")
	}
	if !p.allows(method, path) {
		return p, refuse(403, "%s %s is not an allowed %s endpoint", method, path, p.Name)
	}
	return p, nil
}

// classifyBase decides a request in base-URL mode: "/<provider>/<path>",
// or a bare path that exactly one provider allows. It returns the provider
// and the path to send upstream.
func (t *table) classifyBase(method, path string) (*provider, string, *refusal) {
	if !cleanPath(path) {
		return nil, "", refuse(403, "the request path is not in canonical form")
	}
	first, rest, _ := strings.Cut(path[1:], "/")
	if p := t.byName[first]; p != nil {
		if rest == "" {
			return p, "", refuse(403, "no endpoint given after /%s", first)
		}
		rest = "/" + rest
		if !p.allows(method, rest) {
			return p, rest, refuse(403, "%s %s is not an allowed %s endpoint", method, rest, p.Name)
		}
		return p, rest, nil
	}
	var found *provider
	for _, p := range t.providers {
		if p.allows(method, path) {
			if found != nil {
				return nil, path, refuse(403, "%s %s is allowed for more than one provider; prefix the path with /<provider>", method, path)
			}
			found = p
		}
	}
	if found == nil {
		return nil, path, refuse(403, "%s %s is not an allowed endpoint", method, path)
	}
	return found, path, nil
}
