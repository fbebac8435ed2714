package compile

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// readsFiles reports whether an allow of reading grants reading files
// or a repository's contents; on branches and tags alone (rules narrowed
// to git_branch, git_tag) reading is listing them.
func readsFiles(st *statement) bool {
	return slices.Contains(st.kinds, kindFiles) || slices.Contains(st.kinds, kindRepos) && len(st.gitTools) == 0
}

// meaningWarnings says where a sentence's rules cannot do what it says:
// an allow with no place, an allow that admits no call, "list" that
// grants reading, history the engine cannot split, a deny that leaves the
// sandbox out, a directory that does not exist.
func meaningWarnings(st *statement, es []entry, ix *annIndex, checkPaths bool) []string {
	var out []string
	local := slices.ContainsFunc(st.kinds, func(k kind) bool { return k == kindFiles || k == kindRepos })
	if st.verdict == ironcurtain.Allow && local && st.place == placeNone {
		out = append(out, `no place is named, so this allows it anywhere outside the sandbox too (~/.bashrc, /etc): name a directory, say "in the project directory", or say "anywhere" if you mean it`)
	}
	onlyList := slices.ContainsFunc(st.verbs, func(v *verb) bool { return v.base == "list" }) &&
		!slices.ContainsFunc(st.verbs, func(v *verb) bool { return v.class == "read" && v.base != "list" })
	for _, v := range st.verbs {
		switch {
		case v.base == "list" && onlyList && st.verdict == ironcurtain.Allow && readsFiles(st):
			out = append(out, `"list" grants reading the files too: the engine has one role for listing and reading`)
		case v.base == "rewrite" || v.base == "rewriting":
			out = append(out, "the engine cannot tell rewriting history from adding to it: this also covers commits, merges, pulls and resets")
		}
	}
	if st.verdict != ironcurtain.Allow && st.place == placePaths && local {
		for _, p := range st.paths {
			if p == "~" || p == "/" {
				out = append(out, fmt.Sprintf(`%s may hold the sandbox, but a rule about a directory does not reach inside it: paths in the sandbox stay allowed; say "anywhere" to include them`, p))
			}
		}
	}
	for _, p := range st.paths {
		if checkPaths && strings.HasPrefix(p, "/") {
			if _, err := os.Lstat(p); err != nil && os.IsNotExist(err) {
				out = append(out, fmt.Sprintf("%s does not exist on this machine: check the path", p))
			}
		}
	}
	for _, e := range es {
		if e.rule.Then != ironcurtain.Allow || e.rule.If.Tool != nil || e.rule.If.Roles == nil {
			continue
		}
		if w := admitsNoCall(e.rule, ix); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// localRoles are the roles a sentence about files or repositories grants.
var localRoles = []policy.Role{policy.RoleReadPath, policy.RoleWritePath, policy.RoleDeletePath, policy.RoleWriteHistory, policy.RoleDeleteHistory}

// admitsNoCall explains an allow rule no call of its servers passes: every
// mode of every tool with one of its roles also needs a role it lacks.
func admitsNoCall(r policy.Rule, ix *annIndex) string {
	var need []string
	for _, server := range r.If.Server {
		for _, t := range ix.tools[server] {
			for _, v := range variants(t) {
				var roles []policy.Role
				for _, a := range t.resolve(v) {
					for _, x := range a.roles {
						if slices.Contains(localRoles, x) && !slices.Contains(roles, x) {
							roles = append(roles, x)
						}
					}
				}
				if !slices.ContainsFunc(roles, func(x policy.Role) bool { return slices.Contains(r.If.Roles, x) }) {
					continue
				}
				var missing []string
				for _, x := range roles {
					if !slices.Contains(r.If.Roles, x) {
						missing = append(missing, string(x))
					}
				}
				if len(missing) == 0 {
					return ""
				}
				if len(need) < 2 {
					need = append(need, fmt.Sprintf("%s also needs %s", t.name, strings.Join(missing, " and ")))
				}
			}
		}
	}
	if len(need) == 0 {
		return ""
	}
	return "no call is allowed by this sentence alone: " + strings.Join(need, "; ") + " (a commit also needs reading the repository, a delete reading and writing): name those actions too"
}
