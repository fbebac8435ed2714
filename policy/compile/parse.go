package compile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// placeKind is where a sentence's actions happen.
type placeKind uint8

const (
	placeNone     placeKind = iota // no place said: everywhere
	placePaths                     // in, under, within, inside PATH
	placeOutside                   // outside the sandbox
	placeAnywhere                  // anywhere, everywhere
	placeTargets                   // from, to, on DOMAIN, @list, any remote
	placeSandbox                   // in the project directory, the sandbox, the workspace
	placeElse                      // anywhere else, elsewhere: everywhere the others do not say
)

// target is one thing a network action may reach: a domain, a list, or
// "any [other] [public] remote/page".
type target struct {
	domain string // lower-cased domain pattern, or ""
	list   string // list name without "@", or ""
	any    bool
	other  bool
	public bool
	plural string // the noun after "any", for rule names
}

// statement is one parsed sentence: a permission or a list definition.
type statement struct {
	line int
	// text is the sentence as written (continuation lines joined), without
	// its {#name} attribute; it becomes the rules' principle.
	text string
	// principle is the whole sentence when text is one of its clauses.
	principle string
	// name is the rule name given by {#name}, if any.
	name string

	// A list definition: "@name are DESCRIPTION."
	defList, defText string

	verdict ironcurtain.Verdict
	passive bool
	idiom   *idiom
	verbs   []*verb
	conj    string // "and" or "or", joining the verbs
	kinds   []kind // what the actions apply to, in order written
	tools   []toolRef
	// gitTools are the git tools of the parts of a repository named
	// ("branches": git_branch), which the rules are narrowed to.
	gitTools []string
	// service is what a sentence about a third-party server says.
	service *serviceAction
	place   placeKind
	paths   []string
	targets []target

	// only: "may only ...": in the sandbox, what is not granted is
	// denied there (elsewhere the default deny already says so).
	only bool
	// permanently: "delete permanently": files and repositories.
	permanently bool
	// except are directories carved out of paths ("except ~/x").
	except []string
	// warnings and notes are what the compiler has to say about how
	// the sentence was read.
	warnings, notes []string

	// Offsets into text: where the description starts, where the words
	// after the verbs start, and where the action phrase ends.
	descOff, restOff, bodyEnd int
}

// toolRef names a tool ("server/tool") or, with tool "", a whole server.
type toolRef struct{ server, tool string }

// parseError is a sentence the controlled-English front end cannot read.
type parseError struct {
	// Column is the 1-based byte column in the sentence where the problem
	// was found, 0 when it concerns the whole sentence.
	Column int
	Msg    string
}

func (e *parseError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
	}
	return e.Msg
}

