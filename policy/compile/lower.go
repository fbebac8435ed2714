package compile

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// entry is a rule on its way into the policy, with where it came from.
type entry struct {
	rule  policy.Rule
	line  int
	pos   int  // order among its sentence's rules, or in the model's answer
	model bool // written by the model for a sentence outside the subset
	st    *statement
	reg   *region
}

// lower turns one parsed permission sentence into rules, one per
// resource and directory it names.
func lower(st *statement) ([]entry, error) {
	var out []entry
	add := func(fragment []string, cond policy.Condition) {
		name := st.verdict.String()
		name += "-" + strings.Join(slices.DeleteFunc(fragment, func(s string) bool { return s == "" }), "-")
		out = append(out, entry{
			rule: policy.Rule{
				Name:        name,
				Description: description(st),
				Principle:   principle(st),
				If:          cond,
				Then:        st.verdict,
				Reason:      reason(st),
			},
			line: st.line,
			pos:  len(out),
			st:   st,
		})
	}
	if id := st.idiom; id != nil {
		add([]string{id.name}, policy.Condition{Server: []string{id.server}, Tool: slices.Clone(id.tools)})
		return named(st, out)
	}
	for _, k := range st.kinds {
		switch k {
		case kindFiles, kindRepos:
			server, prefix, roles := serverFilesystem, "", fileRoles(st.verbs, false)
			if k == kindRepos {
				server, prefix, roles = serverGit, "git", fileRoles(st.verbs, true)
			}
			if k == kindRepos && len(st.gitTools) > 0 {
				roles = partRoles(roles, st.verdict == ironcurtain.Allow)
			}
			if k == kindRepos && len(st.gitTools) > 0 {
				prefix = "git-" + strings.ReplaceAll(strings.Join(st.gitTools, "-"), "git_", "")
			}
			frag := []string{prefix, classes(st.verbs)}
			reach := ""
			if st.verdict != ironcurtain.Allow {
				reach = policy.SandboxInclude
			}
			switch st.place {
			case placePaths:
				for _, p := range st.paths {
					add(append(slices.Clone(frag), pathFragment(p)), policy.Condition{
						Roles: roles, Server: []string{server},
						Paths: &policy.PathCondition{Roles: slices.Clone(roles), Within: p},
					})
				}
				// An exception takes the other side: what an allow
				// leaves out is denied, what a deny or an ask leaves
				// out is allowed.
				for _, x := range st.except {
					then := ironcurtain.Deny
					if st.verdict != ironcurtain.Allow {
						then = ironcurtain.Allow
					}
					out = append(out, entry{
						rule: policy.Rule{
							Name:        then.String() + "-" + strings.Join(slices.DeleteFunc(append(slices.Clone(frag), "except", pathFragment(x)), func(s string) bool { return s == "" }), "-"),
							Description: description(st),
							Principle:   principle(st),
							If: policy.Condition{Roles: roles, Server: []string{server},
								Paths: &policy.PathCondition{Roles: slices.Clone(roles), Within: x}},
							Then:   then,
							Reason: exceptionReason(st, then, x),
						},
						line: st.line, pos: len(out), st: st,
					})
				}
				continue
			case placeSandbox:
				if st.verdict == ironcurtain.Allow {
					if st.only {
						// "may only read ... in the project": the rest is
						// denied there.
						var rest []policy.Role
						for _, r := range allLocalRoles(k == kindRepos) {
							if !slices.Contains(roles, r) {
								rest = append(rest, r)
							}
						}
						if len(rest) > 0 {
							out = append(out, entry{
								rule: policy.Rule{
									Name:        "deny-" + strings.Join(slices.DeleteFunc([]string{prefix, "other", "in-sandbox"}, func(s string) bool { return s == "" }), "-"),
									Description: description(st),
									Principle:   principle(st),
									If:          policy.Condition{Roles: rest, Server: []string{server}, Sandbox: policy.SandboxOnly},
									Then:        ironcurtain.Deny,
									Reason:      "The constitution lets the agent only " + phrase(st, false) + ".",
								},
								line: st.line, pos: len(out), st: st,
							})
						}
					}
					continue // the structural sandbox allow says it already
				}
				add(append(frag, "in-sandbox"), policy.Condition{Roles: roles, Server: []string{server}, Sandbox: policy.SandboxOnly})
				continue
			case placeOutside:
				frag, reach = append(frag, "outside-sandbox"), ""
			case placeElse:
				frag, reach = append(frag, "elsewhere"), ""
			case placeAnywhere:
				frag = append(frag, "anywhere")
			}
			add(frag, policy.Condition{Roles: roles, Server: []string{server}, Sandbox: reach})
		case kindRemotes:
			var tools []string
			for _, v := range st.verbs {
				if !slices.Contains(tools, v.remote) {
					tools = append(tools, v.remote)
				}
			}
			cond := policy.Condition{Server: []string{serverGit}, Tool: tools}
			frag := []string{"git", classes(st.verbs)}
			add(append(frag, targetFragments(st)...), withDomains(cond, st, policy.RoleGitRemoteURL))
		case kindWeb:
			cond := policy.Condition{Server: []string{serverFetch}, Tool: []string{"http_fetch"}}
			frag := []string{"fetch"}
			add(append(frag, targetFragments(st)...), withDomains(cond, st, policy.RoleFetchURL))
		case kindWebSearch:
			add([]string{"web-search"}, policy.Condition{Server: []string{serverFetch}, Tool: []string{"web_search"}})
		case kindService:
			var tools []string
			for _, t := range st.tools {
				tools = append(tools, t.tool)
			}
			add(st.service.nameFragments(), policy.Condition{Server: []string{st.service.svc.server}, Tool: tools})
		case kindTools:
			for _, g := range groupTools(st.tools) {
				frag := []string{"use", g.server}
				for _, t := range g.tools {
					frag = append(frag, kebab(t))
				}
				cond := policy.Condition{Server: []string{g.server}, Tool: g.tools}
				if st.verdict != ironcurtain.Allow && (g.server == serverFilesystem || g.server == serverGit) {
					cond.Sandbox = policy.SandboxInclude
				}
				add(frag, cond)
			}
		}
	}
	if len(st.gitTools) > 0 {
		// "branches", "tags": the repository rules are about the tools
		// that manage them alone.
		for i := range out {
			if c := &out[i].rule.If; slices.Equal(c.Server, []string{serverGit}) && c.Tool == nil {
				c.Tool = slices.Clone(st.gitTools)
			}
		}
	}
	return named(st, out)
}

