package compile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// nextIsVerb: the token at k (after an optional "and"/"or") is a verb.
func (p *parser) nextIsVerb(k int) bool {
	if p.isWord(k, "and", "or") {
		k++
	}
	t := p.peek(k)
	return t != nil && t.kind == tWord && verbIndex[t.low] != nil
}

// startsObject: an object phrase starts at k.
func (p *parser) startsObject(k int) bool {
	t := p.peek(k)
	if t == nil {
		return false
	}
	if t.kind == tTool || p.isWord(k, "any", "all", "its", "anything", "everything") {
		return true
	}
	if p.isWord(k, "the") && p.isWord(k+2, "server") {
		return true
	}
	if p.isWord(k, "the", "my", "their", "your") {
		if n, _ := p.nounAt(k + 1); n != nil {
			return true
		}
	}
	_, n := p.nounAt(k)
	return n > 0
}

// nounAt matches the longest noun at k.
func (p *parser) nounAt(k int) (*noun, int) {
	for i := range nouns {
		if p.matchWords(k, nouns[i].words) {
			return &nouns[i], len(nouns[i].words)
		}
	}
	return nil, 0
}

// objects reads "object[, object] and object"; objects are optional.
func (p *parser) objects() error {
	if !p.startsObject(0) {
		return nil
	}
	for {
		if err := p.object(); err != nil {
			return err
		}
		k := 0
		if t := p.peek(0); t != nil && t.kind == tComma {
			k++
		}
		if p.isWord(k, "and", "or") {
			k++
		} else if n, _ := p.nounAt(1); k == 0 && p.isWord(0, "of", "in") && n != nil && n.kind == kindRepos {
			// "history of repositories", "history in repositories".
			k++
		}
		if k == 0 || !p.startsObject(k) {
			return nil
		}
		p.pos += k
	}
}

func (p *parser) object() error {
	st := p.st
	if t := p.peek(0); t.kind == tTool {
		server, tool, _ := strings.Cut(t.text, "/")
		st.tools = append(st.tools, toolRef{server, tool})
		p.pos++
		return nil
	}
	if p.isWord(0, "the") && p.isWord(2, "server") {
		st.tools = append(st.tools, toolRef{server: p.peek(1).text})
		p.pos += 3
		return nil
	}
	if p.isWord(0, "the", "my", "their", "your") {
		if n, _ := p.nounAt(0); n == nil {
			if n, _ := p.nounAt(1); n != nil {
				p.pos++
			}
		}
	}
	if p.isWord(0, "anything", "everything") {
		st.kinds = appendKind(appendKind(st.kinds, kindFiles), kindRepos)
		p.pos++
		return nil
	}
	var tg target
	if p.isWord(0, "any", "all", "its") {
		tg.any = p.peek(0).low == "any"
		p.pos++
	}
	if tg.any && p.isWord(0, "other") {
		tg.other = true
		p.pos++
	}
	if tg.any && p.isWord(0, "public") {
		tg.public = true
		p.pos++
	}
	n, size := p.nounAt(0)
	if n == nil {
		return p.errHere("expected files, directories, repositories, remotes or web pages")
	}
	p.pos += size
	st.kinds = appendKind(st.kinds, n.kind)
	if n.tool != "" && !slices.Contains(st.gitTools, n.tool) {
		st.gitTools = append(st.gitTools, n.tool)
	}
	if tg.any && (n.kind == kindRemotes || n.kind == kindWeb) {
		tg.plural = n.plural
		st.targets = append(st.targets, tg)
		st.place = placeTargets
	} else if tg.public {
		return p.errHere("%q are not public or private; only remotes and web pages are", n.plural)
	}
	return nil
}

func appendKind(ks []kind, k kind) []kind {
	for _, x := range ks {
		if x == k {
			return ks
		}
	}
	return append(ks, k)
}

