package compile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// service is a third-party server people name by its product: "GitHub",
// "Google Workspace", "Gmail". Its tools are known only from annotations
// given to the compiler; without them a sentence about it is skipped.
type service struct {
	words  []string
	server string
	// prefix narrows the server's tools to the product's ("gmail_"), or
	// "" for all of them.
	prefix string
	label  string
}

// services, longest first so that "google calendar" wins over "calendar".
var services = func() []service {
	gw := "google-workspace"
	out := []service{
		{[]string{"github"}, "github", "", "GitHub"},
		{[]string{"google", "workspace"}, gw, "", "Google Workspace"},
		{[]string{"gmail"}, gw, "gmail_", "Gmail"},
		{[]string{"google", "mail"}, gw, "gmail_", "Gmail"},
		{[]string{"email"}, gw, "gmail_", "Gmail"},
		{[]string{"emails"}, gw, "gmail_", "Gmail"},
		{[]string{"e-mail"}, gw, "gmail_", "Gmail"},
		{[]string{"e-mails"}, gw, "gmail_", "Gmail"},
		{[]string{"google", "calendar"}, gw, "calendar_", "Google Calendar"},
		{[]string{"calendar"}, gw, "calendar_", "Google Calendar"},
		{[]string{"calendars"}, gw, "calendar_", "Google Calendar"},
		{[]string{"google", "drive"}, gw, "drive_", "Google Drive"},
		{[]string{"google", "docs"}, gw, "gdocs_", "Google Docs"},
		{[]string{"google", "sheets"}, gw, "gsheets_", "Google Sheets"},
		{[]string{"slack"}, "slack", "", "Slack"},
	}
	slices.SortStableFunc(out, func(a, b service) int { return len(b.words) - len(a.words) })
	return out
}()

// serviceVerbs are actions only a service has: their forms, and the
// tool-name words they select.
var serviceVerbs = func() map[string]serviceVerb {
	m := map[string]serviceVerb{}
	for _, v := range []serviceVerb{
		{"send", []string{"send"}}, {"comment", []string{"comment"}}, {"merge", []string{"merge"}},
		{"share", []string{"share"}}, {"reply", []string{"reply"}}, {"draft", []string{"draft"}},
		{"schedule", []string{"create", "insert", "quickadd"}},
		// Opening a pull request or an issue creates it.
		{"open", []string{"create"}},
	} {
		stem := strings.TrimSuffix(v.base, "e")
		for _, f := range []string{v.base, v.base + "s", stem + "ing", strings.TrimSuffix(v.base, "y") + "ies", strings.TrimSuffix(v.base, "y") + "ying"} {
			m[f] = v
		}
	}
	return m
}()

type serviceVerb struct {
	base string
	sel  []string
}

// serviceNouns narrow a service's tools to those whose names hold one of
// the words; serviceFillers name the service's things in general.
var serviceNouns = [][2][]string{
	{{"repositories"}, {"file", "code", "commit", "branch", "tag", "release", "repositor"}},
	{{"repository"}, {"file", "code", "commit", "branch", "tag", "release", "repositor"}},
	{{"repos"}, {"file", "code", "commit", "branch", "tag", "release", "repositor"}},
	{{"code"}, {"file", "code"}},
	{{"files"}, {"file"}},
	{{"pull", "requests"}, {"pull_request"}},
	{{"pull", "request"}, {"pull_request"}},
	{{"prs"}, {"pull_request"}},
	{{"issues"}, {"issue"}},
	{{"issue"}, {"issue"}},
	{{"comments"}, {"comment"}},
	{{"branches"}, {"branch"}},
	{{"releases"}, {"release"}},
	{{"tags"}, {"tag"}},
	{{"messages"}, {"message", "thread"}},
	{{"threads"}, {"thread"}},
	{{"drafts"}, {"draft"}},
	{{"events"}, {"event"}},
	{{"meetings"}, {"event"}},
	{{"labels"}, {"label"}},
	{{"spreadsheets"}, {"gsheets"}},
	{{"documents"}, {"gdocs"}},
}

