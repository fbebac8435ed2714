package compile

import (
	"fmt"
	"regexp"
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
	place   placeKind
	paths   []string
	targets []target

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
			return nil, &parseError{Msg: fmt.Sprintf("rule name %q: use lower-case words joined by hyphens", st.name)}
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
		return nil, &parseError{Msg: "empty sentence"}
	}
	p := &parser{st: st, toks: toks, src: core}
	if err := p.sentence(); err != nil {
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
	if n := subjectLen(p); n > 0 {
		p.pos = n
		for _, m := range modals {
			if p.matchWords(0, m.words) {
				st.verdict = m.verdict
				st.descOff = p.toks[p.pos].off
				p.pos += len(m.words)
				st.bodyEnd = len(p.src)
				return p.body()
			}
		}
		return p.errHere(`after "The agent" say "may", "must ask before" or "may never"`)
	}
	for _, m := range verdictPhrases {
		n := len(m.words)
		if len(p.toks) > n && p.matchWords(len(p.toks)-n, m.words) {
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
	if p.pos >= p.end {
		return p.errHere("say what the agent may do")
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
	if t := p.peek(0); t != nil {
		st.restOff = t.off
	} else {
		st.restOff = st.bodyEnd
	}
	// A particle joins a verb to its object: "deleting in repositories".
	if t := p.peek(0); t != nil && t.kind == tWord && particles[t.low] && p.startsObject(1) {
		p.pos++
	}
	if err := p.objects(); err != nil {
		return err
	}
	if err := p.placePhrase(); err != nil {
		return err
	}
	if t := p.peek(0); t != nil {
		return p.errAt(t, "unexpected %q; the sentence should end here", t.text)
	}
	return p.resolveKinds()
}

// verbList reads "verb[, verb] and verb".
func (p *parser) verbList() error {
	for {
		t := p.peek(0)
		if t == nil || t.kind != tWord || verbIndex[t.low] == nil {
			if t == nil {
				return p.errHere("say what the agent may do: an action such as read, write, delete, clone, push or fetch")
			}
			return p.errAt(t, "unknown action %q: known actions are %s", t.text, knownVerbs())
		}
		p.st.verbs = append(p.st.verbs, verbIndex[t.low])
		p.pos++
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