// placePhrase reads where: in PATHS, outside the sandbox, anywhere, or
// from/to/on TARGETS.
func (p *parser) placePhrase() error {
	st := p.st
	t := p.peek(0)
	if t == nil || t.kind != tWord {
		return nil
	}
	switch {
	case pathPrepositions[t.low] && p.peek(1) != nil && p.peek(1).kind == tPath:
		if st.place == placeTargets {
			return p.errAt(t, "a sentence about remotes or web pages names domains, not directories")
		}
		p.pos++
		st.place = placePaths
		if err := p.list(p.pathItem); err != nil {
			return err
		}
		return p.exceptions()
	case pathPrepositions[t.low] && p.sandboxAt(1) > 0:
		p.pos += 1 + p.sandboxAt(1)
		st.place = placeSandbox
		st.notes = append(st.notes, "the project directory is the sandbox")
		return nil
	case t.low == "into" && p.sandboxAt(1) > 0:
		// "clone into the workspace": the clone's directory is the
		// sandbox, which the engine allows already; what the sentence
		// grants is the remote, any remote.
		p.pos += 1 + p.sandboxAt(1)
		if !slices.ContainsFunc(st.verbs, func(v *verb) bool { return v.remote == "" }) {
			st.place = placeTargets
			st.targets = append(st.targets, target{any: true, plural: "remotes"})
			st.notes = append(st.notes, "into the sandbox: the clone's directory must be in the sandbox, which the engine allows already; the remote may be any")
			return nil
		}
		st.place = placeSandbox
		st.notes = append(st.notes, "the project directory is the sandbox")
		return nil
	case pathPrepositions[t.low] && p.peek(1) != nil && p.peek(1).kind == tWord:
		return p.errAt(p.peek(1), "%q is not a path: write an absolute path or one starting with ~/ (back-quote a path with spaces), or say \"in the project directory\"", p.peek(1).text)
	case t.low == "outside":
		if n := p.sandboxAt(1); n > 0 {
			p.pos += 1 + n
			st.place = placeOutside
			return nil
		}
		return p.errAt(t, `only "outside the sandbox" (or the project directory, the workspace) is understood: rules cannot say "outside a directory"; write a sentence for inside it and a later, broader one for everywhere`)
	case t.low == "elsewhere" || (t.low == "anywhere" || t.low == "everywhere") && p.isWord(1, "else"):
		p.pos++
		if p.isWord(0, "else") {
			p.pos++
		}
		st.place = placeElse
		return nil
	case t.low == "anywhere" || t.low == "everywhere":
		p.pos++
		st.place = placeAnywhere
		return nil
	case targetPrepositions[t.low]:
		p.pos++
		st.place = placeTargets
		return p.list(p.target)
	}
	return nil
}

