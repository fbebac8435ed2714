package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// The model's answers are parsed strictly: one JSON object, no unknown
// fields, every value checked here. Nothing the model says is trusted
// because it parses; the engine has the last word on what it means.

// decodeAnswer decodes the model's text into v: exactly one JSON object,
// optionally inside one code fence, with no unknown fields.
func decodeAnswer(text string, v any) error {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "```") {
		nl := strings.IndexByte(t, '\n')
		if nl < 0 || !strings.HasSuffix(t, "```") {
			return errors.New("an unclosed code fence")
		}
		t = strings.TrimSpace(t[nl+1 : len(t)-3])
	}
	if !strings.HasPrefix(t, "{") {
		return errors.New("the answer is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(t)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return errors.New("text after the JSON object")
	}
	return nil
}

// ruleJSON is a rule as the model writes it.
type ruleJSON struct {
	Name        string            `json:"name"`
	Line        int               `json:"line"`
	Description string            `json:"description,omitempty"`
	Then        string            `json:"then"`
	Reason      string            `json:"reason"`
	If          *policy.Condition `json:"if"`
}

// listJSON is a list the model defines.
type listJSON struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

type rulesAnswer struct {
	Rules []ruleJSON `json:"rules"`
	Lists []listJSON `json:"lists"`
}

type scenarioJSON struct {
	Line        int            `json:"line"`
	Description string         `json:"description"`
	Tool        string         `json:"tool"`
	Arguments   map[string]any `json:"arguments"`
	Expect      string         `json:"expect"`
}

type scenariosAnswer struct {
	Scenarios []scenarioJSON `json:"scenarios"`
}

type opJSON struct {
	Op     string    `json:"op"`
	Name   string    `json:"name,omitempty"`
	Before string    `json:"before,omitempty"`
	Rule   *ruleJSON `json:"rule,omitempty"`
}

type patchAnswer struct {
	Operations []opJSON `json:"operations"`
}

type valuesAnswer struct {
	Values []string `json:"values"`
}

type annotationJSON struct {
	Tool    string      `json:"tool"`
	Comment string      `json:"comment"`
	Args    policy.Args `json:"args"`
}

type annotateAnswer struct {
	Tools []annotationJSON `json:"tools"`
}

// modelRules checks the model's rules for a server and turns them into
// entries: well-formed, scoped to the server, naming its tools and known
// roles and lists, each tied to a sentence outside the subset and
// governing some call.
func (c *compiler) modelRules(server string, rules []ruleJSON, lists []listJSON) ([]entry, error) {
	lines := c.unparsedLines()
	defined := map[string]string{} // list name → type
	for _, l := range lists {
		if !listNameRE.MatchString(l.Name) {
			return nil, fmt.Errorf("list %q: names are lower-case words joined by hyphens", l.Name)
		}
		if _, ok := listFormats[l.Type]; !ok {
			return nil, fmt.Errorf("list %q: type %q (want domains, emails or identifiers)", l.Name, l.Type)
		}
		if strings.TrimSpace(l.Description) == "" {
			return nil, fmt.Errorf("list %q: no description", l.Name)
		}
		defined[l.Name] = l.Type
	}
	taken := map[string]bool{}
	for _, e := range c.entries {
		taken[e.rule.Name] = true
	}
	var out []entry
	for i, r := range rules {
		e, err := c.modelRule(server, r, lines)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%q): %v", i+1, r.Name, err)
		}
		if taken[r.Name] {
			return nil, fmt.Errorf("rule %q: the name is taken", r.Name)
		}
		taken[r.Name] = true
		for _, ref := range listRefs(e.rule) {
			if err := c.checkListRef(ref, defined); err != nil {
				return nil, fmt.Errorf("rule %q: %v", r.Name, err)
			}
		}
		e.pos = i
		out = append(out, e)
	}
	return out, nil
}

