package compile

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// meaning works out what the ordered rules say about a scenario call,
// without the engine: the expectation a scenario records. It follows the
// documented evaluation (protected paths, introspection, first match per
// role, strictest role) over the lexical values the scenarios use, which
// never lie in the sandbox and never need a symlink resolved. The engine's
// verdict on the same call is then the check.
type meaning struct {
	ix    *annIndex
	rules []entry
	lists map[string][]string
}

// decision is a verdict and the rule that reached it.
type decision struct {
	verdict ironcurtain.Verdict
	rule    string
}

var (
	denyDefault   = decision{ironcurtain.Deny, policy.RuleDefaultDeny}
	denyProtected = decision{ironcurtain.Deny, policy.RuleProtectedPath}
)

func (m *meaning) decide(c Call) decision {
	t := m.ix.tool(c.Server, c.Tool)
	if t == nil {
		return decision{ironcurtain.Deny, policy.RuleUnknownTool}
	}
	args := t.resolve(c.Arguments)
	// Values per resource role, in declaration order, without duplicates.
	var order []policy.Role
	values := map[policy.Role][]string{}
	mask := map[policy.Role]bool{}
	for _, a := range args {
		for _, r := range a.roles {
			mask[r] = true
		}
		for _, r := range a.roles {
			if isResource(r) && !slices.Contains(order, r) {
				order = append(order, r)
			}
		}
		raw := c.Arguments[a.name]
		var vs []string
		switch x := raw.(type) {
		case string:
			vs = []string{x}
		case []any:
			for _, el := range x {
				if s, ok := el.(string); ok {
					vs = append(vs, s)
				}
			}
		}
		for _, r := range a.roles {
			if !isResource(r) {
				continue
			}
			for _, v := range vs {
				if category(r) == policy.CategoryPath && isProtected(v) {
					return denyProtected
				}
				if !slices.Contains(values[r], v) {
					values[r] = append(values[r], v)
				}
			}
		}
	}
	if c.Server == serverFilesystem && c.Tool == "list_allowed_directories" && len(c.Arguments) == 0 {
		return decision{ironcurtain.Allow, policy.RuleIntrospectionAllow}
	}
	candidates := func(yield func(*entry) bool) {
		for i := range m.rules {
			e := &m.rules[i]
			cond := e.rule.If
			if cond.Server != nil && !slices.Contains(cond.Server, c.Server) ||
				cond.Tool != nil && !slices.Contains(cond.Tool, c.Tool) {
				continue
			}
			if cond.Roles != nil && !slices.ContainsFunc(cond.Roles, func(r policy.Role) bool { return mask[r] }) {
				continue
			}
			if !yield(e) {
				return
			}
		}
	}
	if len(order) == 0 {
		for e := range candidates {
			if e.rule.If.Paths == nil && e.rule.If.Domains == nil && e.rule.If.Lists == nil && e.rule.If.Sandbox != policy.SandboxOnly {
				return decision{e.rule.Then, e.rule.Name}
			}
		}
		return denyDefault
	}
	// Relative paths lie in the sandbox: a path role of the sandbox
	// servers whose every value is relative needs no rule.
	sandboxed := c.Server == serverFilesystem || c.Server == serverGit
	var best decision
	evaluated := 0
	for _, role := range order {
		if sandboxed && category(role) == policy.CategoryPath && len(values[role]) > 0 &&
			!slices.ContainsFunc(values[role], isAbs) && !slices.ContainsFunc(values[role], func(v string) bool {
			return m.sandboxRule(candidates, role, v) != nil
		}) {
			continue
		}
		evaluated++
		res := m.role(candidates, role, values[role], sandboxed)
		if res.verdict == ironcurtain.Deny {
			return res
		}
		if evaluated == 1 || res.verdict.Stricter(best.verdict) {
			best = res
		}
	}
	if evaluated == 0 {
		return decision{ironcurtain.Allow, policy.RuleSandboxAllow}
	}
	return best
}