// target reads one domain, list or "any [other] [public] remote/page".
func (p *parser) target(t *token) (bool, error) {
	st := p.st
	switch t.kind {
	case tDomain:
		d, err := checkDomain(t.text)
		if err != nil {
			return false, p.errAt(t, "%v", err)
		}
		if t.url != "" {
			if urlPathDropped(t.url) {
				st.warnings = append(st.warnings, fmt.Sprintf("%s: a rule names hosts, not pages, so this covers all of %s (and its subdomains)", t.url, d))
			} else {
				st.notes = append(st.notes, fmt.Sprintf("%s is read as the host %s", t.url, d))
			}
		}
		st.targets = append(st.targets, target{domain: d})
		return true, nil
	case tList:
		name := strings.TrimPrefix(t.text, "@")
		if !listNameRE.MatchString(name) {
			return false, p.errAt(t, "list name %q: use lower-case words joined by hyphens", name)
		}
		st.targets = append(st.targets, target{list: name})
		return true, nil
	case tPath:
		return false, p.errAt(t, "%q is a path; remotes and web pages are named by domain (github.com) or list (@name)", t.text)
	}
	if t.kind == tWord && (t.low == "origin" || t.low == "upstream") {
		// A remote's name is each repository's own, and the agent may
		// change what it points to: the rule covers any remote.
		if st.verdict == ironcurtain.Allow {
			st.warnings = append(st.warnings, fmt.Sprintf("%q is a repository's own name for a remote, which the agent can point anywhere, so this allows any remote: name the host (github.com) to narrow it", t.text))
		} else {
			st.notes = append(st.notes, fmt.Sprintf("%q is read as any remote", t.text))
		}
		st.targets = append(st.targets, target{any: true, plural: "remotes"})
		st.kinds = appendKind(st.kinds, kindRemotes)
		return true, nil
	}
	if t.kind == tWord && t.low != "any" && verbIndex[t.low] == nil && !p.isWord(0, "and", "or") &&
		slices.ContainsFunc(st.verbs, func(v *verb) bool { return v.remote == "git_push" }) {
		return false, p.errAt(t, "%q: branches are not conditions a rule can name (git_push's branch has no rule), only remotes by domain (github.com) or list (@name)", t.text)
	}
	if t.kind == tWord && t.low != "any" && verbIndex[t.low] == nil && !p.isWord(0, "and", "or") {
		return false, p.errAt(t, "%q is not a domain such as example.com, a list such as @name, or \"any remote\" or \"any web page\"", t.text)
	}
	if t.kind != tWord || t.low != "any" {
		return false, nil
	}
	tg := target{any: true}
	k := 1
	if p.isWord(k, "other") {
		tg.other = true
		k++
	}
	if p.isWord(k, "public") {
		tg.public = true
		k++
	}
	n, size := p.nounAt(k)
	if n == nil || (n.kind != kindRemotes && n.kind != kindWeb) {
		return false, p.errAt(t, `after "any" say remote or web page`)
	}
	p.pos += k + size - 1 // list() advances past the first token
	for _, w := range [][]string{{"not", "listed", "above"}, {"not", "listed", "here"}, {"not", "named", "above"}, {"not", "mentioned", "above"}, {"not", "listed"}} {
		if p.matchWords(1, w) {
			p.pos += len(w)
			tg.other = true
			break
		}
	}
	tg.plural = n.plural
	st.kinds = appendKind(st.kinds, n.kind)
	st.targets = append(st.targets, tg)
	return true, nil
}

// list reads "item[, item] and item", calling item for each; item returns
// false when the token is not an item.
func (p *parser) list(item func(*token) (bool, error)) error {
	for {
		t := p.peek(0)
		if t == nil {
			return p.errHere("the sentence ends too early")
		}
		if p.isWord(0, "except", "excluding", "but") {
			return nil
		}
		ok, err := item(t)
		if err != nil {
			return err
		}
		if !ok {
			if t.kind == tWord && verbIndex[t.low] != nil {
				return p.errAt(t, "one action phrase per sentence: start a new sentence for %q", t.text)
			}
			return p.errAt(t, "unexpected %q", t.text)
		}
		p.pos++
		k := 0
		if n := p.peek(0); n != nil && n.kind == tComma {
			k++
		}
		if p.isWord(k, "and", "or") {
			k++
		}
		if k == 0 || p.isWord(k, "except", "excluding", "but") {
			return nil
		}
		p.pos += k
	}
}

// pathItem reads one directory of a place.
func (p *parser) pathItem(t *token) (bool, error) {
	st := p.st
	if t.kind != tPath {
		return false, nil
	}
	path, glob, err := globPath(t.text)
	if err == nil {
		path, err = checkPath(path)
	}
	if err != nil {
		return false, p.errAt(t, "%v", err)
	}
	if glob {
		st.warnings = append(st.warnings, fmt.Sprintf("%q is a pattern: the rule covers every path in %s, not only those that match it", t.text, path))
	}
	if !slices.Contains(st.paths, path) {
		st.paths = append(st.paths, path)
	}
	return true, nil
}

