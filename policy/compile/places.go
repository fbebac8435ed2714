package compile

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// checkPath validates and cleans a directory written in a sentence: it
// must be absolute or start with "~/" (or be "~"), and may not climb with
// "..": a rule's directory must say plainly what it covers.
func checkPath(p string) (string, error) {
	if strings.ContainsAny(p, "\x00\r\n") {
		return "", errors.New("a path may not contain control characters")
	}
	home, orig := false, p
	switch {
	case p == "~":
		return "~", nil
	case strings.HasPrefix(p, "~/"):
		home, p = true, p[1:]
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("%q: ~user is not understood; write ~/ for the home directory or an absolute path", p)
	case !strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%q is relative: write an absolute path or one starting with ~/", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." || part == "." {
			return "", fmt.Errorf("%q: a path may not contain . or .. components", orig)
		}
	}
	c := path.Clean(p)
	if home {
		if c == "/" {
			return "~", nil
		}
		return "~" + c, nil
	}
	return c, nil
}

// checkDomain validates a domain written in a sentence: "example.com",
// "*.example.com" or "example.com/owner/repo" (a repository on a host).
// The host is lower-cased; an owner/repo path keeps its case, as git
// hosts compare it.
func checkDomain(d string) (string, error) {
	host, repo, hasRepo := strings.Cut(d, "/")
	host = strings.ToLower(host)
	wild := strings.HasPrefix(host, "*.")
	name := strings.TrimPrefix(host, "*.")
	if err := checkHostName(name); err != nil {
		return "", fmt.Errorf("%q: %v", d, err)
	}
	if hasRepo {
		if wild {
			return "", fmt.Errorf("%q: a repository path needs an exact host", d)
		}
		owner, name, ok := strings.Cut(strings.TrimSuffix(repo, ".git"), "/")
		if !ok || !isRepoPart(owner) || !isRepoPart(name) {
			return "", fmt.Errorf("%q: write host/owner/repository", d)
		}
		return host + "/" + owner + "/" + name, nil
	}
	return host, nil
}

// checkHostName accepts a DNS name of at least two labels that is not an
// IP address.
func checkHostName(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("not a domain name")
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return errors.New("an IP address is not a domain: rules name web sites and remotes by domain")
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return errors.New("a domain needs at least two labels, such as example.com")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("not a domain name")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return errors.New("not a domain name (only a-z, 0-9 and - in labels)")
			}
		}
	}
	if isIPv4Label(labels[len(labels)-1]) {
		return errors.New("an IP address is not a domain: rules name web sites and remotes by domain")
	}
	return nil
}

// isIPv4Label reports whether a host's last label is a number in any form
// URL parsers accept (decimal, 0x hex, octal), which makes the whole host
// an IPv4 address.
func isIPv4Label(l string) bool {
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return l != "" && strings.Trim(l, "0123456789") == ""
}

func isRepoPart(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// pathUnder reports whether directory or file a lies within directory b,
// lexically. "~" paths are compared with "~" paths and absolute ones with
// absolute ones; "/" contains both. Anything else is not known to nest.
func pathUnder(a, b string) bool {
	if b == "/" {
		return true
	}
	if strings.HasPrefix(a, "~") != strings.HasPrefix(b, "~") {
		return false
	}
	return a == b || strings.HasPrefix(a, b+"/")
}

// pathsMayMeet reports whether two directories can share a path: one
// contains the other. A "~" directory and an absolute one other than "/"
// are taken to be apart: home directories are not inside the system
// directories a constitution names, and assuming otherwise would order
// (and warn about) unrelated sentences.
func pathsMayMeet(a, b string) bool {
	if a == "" || b == "" {
		return true
	}
	return pathUnder(a, b) || pathUnder(b, a)
}

// patternHost is the host part of a domain pattern: "x" for "*.x", "h" for
// "h/o/r".
func patternHost(p string) string {
	p = strings.TrimPrefix(p, "*.")
	h, _, _ := strings.Cut(p, "/")
	return h
}

// patternCovers reports whether domain pattern b allows everything pattern
// a allows (conservatively: false when unsure).
func patternCovers(b, a string) bool {
	switch {
	case a == b:
		return true
	case b == "*":
		// Lists and names; never an IP literal.
		return strings.HasPrefix(a, "@") || checkHostName(patternHost(a)) == nil
	case strings.HasPrefix(b, "@") || strings.HasPrefix(a, "@") || a == "*":
		return false
	case strings.HasPrefix(b, "*."):
		h := patternHost(a)
		return h == b[2:] || strings.HasSuffix(h, "."+b[2:])
	case strings.Contains(b, "/"):
		return false
	}
	// b is an exact host: it covers the host itself and its repositories.
	return !strings.HasPrefix(a, "*.") && patternHost(a) == b
}

// domainsCover reports whether every pattern of a is covered by b; nil
// means any domain at all.
func domainsCover(b, a []string) bool {
	if b == nil {
		return true
	}
	if a == nil {
		return false
	}
	for _, pa := range a {
		ok := false
		for _, pb := range b {
			if patternCovers(pb, pa) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// domainsMayMeet reports whether two domain conditions can hold for one
// URL (conservatively: true when unsure).
func domainsMayMeet(a, b []string) bool {
	if a == nil || b == nil {
		return true
	}
	for _, pa := range a {
		for _, pb := range b {
			if pa == "*" || pb == "*" || strings.HasPrefix(pa, "@") || strings.HasPrefix(pb, "@") ||
				patternCovers(pa, pb) || patternCovers(pb, pa) {
				return true
			}
		}
	}
	return false
}

// kebab turns text into a rule-name fragment: lower case, runs of other
// characters replaced by one hyphen.
func kebab(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// pathFragment names a directory in a rule name: "~/Documents" is
// "documents", "~" is "home", "/" is "root", "/srv/data" is "srv-data".
func pathFragment(p string) string {
	switch p {
	case "~":
		return "home"
	case "/":
		return "root"
	}
	return kebab(strings.TrimPrefix(p, "~"))
}
