package policy

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// hostInfo is a host name as the policy matches it.
type hostInfo struct {
	// name is lower-cased; an IPv4 address in dotted-quad form (whatever
	// shorthand it was written in); an IPv6 address without brackets.
	name string
	// ok: the host can match an allowlist entry at all.
	ok bool
	// ip: the host is an IP literal. IP literals match only an entry that
	// names them exactly, never "*" or "*.x".
	ip bool
	// public: the host may match "*": a DNS name with at least one dot
	// that is not a reserved or local name.
	public bool
}

// reservedSuffixes are names that resolve to local, private or link-local
// services (or to nothing public); "*" never matches them.
var reservedSuffixes = []string{
	"localhost", "local", "localdomain", "internal", "intranet", "lan",
	"home", "corp", "private", "home.arpa", "arpa", "onion", "test", "invalid", "example",
}

// parseHost classifies a host name taken from a URL. It follows what URL
// parsers in browsers and Node do with numeric hosts (WHATWG): a host whose
// last label is a number is an IPv4 address in any shorthand ("127.1",
// "0x7f.0.0.1", "2130706433"), so that such a host can never pass for a
// domain name. Non-ASCII hosts are not matched at all: their IDNA mapping
// (fullwidth letters fold to ASCII) would let one name pose as another.
func parseHost(h string) hostInfo {
	if h == "" || len(h) > 253+1 {
		return hostInfo{name: h}
	}
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			return hostInfo{name: h}
		}
	}
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		if err != nil || a.Zone() != "" {
			return hostInfo{name: h}
		}
		if a.Is4In6() {
			a = a.Unmap()
		}
		return hostInfo{name: a.String(), ok: true, ip: true}
	}
	if a, numeric, valid := parseIPv4(h); numeric {
		if !valid {
			return hostInfo{name: h}
		}
		return hostInfo{name: a.String(), ok: true, ip: true}
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return hostInfo{name: h}
		}
	}
	if strings.HasPrefix(h, ".") || strings.Contains(h, "..") || strings.HasPrefix(h, "-") {
		return hostInfo{name: h}
	}
	return hostInfo{name: h, ok: true, public: isPublicName(h)}
}

// reservedNames holds reservedSuffixes for lookup of a name's suffixes.
var reservedNames = func() map[string]bool {
	m := make(map[string]bool, len(reservedSuffixes))
	for _, s := range reservedSuffixes {
		m[s] = true
	}
	return m
}()

// isPublicName reports whether a DNS name may match "*".
func isPublicName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if !strings.Contains(h, ".") {
		return false // single-label names resolve through search domains to local hosts
	}
	for s := h; ; {
		if reservedNames[s] {
			return false
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return true
		}
		s = s[i+1:]
	}
}

// parseIPv4 applies the WHATWG IPv4 parser. numeric reports whether the host
// ends in a number (and so must be an IPv4 address); valid whether it is one.
func parseIPv4(h string) (addr netip.Addr, numeric, valid bool) {
	h = strings.TrimSuffix(h, ".")
	if !isIPv4Number(h[strings.LastIndexByte(h, '.')+1:]) {
		return netip.Addr{}, false, false
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, true, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return netip.Addr{}, true, false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, true, false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, true, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v |= n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, true
}

func isIPv4Number(s string) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		for _, c := range s[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}

// urlValue is a URL-role value, parsed.
type urlValue struct {
	// canonical is what the tool is given: the URL re-serialised with a
	// lower-cased scheme and host, or the value unchanged where rewriting
	// would change its meaning (scp-style remotes, remote names).
	canonical string
	host      hostInfo
	// full is what allowlist entries with a path match: "host/owner/repo"
	// for a git remote with a path; otherwise the host.
	full string
	// forbidden, when set, says why the value is never acceptable.
	forbidden string
	// name: a bare word that may be a git remote name, to be resolved from
	// the repository's configuration.
	name bool
}

// matchable reports whether the value can match any allowlist entry.
func (v urlValue) matchable() bool { return v.forbidden == "" && !v.name && v.host.ok }

// hasUnsafeBytes reports control characters, spaces and backslashes: URL
// parsers disagree about them, and a parser differential between the
// policy and the tool is how allowlists are dodged.
func hasUnsafeBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return true
		}
	}
	return false
}