func (c *compiler) checkListRef(ref listRef, defined map[string]string) error {
	if t, ok := defined[ref.name]; ok {
		if t != ref.typ {
			return fmt.Errorf("@%s holds %s but is used for %s", ref.name, t, ref.typ)
		}
		return nil
	}
	if _, ok := c.known[ref.name]; ok {
		return nil
	}
	if c.defs[ref.name] != nil {
		if ref.typ != "domains" {
			return fmt.Errorf("@%s holds domains but is used for %s", ref.name, ref.typ)
		}
		return nil
	}
	return fmt.Errorf("@%s is not defined: define it in \"lists\"", ref.name)
}

func (c *compiler) modelRule(server string, r ruleJSON, lines map[int]string) (entry, error) {
	if !ruleNameRE.MatchString(r.Name) {
		return entry{}, errors.New("name: lower-case words joined by hyphens")
	}
	principle, ok := lines[r.Line]
	if !ok {
		return entry{}, fmt.Errorf("line %d is not the line of a sentence to compile", r.Line)
	}
	v, err := ironcurtain.ParseVerdict(r.Then)
	if err != nil {
		return entry{}, fmt.Errorf("then: %v", err)
	}
	if strings.TrimSpace(r.Reason) == "" {
		return entry{}, errors.New("no reason: the agent must be told why")
	}
	if r.If == nil {
		return entry{}, errors.New(`no "if"`)
	}
	cond := *r.If
	if cond.Server != nil && !slices.Equal(cond.Server, []string{server}) {
		return entry{}, fmt.Errorf("server: rules for %s may name only %s", server, server)
	}
	cond.Server = []string{server}
	for _, t := range cond.Tool {
		if c.ix.tool(server, t) == nil {
			return entry{}, fmt.Errorf("the %s server has no tool %q", server, t)
		}
	}
	if cond.Tool != nil && len(cond.Tool) == 0 {
		return entry{}, errors.New("tool: an empty list")
	}
	if err := checkRoles(cond.Roles, -1); err != nil {
		return entry{}, fmt.Errorf("roles: %v", err)
	}
	if p := cond.Paths; p != nil {
		if err := checkRoles(p.Roles, int(policy.CategoryPath)); err != nil {
			return entry{}, fmt.Errorf("paths.roles: %v", err)
		}
		if p.Within, err = checkPath(p.Within); err != nil {
			return entry{}, fmt.Errorf("paths.within: %v", err)
		}
	}
	if d := cond.Domains; d != nil {
		if err := checkRoles(d.Roles, int(policy.CategoryURL)); err != nil {
			return entry{}, fmt.Errorf("domains.roles: %v", err)
		}
		if len(d.Allowed) == 0 {
			return entry{}, errors.New("domains.allowed is empty")
		}
		for i, a := range d.Allowed {
			switch {
			case a == "*":
			case strings.HasPrefix(a, "@"):
				if !listNameRE.MatchString(a[1:]) {
					return entry{}, fmt.Errorf("domains.allowed: bad list name %q", a)
				}
			default:
				if d.Allowed[i], err = checkDomain(a); err != nil {
					return entry{}, fmt.Errorf("domains.allowed: %v", err)
				}
			}
		}
	}
	for _, l := range cond.Lists {
		if err := checkRoles(l.Roles, -1); err != nil {
			return entry{}, fmt.Errorf("lists.roles: %v", err)
		}
		if _, ok := listFormats[l.MatchType]; !ok {
			return entry{}, fmt.Errorf("lists.matchType %q", l.MatchType)
		}
		if len(l.Allowed) == 0 {
			return entry{}, errors.New("lists.allowed is empty")
		}
	}
	rule := policy.Rule{Name: r.Name, Description: r.Description, Principle: principle, If: cond, Then: v, Reason: r.Reason}
	if err := c.lintModelRule(rule, principle); err != nil {
		return entry{}, err
	}
	e := entry{rule: rule, line: r.Line, model: true}
	e.reg = regionOf(rule, c.ix)
	if len(e.reg.cells) == 0 {
		return entry{}, errors.New("it governs no call: no tool of the server has the roles it names")
	}
	return e, nil
}

