package compile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// The model's rules are guarded twice: each allow is linted against its
// sentence (lintModelRule), and the rules together must pass invariants
// the compiler writes from the sentences' words, independently of the
// model (invariants).

// sentencePlace is what a sentence says about where: the directories and
// domains it names.
type sentencePlace struct {
	paths, domains []string
}

func placeOf(text string) sentencePlace {
	var p sentencePlace
	// Word by word: a sentence outside the subset need not lex whole.
	for _, f := range strings.Fields(text) {
		f = strings.Trim(f, ".,;:!?()[]\"'`“”‘’")
		toks, err := lex(f)
		if err != nil || len(toks) != 1 {
			continue
		}
		t := toks[0]
		switch t.kind {
		case tPath:
			if dir, err := checkPath(patternDir(t.text)); err == nil {
				p.paths = append(p.paths, dir)
			}
		case tDomain:
			if d, err := checkDomain(strings.TrimPrefix(t.low, "*.")); err == nil {
				p.domains = append(p.domains, d)
			}
		}
	}
	return p
}

// patternDir is the directory before a path's first wildcard.
func patternDir(p string) string {
	if i := strings.IndexAny(p, "*?["); i >= 0 {
		p = p[:i]
		if j := strings.LastIndexByte(p, '/'); j > 0 {
			p = p[:j]
		}
	}
	return strings.TrimSuffix(p, "/")
}

// lintModelRule refuses an allow the model wrote that is wider than its
// sentence: one with no condition at all (it would allow every call to
// the server), and one that reaches beyond the directories or domains the
// sentence names.
func (c *compiler) lintModelRule(r policy.Rule, sentence string) error {
	if r.Then != ironcurtain.Allow {
		return nil
	}
	cond := r.If
	if cond.Tool == nil && cond.Paths == nil && cond.Domains == nil && cond.Lists == nil {
		return fmt.Errorf("an allow with no tool, directory or domain allows every call to the server, wider than %q: narrow it", sentence)
	}
	pl := placeOf(sentence)
	if len(pl.paths) > 0 && c.touchesPaths(r) {
		if cond.Paths == nil {
			return fmt.Errorf("the sentence names %s, but this allow has no \"paths\": it allows every directory", strings.Join(pl.paths, ", "))
		}
		if !slices.ContainsFunc(pl.paths, func(d string) bool { return within(cond.Paths.Within, d) }) {
			return fmt.Errorf("paths.within %s is not inside %s, the place the sentence names", cond.Paths.Within, strings.Join(pl.paths, ", "))
		}
	}
	if len(pl.domains) > 0 && c.touchesURLs(r) {
		if cond.Domains == nil {
			return fmt.Errorf("the sentence names %s, but this allow has no \"domains\": it allows every domain", strings.Join(pl.domains, ", "))
		}
		for _, a := range cond.Domains.Allowed {
			d := strings.TrimPrefix(a, "*.")
			if !slices.ContainsFunc(pl.domains, func(s string) bool { return d == s || strings.HasSuffix(d, "."+s) }) {
				return fmt.Errorf("domains.allowed %q is not among the domains the sentence names (%s)", a, strings.Join(pl.domains, ", "))
			}
		}
	}
	return nil
}

// within reports whether dir is base or below it.
func within(dir, base string) bool {
	return dir == base || strings.HasPrefix(dir, strings.TrimSuffix(base, "/")+"/")
}

// touchesPaths reports whether a rule may decide a path role of some tool.
func (c *compiler) touchesPaths(r policy.Rule) bool {
	return c.ruleHasCategory(r, policy.CategoryPath)
}

func (c *compiler) touchesURLs(r policy.Rule) bool {
	return c.ruleHasCategory(r, policy.CategoryURL)
}

func (c *compiler) ruleHasCategory(r policy.Rule, cat policy.Category) bool {
	for _, s := range r.If.Server {
		for _, t := range c.ix.tools[s] {
			if r.If.Tool != nil && !slices.Contains(r.If.Tool, t.name) {
				continue
			}
			for _, role := range t.possible {
				if rc, _ := role.Category(); rc == cat && (r.If.Roles == nil || slices.Contains(r.If.Roles, role)) {
					return true
				}
			}
		}
	}
	return false
}

var (
	readOnlyGitRE = regexp.MustCompile(`(?i)\bread[- ]only\b.*\b(?:git|repositor(?:y|ies)|repos?)\b|\b(?:git|repositor(?:y|ies)|repos?)\b.*\bread[- ]only\b`)
	neverDeleteRE = regexp.MustCompile(`(?i)\b(?:never|not|don't|cannot|can't|no|forbidden|prohibited)\b.*\b(?:delet\w*|remov\w*|eras\w*)\b`)
)

// invariants are scenarios the compiler writes from the words of the
// sentences the model compiles, so that no answer can contradict what a
// sentence plainly says: after "read-only git", no commit, reset, push or
// clone is allowed; after "never delete", no delete. Each expects
// anything but allow, in the place the sentence names (or, with none, in
// the home directory and in the sandbox).
func (c *compiler) invariants(server string) []Scenario {
	var out []Scenario
	for _, it := range c.unparsed {
		pl := placeOf(it.text)
		dirs := pl.paths
		if len(dirs) == 0 {
			dirs = []string{"~/Documents/project"}
		}
		add := func(desc, srv, tool string, args map[string]any) {
			if srv != server || c.ix.tool(srv, tool) == nil {
				return
			}
			out = append(out, Scenario{Description: "invariant: " + desc, Principle: it.text, Line: it.line, Source: "invariant",
				Call: Call{Server: srv, Tool: tool, Arguments: args}, Expect: ironcurtain.Deny, NotAllow: true})
		}
		if readOnlyGitRE.MatchString(it.text) {
			for _, d := range dirs {
				add("read-only git: no commit in "+d, serverGit, "git_commit", map[string]any{"path": d, "message": "m"})
				add("read-only git: no reset in "+d, serverGit, "git_reset", map[string]any{"path": d, "mode": "hard"})
				add("read-only git: no push from "+d, serverGit, "git_push", map[string]any{"path": d, "remote": "https://github.com/example/repo.git"})
				add("read-only git: no clone into "+d, serverGit, "git_clone", map[string]any{"url": "https://github.com/example/repo.git", "path": d + "/clone"})
			}
		}
		if neverDeleteRE.MatchString(it.text) {
			ds := dirs
			if len(pl.paths) == 0 {
				ds = append(ds, "gone") // inside the sandbox
			}
			for _, d := range ds {
				add("never delete: no move-away in "+d, serverFilesystem, "move_file", map[string]any{"source": d + "/a.txt", "destination": d + "/b.txt"})
				add("never delete: no git_clean in "+d, serverGit, "git_clean", map[string]any{"path": d})
			}
		}
	}
	return out
}