// exceptions reads "except ~/x", "but not in ~/x", "excluding ~/x" after
// a sentence's directories.
func (p *parser) exceptions() error {
	st := p.st
	k := 0
	if t := p.peek(0); t != nil && t.kind == tComma {
		k++
	}
	switch {
	case p.isWord(k, "except", "excluding"):
		k++
	case p.matchWords(k, []string{"but", "not"}):
		k += 2
	default:
		return nil
	}
	if p.isWord(k, "in", "for", "under", "within", "inside") {
		k++
	}
	p.pos += k
	paths := st.paths
	st.paths = nil
	if err := p.list(p.pathItem); err != nil {
		return err
	}
	st.except, st.paths = st.paths, paths
	for _, x := range st.except {
		if !slices.ContainsFunc(paths, func(d string) bool { return x != d && pathUnder(x, d) }) {
			return &parseError{Msg: fmt.Sprintf("the exception %s does not lie inside %s", x, strings.Join(paths, ", "))}
		}
	}
	return nil
}

// sandboxPlaces name the sandbox as people do.
var sandboxPlaces = func() [][]string {
	var out [][]string
	for _, p := range []string{"the project directory", "the project folder", "the project", "the current project",
		"the current project directory", "the current directory", "the working directory", "the current working directory",
		"the workspace", "the current workspace", "its workspace", "the sandbox", "its sandbox", "the sandbox directory",
		"its sandbox directory", "my project", "this project", "the project's directory", "the project workspace",
		"its working directory", "the repository it works in", "the project it works on"} {
		out = append(out, strings.Fields(p))
	}
	slices.SortStableFunc(out, func(a, b []string) int { return len(b) - len(a) })
	return out
}()

// sandboxAt returns how many tokens a name of the sandbox takes at k.
func (p *parser) sandboxAt(k int) int {
	for _, w := range sandboxPlaces {
		if p.matchWords(k, w) {
			return len(w)
		}
	}
	return 0
}

// permanently skips "permanently" and notes it.
func (p *parser) permanently() {
	if p.isWord(0, "permanently") {
		p.st.permanently = true
		p.pos++
	}
}

// gitReadOnly returns how many tokens "perform read-only git operations"
// takes at k, or 0.
func (p *parser) gitReadOnly(k int) int {
	n := 0
	if p.isWord(k, "perform", "performing", "run", "running", "do", "doing", "use", "using", "make", "making") {
		n++
	}
	if p.isWord(k+n, "only") {
		n++
	}
	if !p.isWord(k+n, "read-only") || !p.isWord(k+n+1, "git") {
		return 0
	}
	n += 2
	if p.isWord(k+n, "operations", "commands", "actions", "calls") {
		return n + 1
	}
	return 0
}

// gitReadVerb is "perform read-only git operations": git's reads.
var gitReadVerb = verb{base: "perform read-only git operations", gerund: "performing read-only git operations", class: "read", repos: rRead}

// globPath splits a glob at its first wildcard component: the directory
// before it is what a rule can name.
func globPath(p string) (string, bool, error) {
	i := strings.IndexAny(p, "*?[")
	if i < 0 {
		return p, false, nil
	}
	dir := p[:strings.LastIndexByte(p[:i], '/')+1]
	if dir == "" || dir == "~" {
		return "", false, fmt.Errorf("%q: a pattern needs a directory before its first wildcard", p)
	}
	if dir != "/" {
		dir = strings.TrimSuffix(dir, "/")
	}
	return dir, true, nil
}

func verbWords() []string {
	var out []string
	for _, v := range verbs {
		out = append(out, v.base)
	}
	return out
}

func knownVerbs() string {
	var out []string
	for _, v := range verbs {
		out = append(out, v.base)
	}
	return strings.Join(out, ", ")
}