// partRoles are the path roles of an action on a part of a repository
// (a branch, a tag): creating or changing one writes history, deleting
// one deletes history; allowed, either also reads the repository (a deny
// or an ask leaves reading alone: "never delete branches" still lists
// them).
func partRoles(roles []policy.Role, allow bool) []policy.Role {
	want := map[policy.Role]bool{}
	for _, r := range roles {
		switch r {
		case policy.RoleWritePath, policy.RoleWriteHistory:
			want[policy.RoleReadPath], want[policy.RoleWriteHistory] = allow, true
		case policy.RoleDeletePath, policy.RoleDeleteHistory:
			want[policy.RoleReadPath], want[policy.RoleDeleteHistory] = allow, true
		default:
			want[r] = true
		}
	}
	var out []policy.Role
	for _, r := range policy.Roles() {
		if want[r] {
			out = append(out, r)
		}
	}
	return out
}

// named applies a sentence's explicit {#name}.
func named(st *statement, out []entry) ([]entry, error) {
	if st.name == "" {
		return out, nil
	}
	if len(out) != 1 {
		return nil, &parseError{Column: len(strings.TrimRight(st.text, " ")) + 1, Msg: fmt.Sprintf("{#%s} names one rule, but this sentence makes %d; split it", st.name, len(out))}
	}
	out[0].rule.Name = st.name
	return out, nil
}

// fileRoles collects the path roles of the verbs, in registry order.
func fileRoles(vs []*verb, repos bool) []policy.Role {
	var want []policy.Role
	for _, v := range vs {
		if repos {
			want = append(want, v.repos...)
		} else {
			want = append(want, v.files...)
		}
	}
	var out []policy.Role
	for _, r := range policy.Roles() {
		if slices.Contains(want, r) {
			out = append(out, r)
		}
	}
	return out
}

// principle is the sentence a rule comes from.
func principle(st *statement) string {
	if st.principle != "" {
		return st.principle
	}
	return st.text
}

// exceptionReason is what the agent is told about an exception.
func exceptionReason(st *statement, then ironcurtain.Verdict, dir string) string {
	forms := make([]string, len(st.verbs))
	for i, v := range st.verbs {
		forms[i] = v.base
	}
	conj := st.conj
	if conj == "" {
		conj = "and"
	}
	vs := forms[0]
	if n := len(forms); n > 1 {
		vs = strings.Join(forms[:n-1], ", ") + " " + conj + " " + forms[n-1]
	}
	if then == ironcurtain.Allow {
		return "The constitution lets the agent " + vs + " in " + dir + ", an exception to what it forbids around it."
	}
	return "The constitution does not let the agent " + vs + " in " + dir + ": it makes an exception of it."
}