// parseFetchURL parses a fetch-url value. Only http and https are
// fetchable.
func parseFetchURL(raw string) urlValue {
	v := urlValue{canonical: raw, full: raw}
	if hasUnsafeBytes(raw) {
		return v
	}
	u, err := url.Parse(raw)
	if err != nil {
		return v
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		v.forbidden = "only http and https URLs can be fetched"
		return v
	}
	canonicalizeURL(&v, u)
	return v
}

// canonicalizeURL fills v from a parsed hierarchical URL.
func canonicalizeURL(v *urlValue, u *url.URL) {
	if u.Opaque != "" || strings.Contains(u.Host, "%") {
		return
	}
	port := u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return
		}
	}
	v.host = parseHost(u.Hostname())
	v.full = v.host.name
	if !v.host.ok {
		return
	}
	host := v.host.name
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == u.Scheme && host == u.Host {
		return // already canonical: keep the value as written
	}
	c := *u
	c.Scheme, c.Host = scheme, host
	v.canonical = c.String()
}

// gitSchemes are the transports whose remotes an allowlist can match.
var gitSchemes = map[string]bool{"https": true, "http": true, "ssh": true, "git": true, "git+ssh": true, "ssh+git": true}

// parseGitURL parses a git-remote-url value: a URL, an scp-style
// "[user@]host:path", a local path, or a remote name.
func parseGitURL(raw string) urlValue {
	v := urlValue{canonical: raw, full: raw}
	if strings.HasPrefix(raw, "-") {
		v.forbidden = "a remote may not start with '-'"
		return v
	}
	if i := strings.Index(raw, "::"); i > 0 && isTransportName(raw[:i]) {
		v.forbidden = "the " + raw[:i] + ":: remote helper runs arbitrary programs and is never allowed"
		return v
	}
	if hasUnsafeBytes(raw) {
		return v
	}
	if i := strings.Index(raw, "://"); i > 0 {
		u, err := url.Parse(raw)
		if err != nil {
			return v
		}
		scheme := strings.ToLower(u.Scheme)
		if scheme == "ext" || scheme == "fd" {
			v.forbidden = "the " + scheme + " transport is never allowed"
			return v
		}
		if !gitSchemes[scheme] {
			return v // file:// and others are local or unsupported: never matched
		}
		canonicalizeURL(&v, u)
		if v.host.ok {
			if repo := repoPath(u.Path); repo != "" {
				v.full = v.host.name + "/" + repo
			}
		}
		return v
	}
	if i := strings.IndexByte(raw, ':'); i > 0 && !strings.Contains(raw[:i], "/") {
		userHost, path := raw[:i], raw[i+1:]
		host := userHost
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		if strings.HasPrefix(host, "-") {
			v.forbidden = "a remote host may not start with '-'"
			return v
		}
		if strings.HasPrefix(userHost, "[") {
			// [host:port]:path or [ipv6]:path: only a bare IPv6 literal here.
			host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		}
		v.host = parseHost(host)
		v.full = v.host.name
		if v.host.ok {
			if repo := repoPath(path); repo != "" {
				v.full = v.host.name + "/" + repo
			}
		}
		return v
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || strings.HasPrefix(raw, "~") {
		return v // a local repository: never matched by a domain
	}
	v.name = true
	return v
}

// isTransportName reports whether s can name a remote helper in git's
// "<transport>::<address>" syntax.
func isTransportName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

// repoPath reduces a remote path to "owner/repo": slashes trimmed and a
// ".git" suffix removed. Case is kept.
func repoPath(p string) string {
	p = strings.Trim(p, "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.Trim(p, "/")
}