// resolveKinds works out what the actions apply to and checks that every
// action applies to it and the place fits it.
func (p *parser) resolveKinds() error {
	st := p.st
	remoteOnly, allRemote, allWeb := false, true, true
	for _, v := range st.verbs {
		if v.remote == "" {
			allRemote = false
		} else if !v.web {
			remoteOnly = true
		}
		if !v.web {
			allWeb = false
		}
	}
	if len(st.tools) > 0 {
		for _, v := range st.verbs {
			if !v.use {
				return &parseError{Msg: fmt.Sprintf("tools are used or called, not %q", v.base)}
			}
		}
		if len(st.kinds) > 0 || st.place != placeNone {
			return &parseError{Msg: "a sentence about tools names only the tools"}
		}
		st.kinds = []kind{kindTools}
		return nil
	}
	// "browse the web" fetches pages; "download files from pypi.org"
	// fetches pages too.
	for i, k := range st.kinds {
		if k == kindWebSearch && allWeb && !slices.ContainsFunc(st.verbs, func(v *verb) bool { return v.search }) {
			// "the web" is its public part: never a private address.
			st.kinds[i] = kindWeb
			if st.place == placeNone {
				st.place = placeTargets
				st.targets = append(st.targets, target{any: true, public: true, plural: "pages"})
			}
		}
		if k == kindFiles && allWeb && st.place == placeTargets {
			st.kinds[i] = kindWeb
		}
	}
	// Repositories are fetched from and pushed to remotes.
	if allRemote {
		for i, k := range st.kinds {
			if k == kindRepos {
				st.kinds[i] = kindRemotes
			}
		}
	}
	if len(st.kinds) == 0 {
		allFiles, allRepos := true, true
		for _, v := range st.verbs {
			allFiles = allFiles && v.files != nil
			allRepos = allRepos && v.repos != nil
		}
		switch {
		case st.permanently && allFiles:
			st.kinds = []kind{kindFiles, kindRepos}
		case allRepos && !allFiles:
			st.kinds = []kind{kindRepos}
		case allFiles && (st.place == placePaths || st.place == placeSandbox || st.place == placeOutside):
			st.kinds = []kind{kindFiles}
		}
	}
	if len(st.kinds) == 0 {
		switch {
		case allRemote && remoteOnly:
			st.kinds = []kind{kindRemotes}
		case allRemote && allWeb:
			return &parseError{Msg: fmt.Sprintf(`%q is ambiguous: say "%s web pages from ..." or "%s repositories from ..."`, st.verbs[0].base, st.verbs[0].base, st.verbs[0].base)}
		default:
			return &parseError{Msg: fmt.Sprintf("say what the agent may %s: files, directories, repositories, remotes or web pages", st.verbs[0].base)}
		}
	}
	for _, k := range st.kinds {
		for _, v := range st.verbs {
			if !applies(v, k) {
				return &parseError{Msg: fmt.Sprintf("%q does not apply to %s (it applies to %s)", v.base, k, appliesTo(v))}
			}
		}
		switch k {
		case kindFiles, kindRepos:
			if st.place == placeTargets {
				return &parseError{Msg: fmt.Sprintf("%s are in directories: write \"in ~/dir\", not a domain", k)}
			}
		case kindRemotes, kindWeb:
			if st.place == placePaths || st.place == placeOutside || st.place == placeSandbox {
				return &parseError{Msg: fmt.Sprintf("%s are named by domain (from github.com) or list (from @name), not by directory", k)}
			}
		default:
			if st.place != placeNone {
				return &parseError{Msg: fmt.Sprintf("%s takes no place", k)}
			}
		}
	}
	for _, tg := range st.targets {
		if tg.public && tg.plural == "remotes" {
			for _, k := range st.kinds {
				if k == kindWeb {
					return &parseError{Msg: "say remotes or web pages, not both"}
				}
			}
		}
	}
	return nil
}

func applies(v *verb, k kind) bool {
	switch k {
	case kindFiles:
		return v.files != nil
	case kindRepos:
		return v.repos != nil
	case kindRemotes:
		return v.remote != ""
	case kindWeb:
		return v.web
	case kindWebSearch:
		return v.search
	}
	return false
}

func appliesTo(v *verb) string {
	var out []string
	for _, k := range []kind{kindFiles, kindRepos, kindRemotes, kindWeb, kindWebSearch} {
		if applies(v, k) {
			out = append(out, k.String())
		}
	}
	if v.use {
		out = append(out, "tools (server/tool)")
	}
	return strings.Join(out, ", ")
}