func isAbs(p string) bool { return strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") }

// role judges the values of one role: each value is decided by the first
// rule that matches it, the strictest value decides the role, and a value
// no rule matches denies it.
func (m *meaning) role(candidates func(func(*entry) bool), role policy.Role, vals []string, perValueSandbox bool) decision {
	if len(vals) == 0 {
		// The tool has the role but the call gives it no value: the first
		// relevant rule with no value conditions decides.
		for e := range candidates {
			c := e.rule.If
			if relevant(c, role) && c.Sandbox != policy.SandboxOnly && c.Paths == nil && c.Domains == nil && c.Lists == nil {
				return decision{e.rule.Then, e.rule.Name}
			}
		}
		return denyDefault
	}
	results := make([]decision, len(vals))
	done := make([]bool, len(vals))
	placeholder := make([]bool, len(vals))
	left := len(vals)
	if perValueSandbox && category(role) == policy.CategoryPath {
		for i, v := range vals {
			if !isAbs(v) {
				if e := m.sandboxRule(candidates, role, v); e != nil {
					results[i], done[i] = decision{e.rule.Then, e.rule.Name}, true
				} else {
					results[i], done[i], placeholder[i] = decision{ironcurtain.Allow, policy.RuleSandboxAllow}, true, true
				}
				left--
			}
		}
	}
	for e := range candidates {
		if left == 0 {
			break
		}
		if !relevant(e.rule.If, role) || e.rule.If.Sandbox == policy.SandboxOnly {
			continue
		}
		if d := e.rule.If.Domains; d != nil && !m.domainsHold(d.Allowed, role, vals) {
			continue
		}
		if e.rule.If.Lists != nil {
			continue // scenarios of the front end never need them
		}
		for i, v := range vals {
			if done[i] {
				continue
			}
			if p := e.rule.If.Paths; p != nil && !pathUnder(cleanValue(v), p.Within) {
				continue
			}
			results[i], done[i] = decision{e.rule.Then, e.rule.Name}, true
			left--
		}
	}
	if left > 0 {
		return denyDefault
	}
	best, bestPlaceholder := results[0], placeholder[0]
	for i, r := range results[1:] {
		if r.verdict.Stricter(best.verdict) || (r.verdict == best.verdict && bestPlaceholder && !placeholder[i+1]) {
			best, bestPlaceholder = r, placeholder[i+1]
		}
	}
	return best
}

// sandboxRule is the first rule reaching the sandbox that decides v, a
// path inside it, before the structural sandbox allow.
func (m *meaning) sandboxRule(candidates func(func(*entry) bool), role policy.Role, v string) *entry {
	var found *entry
	for e := range candidates {
		c := e.rule.If
		if c.Sandbox == "" || !relevant(c, role) || c.Domains != nil || c.Lists != nil {
			continue
		}
		if c.Paths != nil && !pathUnder(cleanValue(v), c.Paths.Within) {
			continue
		}
		found = e
		break
	}
	return found
}

// relevant reports whether a rule is consulted for a role.
func relevant(c policy.Condition, role policy.Role) bool {
	if c.Roles != nil && !slices.Contains(c.Roles, role) {
		return false
	}
	if c.Paths != nil && !slices.Contains(c.Paths.Roles, role) {
		return false
	}
	if c.Domains != nil && !slices.Contains(c.Domains.Roles, role) {
		return false
	}
	if len(c.Lists) > 0 && !slices.ContainsFunc(c.Lists, func(l policy.ListCondition) bool { return slices.Contains(l.Roles, role) }) {
		return false
	}
	return true
}

func (m *meaning) domainsHold(allowed []string, role policy.Role, vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	var patterns []string
	for _, a := range allowed {
		if name, ok := strings.CutPrefix(a, "@"); ok {
			patterns = append(patterns, m.lists[name]...)
			continue
		}
		patterns = append(patterns, a)
	}
	for _, v := range vals {
		host, full := urlHost(v, role == policy.RoleGitRemoteURL)
		if host == "" || !slices.ContainsFunc(patterns, func(p string) bool { return hostMatches(p, host, full) }) {
			return false
		}
	}
	return true
}

// urlHost extracts the host of a scenario URL, and for a git remote the
// "host/owner/repo" form.
func urlHost(v string, git bool) (host, full string) {
	if git && !strings.Contains(v, "://") {
		if i := strings.IndexByte(v, ':'); i > 0 {
			h := v[:i]
			if at := strings.LastIndexByte(h, '@'); at >= 0 {
				h = h[at+1:]
			}
			return strings.ToLower(h), strings.ToLower(h) + "/" + trimRepo(v[i+1:])
		}
		return "", ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", ""
	}
	host = strings.ToLower(u.Hostname())
	full = host
	if git {
		if r := trimRepo(u.Path); r != "" {
			full = host + "/" + r
		}
	}
	return host, full
}

func trimRepo(p string) string {
	return strings.Trim(strings.TrimSuffix(strings.Trim(p, "/"), ".git"), "/")
}

// hostMatches applies one domain pattern to a host.
func hostMatches(p, host, full string) bool {
	switch {
	case p == "*":
		return isPublicHost(host)
	case strings.HasPrefix(p, "*."):
		return !isIP(host) && (host == p[2:] || strings.HasSuffix(host, "."+p[2:]))
	case strings.Contains(p, "/"):
		return full == p
	}
	return host == p
}

// reservedNames are the suffixes "*" never matches: local, private and
// special-use names.
var reservedNames = []string{
	"localhost", "local", "localdomain", "internal", "intranet", "lan",
	"home", "corp", "private", "home.arpa", "arpa", "onion", "test", "invalid", "example",
}

func isIP(h string) bool {
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return true
	}
	return isIPv4Label(strings.ToLower(h[strings.LastIndexByte(h, '.')+1:]))
}

func isPublicHost(h string) bool {
	if !strings.Contains(h, ".") || isIP(h) {
		return false
	}
	for _, s := range reservedNames {
		if h == s || strings.HasSuffix(h, "."+s) {
			return false
		}
	}
	return true
}

// cleanValue cleans a scenario path as the rules write directories.
func cleanValue(v string) string {
	if c, err := checkPath(v); err == nil {
		return c
	}
	return v
}

// isProtected reports whether a scenario path lies in a default protected
// path (all of which are in the home directory).
func isProtected(v string) bool {
	c := cleanValue(v)
	for _, p := range policy.DefaultProtectedPaths() {
		if pathUnder(c, p) {
			return true
		}
	}
	return false
}
