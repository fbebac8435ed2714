package compile

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// Scenarios is the test-scenarios.json artifact: calls and the decisions
// the constitution expects for them.
type Scenarios struct {
	// ConstitutionHash is the SHA-256 of the constitution, hex.
	ConstitutionHash string     `json:"constitutionHash,omitempty"`
	Scenarios        []Scenario `json:"scenarios"`
}

// Scenario is one call and the decision the constitution expects.
//
// Paths start with "~" (the home directory) or are relative (inside the
// sandbox), so that a scenario means the same on every machine: replay
// them with a home and a sandbox that do not contain each other.
type Scenario struct {
	Description string `json:"description"`
	// Principle is the sentence the scenario tests, and Line its line.
	Principle string `json:"principle,omitempty"`
	Line      int    `json:"line,omitempty"`
	// Source is "sentence" for scenarios the front end derived from a
	// sentence of the controlled subset, "model" for the model's.
	Source string              `json:"source"`
	Call   Call                `json:"call"`
	Expect ironcurtain.Verdict `json:"expect"`
	// Rule, when set, is the rule expected to decide.
	Rule string `json:"rule,omitempty"`
}

// Call is a scenario's tool call.
type Call struct {
	Server    string         `json:"server"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

// ToolCall returns the call as the engine takes it.
func (c Call) ToolCall() ironcurtain.ToolCall {
	args := maps.Clone(c.Arguments)
	if args == nil {
		args = map[string]any{}
	}
	return ironcurtain.ToolCall{Server: c.Server, Tool: c.Tool, Arguments: args}
}

// key identifies a call: its server, tool and arguments.
func (c Call) key() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// Outcome is a scenario replayed on an engine.
type Outcome struct {
	Scenario Scenario
	Decision ironcurtain.Decision
	// Pass: the verdict is the expected one and, when the scenario names a
	// rule, so is the rule.
	Pass bool
}

// Replay replays scenarios on an engine. Only ctx's error is returned; an
// engine that cannot decide fails the scenario.
func Replay(ctx context.Context, e ironcurtain.PolicyEngine, scs []Scenario) ([]Outcome, error) {
	out := make([]Outcome, 0, len(scs))
	for _, s := range scs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		d, err := e.Evaluate(ctx, s.Call.ToolCall())
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			d = ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "evaluation-error", Reason: err.Error()}
		}
		pass := d.Verdict == s.Expect && (s.Rule == "" || s.Rule == d.Rule)
		out = append(out, Outcome{Scenario: s, Decision: d, Pass: pass})
	}
	return out, nil
}

// Sample values the front end's scenarios use.
const (
	elsewhere   = "/opt/example"
	publicHost  = "www.example.com"
	privateWeb  = "http://169.254.169.254/latest/meta-data/"
	privateRepo = "https://192.0.2.1/example/repo.git"
)

// scenarioGen derives scenarios from the sentences' rules.
type scenarioGen struct {
	ix   *annIndex
	m    *meaning
	seen map[string]bool
	out  []Scenario
}

// forEntry adds the scenarios of one rule: a call inside its region for
// each role it decides, and calls just outside it.
func (g *scenarioGen) forEntry(e *entry) {
	c := e.rule.If
	server := ""
	if len(c.Server) > 0 {
		server = c.Server[0]
	}
	// A rule that reaches the sandbox is tried there too: a relative path
	// lies in it, and the engine must decide it by the rule, not by the
	// structural sandbox allow.
	if c.Sandbox != "" && c.Paths == nil {
		for _, role := range c.Roles {
			if category(role) == policy.CategoryPath {
				g.add(e, server, c.Tool, role, "work/"+sampleFile(server), "inside the sandbox")
			}
		}
	}
	switch {
	case c.Paths != nil:
		for _, role := range c.Paths.Roles {
			g.add(e, server, c.Tool, role, pathSample(c.Paths.Within, server), "")
		}
		if out := outsidePath(c.Paths.Within); out != "" {
			g.add(e, server, c.Tool, c.Paths.Roles[0], pathSample(out, server), "just outside "+c.Paths.Within)
		}
	case c.Domains != nil:
		role := c.Domains.Roles[0]
		g.add(e, server, c.Tool, role, g.urlSample(c.Domains.Allowed[0], role), "")
		if slices.Contains(c.Domains.Allowed, "*") {
			g.add(e, server, c.Tool, role, privateURL(role), "not a public name")
		} else {
			g.add(e, server, c.Tool, role, g.urlSample("*", role), "outside the allowed domains")
		}
	case c.Roles != nil:
		for _, role := range c.Roles {
			v := elsewhere + "/" + sampleFile(server)
			if category(role) == policy.CategoryURL {
				v = anyURL(role)
			}
			g.add(e, server, c.Tool, role, v, "")
		}
	default:
		tools := c.Tool
		if tools == nil && len(g.ix.tools[server]) > 0 {
			tools = []string{g.ix.tools[server][0].name}
		}
		for i, name := range tools {
			if i == 3 {
				break
			}
			if t := g.ix.tool(server, name); t != nil {
				g.emit(e, t, nil, "", "", "")
			}
		}
	}
}

// add emits a call of a tool of server that gives role the value v.
func (g *scenarioGen) add(e *entry, server string, tools []string, role policy.Role, v, note string) {
	t, variant := g.pick(server, tools, role)
	if t == nil {
		return
	}
	g.emit(e, t, variant, role, v, note)
}

// pick chooses the tool (and the values of its mode arguments) that has
// role with the fewest other resource roles, earliest in annotation order.
func (g *scenarioGen) pick(server string, tools []string, role policy.Role) (*toolInfo, map[string]any) {
	var best *toolInfo
	var bestArgs map[string]any
	bestScore := 1 << 30
	for _, t := range g.ix.tools[server] {
		if tools != nil && !slices.Contains(tools, t.name) {
			continue
		}
		for _, v := range variants(t) {
			var have []policy.Role
			for _, a := range t.resolve(v) {
				for _, r := range a.roles {
					if isResource(r) {
						have = addRoles(have, []policy.Role{r})
					}
				}
			}
			if slices.Contains(have, role) && len(have) < bestScore {
				best, bestArgs, bestScore = t, v, len(have)
			}
		}
	}
	return best, bestArgs
}

// variants are argument sets that select each conditional role of a tool:
// none, then one per "when" clause that can be made to hold.
func variants(t *toolInfo) []map[string]any {
	out := []map[string]any{{}}
	for _, a := range t.ann.Args {
		for _, w := range a.Spec.When {
			if v, ok := satisfy(w.Condition); ok {
				out = append(out, map[string]any{w.Condition.Arg: v})
			}
		}
	}
	return out
}

// emit builds the call: role's arguments get v; other path arguments a
// path in the sandbox (or, for a call about paths, next to v); other URL
// arguments a public URL.
func (g *scenarioGen) emit(e *entry, t *toolInfo, variant map[string]any, role policy.Role, v, note string) {
	args := maps.Clone(variant)
	if args == nil {
		args = map[string]any{}
	}
	paths := 0
	main := ""
	for _, a := range t.resolve(variant) {
		var res policy.Role
		for _, r := range a.roles {
			if isResource(r) {
				res = r
				break
			}
		}
		if res == "" {
			continue
		}
		switch {
		case role != "" && slices.Contains(a.roles, role):
			args[a.name] = v
			main = v
		case category(res) == policy.CategoryPath:
			args[a.name] = companionPath(role, v, t.server, paths)
		case category(res) == policy.CategoryURL:
			args[a.name] = g.urlSample("*", res)
		default:
			args[a.name] = "example"
		}
		if category(res) == policy.CategoryPath {
			paths++
		}
	}
	call := Call{Server: t.server, Tool: t.name, Arguments: args}
	if g.seen[call.key()] {
		return
	}
	g.seen[call.key()] = true
	d := g.m.decide(call)
	desc := t.server + "/" + t.name
	if main != "" {
		desc += " " + main
	}
	if note != "" {
		desc += " (" + note + ")"
	}
	g.out = append(g.out, Scenario{
		Description: desc, Principle: e.rule.Principle, Line: e.line, Source: "sentence",
		Call: call, Expect: d.verdict, Rule: d.rule,
	})
}

// companionPath is the value of a path argument the scenario is not about:
// beside the main path when the scenario is about paths, else a relative
// path, which lies in the sandbox.
func companionPath(role policy.Role, v, server string, n int) string {
	if role != "" && category(role) == policy.CategoryPath {
		dir := v[:strings.LastIndexByte(v, '/')]
		return fmt.Sprintf("%s/other-%d", dir, n)
	}
	return sampleFile(server)
}

func sampleFile(server string) string {
	if server == serverGit {
		return "project"
	}
	return "example.txt"
}

func pathSample(dir, server string) string {
	if dir == "/" {
		dir = ""
	}
	return dir + "/" + sampleFile(server)
}

// outsidePath is a directory just outside dir: a sibling sharing its
// name as a prefix, which a prefix comparison would wrongly admit.
func outsidePath(dir string) string {
	switch dir {
	case "/":
		return ""
	case "~":
		return elsewhere
	}
	return dir + "-other"
}

// urlSample is a URL that pattern p admits, for a fetch or a git remote.
func (g *scenarioGen) urlSample(p string, role policy.Role) string {
	host, repo := publicHost, "example/repo"
	switch {
	case strings.HasPrefix(p, "@"):
		vals := g.m.lists[p[1:]]
		if len(vals) == 0 {
			break
		}
		return g.urlSample(vals[0], role)
	case p == "*":
	case strings.HasPrefix(p, "*."):
		host = "www." + p[2:]
	case strings.Contains(p, "/"):
		host, repo, _ = strings.Cut(p, "/")
	default:
		host = p
	}
	if role == policy.RoleGitRemoteURL {
		return "https://" + host + "/" + repo + ".git"
	}
	return "https://" + host + "/"
}

// anyURL is a URL for a rule that names no domain: a git remote in scp
// form, or a page on a host no sample elsewhere uses.
func anyURL(role policy.Role) string {
	if role == policy.RoleGitRemoteURL {
		return "git@code.example.org:example/repo.git"
	}
	return "https://www.example.org/"
}

func privateURL(role policy.Role) string {
	if role == policy.RoleGitRemoteURL {
		return privateRepo
	}
	return privateWeb
}
