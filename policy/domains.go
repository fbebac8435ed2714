package policy

import (
	"fmt"
	"strings"
)

// domainSet is a compiled list of allowlist entries.
type domainSet struct {
	star   bool
	exact  map[string]bool // host names and IP literals
	suffix map[string]bool // "*.x" stored as "x": matches x and any name under it
	full   map[string]bool // "host/owner/repo"
}

// compileDomains compiles allowlist entries (with @lists already expanded).
func compileDomains(entries []string) (*domainSet, error) {
	s := &domainSet{exact: make(map[string]bool, len(entries)), suffix: map[string]bool{}, full: map[string]bool{}}
	for _, e := range entries {
		if err := s.add(e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *domainSet) add(e string) error {
	switch {
	case e == "*":
		s.star = true
	case strings.Contains(e, "/"):
		host, repo, _ := strings.Cut(e, "/")
		h := parseHost(host)
		if !h.ok || repo == "" {
			return fmt.Errorf("invalid domain entry %q: want host/owner/repo", e)
		}
		s.full[h.name+"/"+repo] = true
	case strings.HasPrefix(e, "*."):
		h := parseHost(e[2:])
		if !h.ok || h.ip {
			return fmt.Errorf("invalid domain entry %q", e)
		}
		s.suffix[h.name] = true
	default:
		h := parseHost(e)
		if !h.ok {
			return fmt.Errorf("invalid domain entry %q", e)
		}
		s.exact[h.name] = true
	}
	return nil
}

// match reports whether a parsed value is allowed. IP literals match only
// an entry naming them; "*" matches only public DNS names.
func (s *domainSet) match(host hostInfo, full string) bool {
	if !host.ok {
		return false
	}
	if full != host.name && s.full[full] {
		return true
	}
	if s.exact[host.name] {
		return true
	}
	if host.ip {
		return false
	}
	for h := host.name; ; {
		if s.suffix[h] {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return s.star && host.public
}

// matchRaw matches a raw value (a lists condition of type "domains"): the
// value is taken as "host" or "host/owner/repo", without URL parsing.
func (s *domainSet) matchRaw(v string) bool {
	host, _, _ := strings.Cut(v, "/")
	h := parseHost(host)
	full := h.name
	if _, repo, ok := strings.Cut(v, "/"); ok {
		full = h.name + "/" + repo
	}
	return s.match(h, full)
}
