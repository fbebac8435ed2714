package fs

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Limits on glob patterns, which are agent input.
const (
	maxPatternLen   = 1024
	maxAlternatives = 256
)

// glob is a compiled glob pattern.
//
// Syntax: within one path segment, path.Match's: * (any run of characters
// but "/"), ? (one character), [a-z] and [^a-z] classes, and \ escapes.
// Across segments, a segment that is exactly ** matches any number of
// segments, none included. {a,b} alternatives expand first, and may nest.
// A leading "./" or "/" is ignored: patterns are relative to the search
// start. A * matches names beginning with a dot, too.
//
// An alternative without "/" is matched against an entry's name, at any
// depth, so "*.go" finds Go files everywhere beneath the start; one with
// "/" is matched against the entry's path relative to the start, so
// "cmd/*.go" finds them in cmd only, and "**/testdata/*" in any testdata.
type glob struct {
	alts []globAlt
}

type globAlt struct {
	segs   []string
	byPath bool
}

// compileGlob parses and checks a pattern once per call, so that matching
// is cheap and a malformed pattern is refused before any walk.
func compileGlob(pattern string) (*glob, error) {
	switch {
	case pattern == "":
		return nil, errors.New("the pattern is empty")
	case len(pattern) > maxPatternLen:
		return nil, fmt.Errorf("the pattern is longer than %d bytes", maxPatternLen)
	}
	alts, err := expandBraces(pattern)
	if err != nil {
		return nil, err
	}
	g := &glob{alts: make([]globAlt, 0, len(alts))}
	for _, alt := range alts {
		byPath := strings.Contains(alt, "/")
		var segs []string
		for seg := range strings.SplitSeq(alt, "/") {
			switch {
			case seg == "" || seg == ".":
				continue
			case seg == "**":
				if len(segs) > 0 && segs[len(segs)-1] == "**" {
					continue
				}
			default:
				if _, err := path.Match(seg, ""); err != nil {
					return nil, fmt.Errorf("the pattern %q is malformed (check its [ ] classes and \\ escapes)", pattern)
				}
			}
			segs = append(segs, seg)
		}
		if len(segs) == 0 {
			segs = []string{"**"}
		}
		g.alts = append(g.alts, globAlt{segs: segs, byPath: byPath})
	}
	return g, nil
}

// match reports whether an entry matches: rel is its slash-separated path
// relative to the start, name its last element.
func (g *glob) match(rel, name string) bool {
	var segs []string
	for _, a := range g.alts {
		if !a.byPath {
			if matchSegs(a.segs, []string{name}) {
				return true
			}
			continue
		}
		if segs == nil {
			segs = strings.Split(rel, "/")
		}
		if matchSegs(a.segs, segs) {
			return true
		}
	}
	return false
}

// matchSegs matches pattern segments against path segments; a ** segment
// matches any run of segments. It is the classic wildcard matcher, with
// segments in place of characters: linear in the common case, and at worst
// the product of the two lengths, never exponential.
func matchSegs(pat, segs []string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(segs) {
		switch {
		case pi < len(pat) && pat[pi] == "**":
			starP, starS = pi, si
			pi++
		case pi < len(pat) && segMatch(pat[pi], segs[si]):
			pi++
			si++
		case starP >= 0:
			pi = starP + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == "**" {
		pi++
	}
	return pi == len(pat)
}

func segMatch(pat, seg string) bool {
	ok, _ := path.Match(pat, seg) // checked when compiled
	return ok
}

// globSet is a list of exclusion patterns.
type globSet []*glob

func compileGlobs(patterns []string) (globSet, error) {
	set := make(globSet, 0, len(patterns))
	for _, p := range patterns {
		g, err := compileGlob(p)
		if err != nil {
			return nil, err
		}
		set = append(set, g)
	}
	return set, nil
}

func (s globSet) match(rel, name string) bool {
	for _, g := range s {
		if g.match(rel, name) {
			return true
		}
	}
	return false
}

// expandBraces expands {a,b} alternatives, nested ones included, into at
// most maxAlternatives patterns. A brace without a comma between it and its
// partner, or without a partner, is an ordinary character, as in a shell.
func expandBraces(p string) ([]string, error) {
	open, close, commas := findBraces(p)
	if open < 0 {
		return []string{p}, nil
	}
	var out []string
	start := open + 1
	for _, end := range append(commas, close) {
		sub, err := expandBraces(p[:open] + p[start:end] + p[close+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
		if len(out) > maxAlternatives {
			return nil, fmt.Errorf("the pattern expands to more than %d alternatives", maxAlternatives)
		}
		start = end + 1
	}
	return out, nil
}

// findBraces finds the leftmost { that has a partner } with a comma at its
// own level between them, and returns the positions of both and of those
// commas; open is -1 when there is none. Backslash escapes are skipped. It
// makes one pass, so that hostile patterns cost linear time.
func findBraces(p string) (open, close int, commas []int) {
	type group struct {
		open   int
		commas []int
	}
	var stack []group
	open, close = -1, -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			stack = append(stack, group{open: i})
		case ',':
			if len(stack) > 0 {
				top := &stack[len(stack)-1]
				top.commas = append(top.commas, i)
			}
		case '}':
			if len(stack) == 0 {
				continue
			}
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(g.commas) > 0 && (open < 0 || g.open < open) {
				open, close, commas = g.open, i, g.commas
			}
		}
	}
	return open, close, commas
}