// allLocalRoles are the roles files or repositories can have.
func allLocalRoles(repos bool) []policy.Role {
	if repos {
		return []policy.Role{policy.RoleReadPath, policy.RoleWritePath, policy.RoleDeletePath, policy.RoleWriteHistory, policy.RoleDeleteHistory}
	}
	return []policy.Role{policy.RoleReadPath, policy.RoleWritePath, policy.RoleDeletePath}
}

// classes names the verbs' classes, in the order written: "read-write".
func classes(vs []*verb) string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v.class) {
			out = append(out, v.class)
		}
	}
	return strings.Join(out, "-")
}

// withDomains adds the targets to a network rule: a domains condition, or
// for "any remote" or no target at all, only the URL role, so that the
// rule governs the remote or page and leaves the call's paths to the
// sentences about files and repositories.
func withDomains(c policy.Condition, st *statement, role policy.Role) policy.Condition {
	allowed := domainPatterns(st.targets)
	if allowed == nil {
		c.Roles = []policy.Role{role}
		return c
	}
	c.Domains = &policy.DomainCondition{Roles: []policy.Role{role}, Allowed: allowed}
	return c
}

// domainPatterns lowers targets to domains.allowed entries: a bare domain
// admits itself and its subdomains; "any public ..." is "*"; nil means
// unrestricted ("any remote", or no target).
func domainPatterns(ts []target) []string {
	if len(ts) == 0 {
		return nil
	}
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, t := range ts {
		switch {
		case t.any && !t.public:
			return nil
		case t.any:
			return []string{"*"}
		case t.list != "":
			add("@" + t.list)
		case strings.HasPrefix(t.domain, "*.") || strings.Contains(t.domain, "/"):
			add(t.domain)
		default:
			add(t.domain)
			add("*." + t.domain)
		}
	}
	return out
}

// targetFragments names targets in a rule name: a list by its name, a
// domain by its first label, "any other remote" as "elsewhere", "any public
// page" as "public-pages".
func targetFragments(st *statement) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	switch st.place {
	case placeAnywhere:
		return []string{"anywhere"}
	case placeNone:
		return nil
	}
	for _, t := range st.targets {
		switch {
		case t.list != "":
			add(t.list)
		case t.domain != "":
			host, repo, _ := strings.Cut(strings.TrimPrefix(t.domain, "*."), "/")
			label, _, _ := strings.Cut(host, ".")
			add(kebab(label + " " + repo))
		case t.public:
			add("public-" + t.plural)
		case t.other:
			add("elsewhere")
		}
	}
	return out
}

type toolGroup struct {
	server string
	tools  []string // nil: the whole server
}

// groupTools groups tool references by server, in the order written; a
// whole server absorbs its tools.
func groupTools(refs []toolRef) []toolGroup {
	var out []toolGroup
	idx := map[string]int{}
	for _, r := range refs {
		i, ok := idx[r.server]
		if !ok {
			i = len(out)
			idx[r.server] = i
			out = append(out, toolGroup{server: r.server, tools: []string{}})
		}
		g := &out[i]
		switch {
		case r.tool == "" || g.tools == nil:
			g.tools = nil
		case !slices.Contains(g.tools, r.tool):
			g.tools = append(g.tools, r.tool)
		}
	}
	return out
}

// description is the sentence without its subject and final period.
func description(st *statement) string {
	d := strings.TrimSuffix(strings.TrimSpace(st.text[st.descOff:]), ".")
	if st.passive {
		d = lowerFirst(d)
	}
	return d
}

// reason is what the agent is told: the sentence's action phrase in a
// sentence of the verdict's kind.
func reason(st *statement) string {
	switch st.verdict {
	case ironcurtain.Allow:
		return "The constitution lets the agent " + phrase(st, false) + "."
	case ironcurtain.Escalate:
		return upperFirst(phrase(st, true)) + " needs the user's approval."
	}
	return "The constitution forbids " + phrase(st, true) + "."
}

// phrase renders the action phrase with the verbs in their base or -ing
// form, followed by the rest of the sentence as written.
func phrase(st *statement, gerund bool) string {
	if st.idiom != nil {
		if gerund {
			return st.idiom.gerund
		}
		return st.idiom.base
	}
	if st.service != nil {
		// The action as written: service verbs have no table of forms.
		return strings.TrimSpace(st.text[st.restOff:st.bodyEnd])
	}
	forms := make([]string, len(st.verbs))
	for i, v := range st.verbs {
		forms[i] = v.base
		if gerund {
			forms[i] = v.gerund
		}
	}
	conj := st.conj
	if conj == "" {
		conj = "and"
	}
	s := forms[0]
	if n := len(forms); n > 1 {
		s = strings.Join(forms[:n-1], ", ") + " " + conj + " " + forms[n-1]
	}
	if rest := strings.TrimSpace(st.text[st.restOff:st.bodyEnd]); rest != "" {
		s += " " + rest
	}
	return s
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