var (
	attrRE     = regexp.MustCompile(`\s*\{#([^{}]*)\}\s*$`)
	ruleNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	listNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// parseSentence parses one sentence of the controlled subset.
func parseSentence(line int, text string) (*statement, error) {
	st := &statement{line: line}
	if m := attrRE.FindStringSubmatchIndex(text); m != nil {
		st.name = text[m[2]:m[3]]
		text = text[:m[0]]
		if !ruleNameRE.MatchString(st.name) {
			return nil, &parseError{Column: m[0] + strings.Index(text[m[0]:], "{#") + 1, Msg: fmt.Sprintf("rule name %q: use lower-case words joined by hyphens", st.name)}
		}
	}
	st.text = text
	core := strings.TrimSuffix(strings.TrimSpace(text), ".")
	toks, err := lex(core)
	if err != nil {
		le := err.(*lexError)
		return nil, &parseError{Column: le.off + 1, Msg: le.msg}
	}
	if len(toks) == 0 {
		return nil, &parseError{Column: 1, Msg: "empty sentence"}
	}
	p := &parser{st: st, toks: toks, src: core}
	if err := p.sentence(); err != nil {
		// A problem with the whole action phrase is at its start.
		if pe, ok := err.(*parseError); ok && pe.Column == 0 {
			pe.Column = p.actionOff + 1
		}
		return nil, err
	}
	return st, nil
}

// parser reads one sentence's tokens.
type parser struct {
	st   *statement
	toks []token
	src  string
	pos  int
	end  int // tokens at or after end are not part of the action phrase
	// actionOff is where the action phrase starts in src.
	actionOff int
}

func (p *parser) peek(k int) *token {
	if p.pos+k < p.end {
		return &p.toks[p.pos+k]
	}
	return nil
}

func (p *parser) isWord(k int, w ...string) bool {
	t := p.peek(k)
	if t == nil || t.kind != tWord {
		return false
	}
	for _, x := range w {
		if t.low == x {
			return true
		}
	}
	return false
}

// matchWords reports how many tokens from position k spell words.
func (p *parser) matchWords(k int, words []string) bool {
	for i, w := range words {
		if !p.isWord(k+i, w) {
			return false
		}
	}
	return true
}

func (p *parser) errAt(t *token, format string, a ...any) error {
	col := 0
	if t != nil {
		col = t.off + 1
	}
	return &parseError{Column: col, Msg: fmt.Sprintf(format, a...)}
}

// errHere reports a problem at the current token, or at the end.
func (p *parser) errHere(format string, a ...any) error {
	if t := p.peek(0); t != nil {
		return p.errAt(t, format, a...)
	}
	return &parseError{Column: len(p.src) + 1, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) sentence() error {
	st := p.st
	p.end = len(p.toks)
	// A list definition: "@name are DESCRIPTION".
	if p.toks[0].kind == tList && p.isWord(1, "is", "are") {
		name := strings.TrimPrefix(p.toks[0].text, "@")
		if !listNameRE.MatchString(name) {
			return p.errAt(&p.toks[0], "list name %q: use lower-case words joined by hyphens", name)
		}
		if len(p.toks) < 3 {
			return p.errHere("say what @%s holds after %q", name, p.toks[1].text)
		}
		st.defList, st.defText = name, strings.TrimSpace(p.src[p.toks[2].off:])
		return nil
	}
	if err := p.inexpressible(); err != nil {
		return err
	}
	for _, m := range imperatives {
		if p.matchWords(0, m.words) {
			st.verdict = m.verdict
			st.descOff = 0
			p.pos += len(m.words)
			st.bodyEnd = len(p.src)
			return p.body()
		}
	}
	if n := subjectLen(p); n > 0 {
		p.pos = n
		if p.isWord(0, "also", "only", "always") && !p.isWord(1, "ask") {
			st.only = st.only || p.peek(0).low == "only"
			p.pos++
		}
		for _, m := range modals {
			if p.matchWords(0, m.words) {
				st.verdict = m.verdict
				st.descOff = p.toks[p.pos].off
				p.pos += len(m.words)
				st.bodyEnd = len(p.src)
				return p.body()
			}
		}
		if t := p.peek(0); t != nil && t.kind == tWord {
			if s := suggest(t.low, modalWords()); s != "" {
				return p.errAt(t, "%q is not understood after the subject: did you mean %q? Say \"may\", \"must ask before\" or \"must never\"", t.text, s)
			}
		}
		return p.errHere(`after "The agent" say "may", "must ask before" or "may never"`)
	}
	for _, m := range verdictPhrases {
		n := len(m.words)
		if len(p.toks) > n && p.matchWords(len(p.toks)-n, m.words) {
			if p.isWord(0, "only") {
				st.only = true
				p.pos++
			}
			st.verdict, st.passive = m.verdict, true
			p.end = len(p.toks) - n
			st.bodyEnd = p.toks[p.end-1].end
			return p.body()
		}
	}
	return p.errAt(&p.toks[0], `a permission sentence starts with "The agent may", "The agent must ask before" or "The agent may never", or ends with "is allowed", "requires approval" or "is forbidden"`)
}

// subjects name the agent at the start of a permission sentence, as
// people write it: "The agent", "It", "Claude", "You".
var subjects = [][]string{{"the", "agent"}, {"the", "assistant"}, {"it"}, {"claude"}, {"you"}}

// subjectLen2 is subjectLen at the parser's position.
func subjectLen2(p *parser) int {
	for _, s := range subjects {
		if p.matchWords(0, s) {
			return len(s)
		}
	}
	return 0
}

// subjectLen returns how many tokens the sentence's subject takes, or 0
// when it does not start with one.
func subjectLen(p *parser) int {
	for _, s := range subjects {
		if p.matchWords(0, s) {
			return len(s)
		}
	}
	return 0
}

// body parses the action phrase: an idiom, or verbs, objects and a place.
func (p *parser) body() error {
	st := p.st
	for p.isWord(0, "also", "only", "always", "freely") {
		st.only = st.only || p.peek(0).low == "only"
		p.pos++
	}
	// "ask before it pushes", "before the agent deletes".
	if st.verdict == ironcurtain.Escalate && !st.passive {
		if n := subjectLen2(p); n > 0 && p.pos+n < p.end {
			p.pos += n
		}
	}
	p.conditions()
	if p.pos >= p.end {
		return p.errHere("say what the agent may do")
	}
	p.actionOff = p.toks[p.pos].off
	for i := p.pos; i < p.end; i++ {
		if svc := serviceAt(p.toks[:p.end], i); svc != nil {
			return p.serviceBody(svc)
		}
	}
	var words []string
	for _, t := range p.toks[p.pos:p.end] {
		words = append(words, t.low)
	}
	phrase := strings.Join(words, " ")
	for i := range idioms {
		if phrase == idioms[i].base || phrase == idioms[i].gerund {
			st.idiom = &idioms[i]
			st.restOff = st.bodyEnd
			return nil
		}
	}
	if err := p.verbList(); err != nil {
		return err
	}
	// A directory right after the verbs is the place, and a noun after
	// it the object: "read ~/Documents/*.txt files", "write to ~/out".
	if p.isWord(0, "to", "into", "in", "inside", "under", "within") && p.peek(1) != nil && p.peek(1).kind == tPath {
		p.pos++
	}
	if t := p.peek(0); t != nil && t.kind == tPath {
		st.restOff = t.off
		st.place = placePaths
		if err := p.list(p.pathItem); err != nil {
			return err
		}
		if n, size := p.nounAt(0); n != nil {
			st.kinds = appendKind(st.kinds, n.kind)
			p.pos += size
		}
		p.permanently()
		if err := p.exceptions(); err != nil {
			return err
		}
		if t := p.peek(0); t != nil {
			return p.errAt(t, "unexpected %q; the sentence should end here", t.text)
		}
		return p.resolveKinds()
	}
	if t := p.peek(0); t != nil {
		st.restOff = t.off
	} else {
		st.restOff = st.bodyEnd
	}
	p.permanently()
	// A particle joins a verb to its object: "deleting in repositories".
	if t := p.peek(0); t != nil && t.kind == tWord && particles[t.low] && p.startsObject(1) {
		p.pos++
	}
	if err := p.objects(); err != nil {
		return err
	}
	p.permanently()
	if err := p.placePhrase(); err != nil {
		return err
	}
	p.permanently()
	if t := p.peek(0); t != nil {
		return p.errAt(t, "unexpected %q; the sentence should end here", t.text)
	}
	return p.resolveKinds()
}

// verbList reads "verb[, verb] and verb".
func (p *parser) verbList() error {
	for {
		if n := p.gitReadOnly(0); n > 0 {
			p.st.verbs = append(p.st.verbs, &gitReadVerb)
			p.st.kinds = appendKind(p.st.kinds, kindRepos)
			p.pos += n
			return nil
		}
		t := p.peek(0)
		if t != nil && t.low == "force" && p.isWord(1, "push", "pushing", "pushes") {
			// "force push" written as two words.
			p.pos++
			t = &token{kind: tWord, text: "force-" + p.peek(0).text, low: "force-" + p.peek(0).low, off: t.off, end: p.peek(0).end}
			p.toks[p.pos] = *t
		}
		if t == nil || t.kind != tWord || verbIndex[t.low] == nil {
			if t == nil {
				return p.errHere("say what the agent may do: an action such as read, write, delete, clone, push or fetch")
			}
			if s := suggest(t.low, verbWords()); s != "" {
				return p.errAt(t, "unknown action %q: did you mean %q?", t.text, s)
			}
			return p.errAt(t, "unknown action %q: known actions are %s", t.text, knownVerbs())
		}
		p.st.verbs = append(p.st.verbs, verbIndex[t.low])
		p.pos++
		if verbIndex[t.low].force {
			if err := p.forceTarget(); err != nil {
				return err
			}
		}
		switch {
		case p.peek(0) != nil && p.peek(0).kind == tComma && p.nextIsVerb(1):
			p.pos++
			if p.isWord(0, "and", "or") {
				p.st.conj = p.peek(0).low
				p.pos++
			}
		case p.isWord(0, "and", "or") && p.nextIsVerb(1):
			p.st.conj = p.peek(0).low
			p.pos++
		default:
			return nil
		}
	}
}

// forceWords may name where a force push goes: "to main", "to the
// main branch", "to origin", "to any remote".
var forceWords = map[string]bool{"the": true, "main": true, "master": true, "origin": true, "branch": true, "branches": true,
	"any": true, "a": true, "remote": true, "remotes": true, "shared": true, "protected": true, "upstream": true, "default": true,
	"its": true, "my": true}

// forceTarget reads where a force push goes. The engine cannot tell a
// push's branch or remote name from a rule's condition, so a deny or an
// ask covers every force push, with a warning; an allow narrowed so
// cannot be kept narrow and is refused.
func (p *parser) forceTarget() error {
	st := p.st
	start := p.peek(0)
	if !p.isWord(0, "to", "on", "onto") || p.peek(1) == nil || p.peek(1).kind != tWord || !forceWords[p.peek(1).low] {
		st.gitTools = appendUnique(st.gitTools, "git_push")
		return nil
	}
	p.pos++
	anyRemote := p.isWord(0, "any", "a") && p.isWord(1, "remote", "remotes") || p.isWord(0, "remotes")
	var words []string
	for p.pos < p.end && forceWords[p.peek(0).low] {
		words = append(words, p.peek(0).text)
		p.pos++
	}
	where := strings.Join(words, " ")
	if st.verdict == ironcurtain.Allow {
		where = strings.TrimSpace(p.src[p.toks[p.pos-len(words)].off:])
		return p.errAt(start, "a force push to %s cannot be told from one elsewhere: the branch and the remote's name are not conditions a rule can name; say what the agent may force-push without \"to %s\", or ask before it", where, where)
	}
	st.gitTools = appendUnique(st.gitTools, "git_push")
	if anyRemote && p.pos == p.end {
		return nil
	}
	st.warnings = append(st.warnings, fmt.Sprintf("the branch and the remote's name are not conditions a rule can name, so this covers every force push, not only to %s", where))
	return nil
}

// conditionPhrases end an action phrase and say when it is allowed:
// "without approval" stresses an allow and makes a deny ask; "unless I
// approve" makes a deny ask; "with my approval" makes an allow ask.
var conditionPhrases = func() [][]string {
	var out [][]string
	for _, p := range []string{
		"without approval", "without asking", "without asking first", "without asking me", "without asking me first",
		"without permission", "without my approval", "without my permission", "without the user's approval",
		"without confirmation", "without asking for approval", "without asking for permission", "without checking with me",
		"unless i approve", "unless i approve it", "unless approved", "unless the user approves", "unless i say so",
		"unless the user agrees", "unless i allow it", "unless i agree", "unless explicitly approved", "unless i explicitly approve",
		"with approval", "with my approval", "with my permission", "with the user's approval", "with permission",
		"only with approval", "only with my approval", "only with my permission", "only with the user's approval", "after asking",
		"after asking me", "once i approve", "if i approve", "if the user approves",
	} {
		out = append(out, strings.Fields(p))
	}
	slices.SortStableFunc(out, func(a, b []string) int { return len(b) - len(a) })
	return out
}()

// conditions strips a condition phrase from the end of the action phrase
// and adjusts the verdict.
func (p *parser) conditions() {
	st := p.st
	for _, c := range conditionPhrases {
		k := p.end - len(c) - p.pos
		if k < 1 || !p.matchWords(k, c) {
			continue
		}
		if p.isWord(k-1, "only") {
			k--
		}
		switch {
		case c[0] == "without" && st.verdict == ironcurtain.Deny:
			st.verdict = ironcurtain.Escalate
		case c[0] == "unless" && st.verdict == ironcurtain.Deny:
			st.verdict = ironcurtain.Escalate
		case c[0] != "without" && c[0] != "unless" && st.verdict == ironcurtain.Allow:
			st.verdict = ironcurtain.Escalate
		}
		if t := p.toks[p.pos+k-1]; t.kind == tComma && k > 1 {
			k--
		}
		p.end = p.pos + k
		st.bodyEnd = p.toks[p.end-1].end
		return
	}
}

// inexpressible refuses what the engine cannot decide: rates, counts, time
// windows, force pushes and branches, naming the idea and the nearest
// sentence that compiles.
func (p *parser) inexpressible() error {
	for i := 0; i < len(p.toks); i++ {
		t := &p.toks[i]
		if t.kind != tWord {
			continue
		}
		idea := ""
		switch {
		case t.low == "per" && p.isWord(i+1-p.pos, "hour", "day", "minute", "week", "month", "session", "second"),
			t.low == "times" || t.low == "hourly" || t.low == "daily",
			p.matchWords(i-p.pos, []string{"at", "most"}) || p.matchWords(i-p.pos, []string{"no", "more", "than"}) ||
				p.matchWords(i-p.pos, []string{"up", "to"}) && i+1 < len(p.toks) && isNumber(p.toks[i+1].low):
			idea = "a rate or count"
		case t.low == "during" || t.low == "weekends" || t.low == "weekdays" || t.low == "o'clock" ||
			(t.low == "business" || t.low == "working" || t.low == "office") && p.isWord(i+1-p.pos, "hours"),
			(t.low == "after" || t.low == "before" || t.low == "until") && i+1 < len(p.toks) && isNumber(p.toks[i+1].low):
			idea = "a time window"
		}
		if idea == "" {
			continue
		}
		cut := t.off
		if i > 0 && p.toks[i-1].low == "only" {
			cut = p.toks[i-1].off
		}
		nearest := strings.TrimSpace(p.src[:cut])
		return p.errAt(t, "%s cannot be expressed: the engine decides each call on its own, with no clock or counter; the nearest sentence that compiles is %q", idea, nearest+".")
	}
	return nil
}

func isNumber(s string) bool {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "pm"), "am")
	return s != "" && strings.Trim(s, "0123456789:") == ""
}

// modalWords are the first words of the modals, for suggestions.
func modalWords() []string {
	var out []string
	for _, m := range modals {
		if !slices.Contains(out, m.words[0]) {
			out = append(out, m.words[0])
		}
	}
	return out
}

// suggest returns the word of words closest to w, when it is a likely
// misspelling of it: an edit distance of at most 2 (1 for short words).
func suggest(w string, words []string) string {
	best, bestD := "", 3
	if len(w) <= 4 {
		bestD = 2
	}
	for _, c := range words {
		if d := editDistance(w, c); d < bestD && d > 0 {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and adjacent transpositions.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
