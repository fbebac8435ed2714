package compile

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// toolInfo is one annotated tool, as the compiler needs it.
type toolInfo struct {
	server, name string
	ann          policy.ToolAnnotation
	// possible holds every role any resolution of the tool can give an
	// argument; resource holds the resource roles among them.
	possible, resource []policy.Role
}

// annIndex indexes annotations by server and tool, keeping annotation
// order.
type annIndex struct {
	servers []string // sorted
	tools   map[string][]*toolInfo
	byName  map[string]map[string]*toolInfo
}

func indexAnnotations(a *policy.Annotations) *annIndex {
	ix := &annIndex{tools: map[string][]*toolInfo{}, byName: map[string]map[string]*toolInfo{}}
	if a == nil {
		return ix
	}
	for server, sa := range a.Servers {
		ix.servers = append(ix.servers, server)
		ix.byName[server] = map[string]*toolInfo{}
		for _, ta := range sa.Tools {
			t := &toolInfo{server: server, name: ta.ToolName, ann: ta}
			for _, arg := range ta.Args {
				t.possible = addRoles(t.possible, arg.Spec.Default)
				for _, w := range arg.Spec.When {
					t.possible = addRoles(t.possible, w.Roles)
				}
			}
			for _, r := range t.possible {
				if isResource(r) {
					t.resource = append(t.resource, r)
				}
			}
			ix.tools[server] = append(ix.tools[server], t)
			ix.byName[server][ta.ToolName] = t
		}
	}
	sort.Strings(ix.servers)
	return ix
}

func (ix *annIndex) tool(server, name string) *toolInfo { return ix.byName[server][name] }

func addRoles(into, roles []policy.Role) []policy.Role {
	for _, r := range roles {
		if !slices.Contains(into, r) {
			into = append(into, r)
		}
	}
	return into
}

// isResource reports whether a role's values are judged one by one: paths,
// URLs and identifiers.
func isResource(r policy.Role) bool {
	c, ok := r.Category()
	return ok && c != policy.CategoryOpaque
}

func category(r policy.Role) policy.Category {
	c, _ := r.Category()
	return c
}

// resolvedArg is one argument with the roles it has for a given call.
type resolvedArg struct {
	name  string
	roles []policy.Role
}

// resolve gives each argument of a tool its roles for a call, as the engine
// does: the first "when" whose condition holds, else the default.
func (t *toolInfo) resolve(args map[string]any) []resolvedArg {
	out := make([]resolvedArg, 0, len(t.ann.Args))
	for _, a := range t.ann.Args {
		roles := a.Spec.Default
		for _, w := range a.Spec.When {
			if w.Condition.Holds(args) {
				roles = w.Roles
				break
			}
		}
		out = append(out, resolvedArg{name: a.Name, roles: roles})
	}
	return out
}

// satisfy returns an argument value that makes c hold, and whether the
// argument should be present at all.
func satisfy(c policy.RoleCondition) (any, bool) {
	switch {
	case len(c.Equals) > 0:
		var v any
		if json.Unmarshal(bytes.TrimSpace(c.Equals), &v) != nil {
			return nil, false
		}
		return v, true
	case len(c.In) > 0:
		return c.In[0], true
	}
	switch c.Is {
	case "present", "truthy":
		return true, true
	}
	return nil, false
}