var serviceFillers = map[string]bool{
	"the": true, "my": true, "any": true, "all": true, "its": true, "their": true, "a": true, "an": true, "other": true,
	"on": true, "in": true, "from": true, "to": true, "via": true, "using": true, "with": true, "of": true, "through": true,
	"and": true, "or": true, ",": true, "new": true, "existing": true, "them": true, "it": true, "permanently": true,
	"anything": true, "everything": true, "data": true, "content": true, "contents": true, "information": true,
	"resources": true, "operations": true, "actions": true, "things": true, "account": true, "inbox": true, "mail": true, "operation": true,
	"read-only": true, "mutating": true, "freely": true,
}

// mentionedService returns the first service a sentence names, if any.
func mentionedService(text string) *service {
	toks, err := lex(strings.TrimSuffix(strings.TrimSpace(text), "."))
	if err != nil {
		return nil
	}
	for i := range toks {
		if s := serviceAt(toks, i); s != nil {
			return s
		}
	}
	return nil
}

func serviceAt(toks []token, i int) *service {
	for k := range services {
		s := &services[k]
		if i+len(s.words) > len(toks) {
			continue
		}
		ok := true
		for j, w := range s.words {
			if toks[i+j].kind != tWord || strings.TrimSuffix(toks[i+j].low, "'s") != w {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	return nil
}

// serviceAction is what a sentence about a service says: the tool-name
// words of its verbs (nil for reads, "*" for any tool) and of its nouns.
type serviceAction struct {
	svc     *service
	prefix  []string // the products named ("gmail_"); "" for the whole server
	reads   bool     // a read verb: the tools that only read
	writes  bool     // a write verb: the tools that do not only read
	all     bool     // use, access: every tool
	verbsel []string // tool-name words the verbs select
	nounsel []string // tool-name words the nouns select
	nouns   []string // the nouns, for the rule's name
	class   string
}

// serviceBody parses the action phrase of a sentence about a service:
// verbs, then the service and the things of it, in any order; any other
// word is an error, so that nothing is silently left out.
func (p *parser) serviceBody(svc *service) error {
	st := p.st
	a := &serviceAction{svc: svc}
	st.restOff = st.bodyEnd
	if t := p.peek(0); t != nil {
		st.restOff = t.off
	}
	var classes []string
	for p.pos < p.end {
		t := p.peek(0)
		if s := serviceAt(p.toks[:p.end], p.pos); s != nil {
			if s.server != svc.server {
				return p.errAt(t, "one sentence names one server: %s and %s are two; split it", svc.label, s.label)
			}
			if !slices.Contains(a.prefix, s.prefix) {
				a.prefix = append(a.prefix, s.prefix)
			}
			p.pos += len(s.words)
			continue
		}
		if t.kind == tWord {
			low := strings.TrimSuffix(t.low, "'s")
			// Nouns first: "pull requests" is not the verb "pull".
			matched := false
			for _, n := range serviceNouns {
				if p.matchWords(0, n[0]) {
					a.nounsel = append(a.nounsel, n[1]...)
					a.nouns = appendUnique(a.nouns, strings.Join(n[0], "-"))
					p.pos += len(n[0])
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if sv, ok := serviceVerbs[low]; ok {
				a.verbsel = append(a.verbsel, sv.sel...)
				classes = appendUnique(classes, sv.base)
				p.pos++
				continue
			}
			if v := verbIndex[low]; v != nil {
				switch {
				case v.use || v.class == "access":
					a.all = true
				case v.class == "read":
					a.reads = true
				case v.class == "delete":
					a.verbsel = append(a.verbsel, "delete", "remove", "clear", "trash")
				case v.class == "push":
					a.verbsel = append(a.verbsel, "push")
				default:
					a.writes = true
				}
				classes = appendUnique(classes, v.class)
				p.pos++
				continue
			}
			if serviceFillers[low] {
				p.pos++
				continue
			}
		} else if t.kind == tComma {
			p.pos++
			continue
		}
		return p.errAt(t, "in a sentence about %s, %q is not understood: say what the agent may do with it, such as read, create, comment on, send, merge or delete, and which things (issues, pull requests, messages, events)", svc.label, t.text)
	}
	if len(classes) == 0 {
		return p.errHere("say what the agent may do with %s: read, create, comment on, send, merge or delete", svc.label)
	}
	a.class = strings.Join(classes, "-")
	st.service = a
	st.kinds = []kind{kindService}
	return nil
}

// nameFragments name a sentence's rule: the products, the verbs' classes
// and the nouns ("allow-gmail-read-messages").
func (a *serviceAction) nameFragments() []string {
	var out []string
	for _, p := range a.prefix {
		if p == "" {
			p = a.svc.server
		}
		out = append(out, strings.TrimSuffix(p, "_"))
	}
	if len(out) == 0 {
		out = append(out, a.svc.server)
	}
	out = append(out, a.class)
	return append(out, a.nouns...)
}

func appendUnique(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// readOnlyWords mark a tool that only reads, by the words of its name.
var readOnlyWords = []string{"get", "list", "search", "read", "query", "find", "view", "show", "freebusy"}

func toolWords(name string) []string {
	return strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '-' })
}

// selectTools picks the configured tools a sentence about a service means,
// in the annotations' order.
func (a *serviceAction) selectTools(tools []string) []string {
	var out []string
	for _, name := range tools {
		if len(a.prefix) > 0 && !slices.ContainsFunc(a.prefix, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		words := toolWords(name)
		reads := slices.ContainsFunc(words, func(w string) bool { return slices.Contains(readOnlyWords, w) })
		has := func(sel []string) bool {
			return slices.ContainsFunc(sel, func(s string) bool {
				return strings.Contains(name, s)
			})
		}
		verb := a.all || a.reads && reads || a.writes && !reads || len(a.verbsel) > 0 && has(a.verbsel) && !reads
		if !verb {
			continue
		}
		if len(a.nounsel) > 0 && !has(a.nounsel) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// resolveService finds the tools a sentence about a service names. It
// reports false, having said why, when the sentence is skipped: no
// annotations describe the server.
func (c *compiler) resolveService(st *statement) bool {
	a := st.service
	tools := c.ix.tools[a.svc.server]
	if tools == nil {
		c.report.Compiled--
		c.skip(st.line, st.text, a.svc)
		return false
	}
	var names []string
	for _, t := range tools {
		names = append(names, t.name)
	}
	st.tools = nil
	for _, t := range a.selectTools(names) {
		st.tools = append(st.tools, toolRef{server: a.svc.server, tool: t})
	}
	if len(st.tools) == 0 {
		c.errorf(st.line, st.text, "no tool of the %s server does what this sentence says", a.svc.server)
		return false
	}
	var shown []string
	for _, t := range st.tools {
		shown = append(shown, t.tool)
	}
	st.notes = append(st.notes, fmt.Sprintf("%s means these tools of the %s server: %s", a.svc.label, a.svc.server, strings.Join(shown, ", ")))
	if st.verdict == ironcurtain.Allow && a.writes {
		st.warnings = append(st.warnings, fmt.Sprintf("this allows every tool of the %s server whose name does not say it only reads (%d tools): name the things (issues, pull requests, messages) to narrow it", a.svc.server, len(st.tools)))
	}
	return true
}

// skip records a sentence about a server that is not configured.
func (c *compiler) skip(line int, text string, svc *service) {
	reason := fmt.Sprintf("skipped: the sentence is about %s (the %s server), which is not configured: no tool annotations describe it, so the agent cannot call it and every call to it is denied; give its annotations (--annotations) to enforce this sentence", svc.label, svc.server)
	c.diags = append(c.diags, Diagnostic{Line: line, Severity: Note, Sentence: text, Message: reason})
	c.report.Skipped = append(c.report.Skipped, SkippedSentence{Line: line, Sentence: text, Server: svc.server})
	if !slices.ContainsFunc(c.skipped, func(s string) bool { return s == svc.server }) {
		c.skipped = append(c.skipped, svc.server)
	}
}