// checkRoles checks that roles are known and, when cat >= 0, of that
// category. A present but empty list is refused, as the engine does.
func checkRoles(roles []policy.Role, cat int) error {
	if roles != nil && len(roles) == 0 {
		return errors.New("an empty list")
	}
	for _, r := range roles {
		c, ok := r.Category()
		if !ok {
			return fmt.Errorf("unknown role %q", r)
		}
		if cat >= 0 && int(c) != cat {
			return fmt.Errorf("%q is a %s role", r, c)
		}
	}
	return nil
}

// unparsedLines maps the lines of the sentences outside the subset to
// their text.
func (c *compiler) unparsedLines() map[int]string {
	m := make(map[int]string, len(c.unparsed))
	for _, it := range c.unparsed {
		m[it.line] = it.text
	}
	return m
}

// modelScenarios checks the model's scenarios for a server: its tools,
// their arguments, a verdict, a sentence's line; and at least one for
// each sentence its rules implement.
func (c *compiler) modelScenarios(server string, in []scenarioJSON, rules []entry) ([]Scenario, error) {
	lines := c.unparsedLines()
	var out []Scenario
	covered := map[int]bool{}
	for i, s := range in {
		t := c.ix.tool(server, s.Tool)
		if t == nil {
			return nil, fmt.Errorf("scenario %d: the %s server has no tool %q", i+1, server, s.Tool)
		}
		for name := range s.Arguments {
			if !slices.ContainsFunc(t.ann.Args, func(a policy.Arg) bool { return a.Name == name }) {
				return nil, fmt.Errorf("scenario %d: %s has no argument %q", i+1, s.Tool, name)
			}
		}
		v, err := ironcurtain.ParseVerdict(s.Expect)
		if err != nil {
			return nil, fmt.Errorf("scenario %d: expect: %v", i+1, err)
		}
		principle, ok := lines[s.Line]
		if !ok {
			return nil, fmt.Errorf("scenario %d: line %d is not the line of a sentence to compile", i+1, s.Line)
		}
		if strings.TrimSpace(s.Description) == "" {
			return nil, fmt.Errorf("scenario %d: no description", i+1)
		}
		covered[s.Line] = true
		args := s.Arguments
		if args == nil {
			args = map[string]any{}
		}
		out = append(out, Scenario{Description: s.Description, Principle: principle, Line: s.Line, Source: "model",
			Call: Call{Server: server, Tool: s.Tool, Arguments: args}, Expect: v})
	}
	for _, e := range rules {
		if !covered[e.line] {
			return nil, fmt.Errorf("no scenario tests line %d, which the server's rules implement", e.line)
		}
	}
	return out, nil
}

// checkListValues checks a resolved list's values by type; domain lists admit
// each bare domain's subdomains too, as sentences do.
func checkListValues(typ string, vals []string) ([]string, error) {
	if len(vals) == 0 {
		return nil, errors.New("no values")
	}
	var out []string
	add := func(v string) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, v := range vals {
		v = strings.TrimSpace(v)
		switch typ {
		case "domains":
			host := strings.TrimPrefix(strings.ToLower(v), "*.")
			if strings.Contains(host, "/") {
				return nil, fmt.Errorf("%q is not a domain", v)
			}
			if err := checkHostName(host); err != nil {
				return nil, fmt.Errorf("%q: %v", v, err)
			}
			if strings.HasPrefix(v, "*.") {
				add("*." + host)
				continue
			}
			add(host)
			add("*." + host)
		case "emails":
			if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t\r\n") {
				return nil, fmt.Errorf("%q is not an email address", v)
			}
			add(v)
		default:
			if v == "" || strings.ContainsAny(v, " \t\r\n") {
				return nil, fmt.Errorf("%q is not an identifier", v)
			}
			add(v)
		}
	}
	return out, nil
}
