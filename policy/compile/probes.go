package compile

import (
	"maps"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// Probe values: portable ("~" is the home, a relative path is in the
// sandbox) and chosen to fall on each side of the usual boundaries.
var (
	probePaths = []string{"probe.txt", "~/Documents/probe.txt", "~/Downloads/probe.txt", "~/probe.txt",
		"~/.ssh/id_rsa", elsewhere + "/probe.txt"}
	probePages = []string{"https://github.com/", "https://pkg.go.dev/net/http", "https://" + publicHost + "/",
		privateWeb, "http://localhost:8080/"}
	probeRemotes = []string{"https://github.com/example/repo.git", "git@gitlab.com:example/repo.git",
		"https://codeberg.org/example/repo.git", privateRepo, "origin"}
)

// Probes returns representative calls of every annotated tool: for each
// mode its annotations distinguish, one call per sample value of its
// resource arguments — paths in the sandbox, in ~/Documents, elsewhere in
// the home, protected, outside it, and inside and just outside every
// directory the policies name; URLs on public and private hosts and on
// every domain the policies name. Replaying them against two policies
// shows where their decisions differ. The calls are in a fixed order and
// without duplicates.
func Probes(ann *policy.Annotations, policies ...*policy.CompiledPolicy) []Call {
	ix := indexAnnotations(ann)
	paths := slices.Clone(probePaths)
	pages, remotes := slices.Clone(probePages), slices.Clone(probeRemotes)
	add := func(xs *[]string, v string) {
		if v != "" && !slices.Contains(*xs, v) {
			*xs = append(*xs, v)
		}
	}
	g := &scenarioGen{m: &meaning{}}
	for _, p := range policies {
		if p == nil {
			continue
		}
		for _, r := range p.Rules {
			if c := r.If.Paths; c != nil {
				add(&paths, pathSample(c.Within, ""))
				if out := outsidePath(c.Within); out != "" {
					add(&paths, pathSample(out, ""))
				}
			}
			if c := r.If.Domains; c != nil {
				for _, d := range c.Allowed {
					if !strings.HasPrefix(d, "@") && d != "*" {
						add(&pages, g.urlSample(d, policy.RoleFetchURL))
						add(&remotes, g.urlSample(d, policy.RoleGitRemoteURL))
					}
				}
			}
		}
	}
	pool := func(r policy.Role) []string {
		switch {
		case category(r) == policy.CategoryPath:
			return paths
		case r == policy.RoleFetchURL:
			return pages
		case r == policy.RoleGitRemoteURL:
			return remotes
		}
		return []string{"example"}
	}
	var out []Call
	seen := map[string]bool{}
	emit := func(c Call) {
		if k := c.key(); !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	for _, server := range ix.servers {
		for _, t := range ix.tools[server] {
			for _, v := range variants(t) {
				args := t.resolve(v)
				var first policy.Role
				for _, a := range args {
					if r := resourceRole(a.roles); r != "" {
						first = r
						break
					}
				}
				if first == "" {
					emit(Call{Server: server, Tool: t.name, Arguments: maps.Clone(v)})
					continue
				}
				for _, val := range pool(first) {
					call := Call{Server: server, Tool: t.name, Arguments: maps.Clone(v)}
					for _, a := range args {
						r := resourceRole(a.roles)
						switch {
						case r == "":
						case sameCategory(r, first):
							call.Arguments[a.name] = val
						default:
							call.Arguments[a.name] = pool(r)[0]
						}
					}
					emit(call)
				}
			}
		}
	}
	return out
}

func resourceRole(roles []policy.Role) policy.Role {
	for _, r := range roles {
		if isResource(r) {
			return r
		}
	}
	return ""
}

// sameCategory: two roles take the same sample values.
func sameCategory(a, b policy.Role) bool {
	if category(a) == policy.CategoryURL || category(b) == policy.CategoryURL {
		return a == b
	}
	return category(a) == category(b)
}
