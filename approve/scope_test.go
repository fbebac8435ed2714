package approve

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain"
)

func escalation(resources ...ironcurtain.Resource) ironcurtain.Escalation {
	return ironcurtain.Escalation{
		Call:     ironcurtain.ToolCall{ID: "c1", Server: "fs", Tool: "write_file", Arguments: map[string]any{"path": "/w/a.txt"}},
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval", Resources: resources},
	}
}

func pathRes(role, p string) ironcurtain.Resource {
	return ironcurtain.Resource{Argument: "path", Role: role, Kind: "path", Value: p}
}

func urlRes(role, host string) ironcurtain.Resource {
	return ironcurtain.Resource{Argument: "url", Role: role, Kind: "url", Value: "https://" + host + "/x", Host: host}
}

func TestWithin(t *testing.T) {
	for _, tt := range []struct {
		p, dir string
		want   bool
	}{
		{"/w/a", "/w", true},
		{"/w", "/w", true},
		{"/work/a", "/w", false}, // component boundary
		{"/w/../etc/passwd", "/w", false},
		{"/w/a/", "/w", false}, // not clean
		{"w/a", "w", false},    // not absolute
		{"/etc", "/", true},
	} {
		require.Equal(t, tt.want, within(tt.p, tt.dir), "%s in %s", tt.p, tt.dir)
	}
}

func TestCovers(t *testing.T) {
	dir := ironcurtain.Scope{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/w"}
	dom := ironcurtain.Scope{Role: "fetch-url", Kind: ironcurtain.ScopeDomain, Value: "github.com"}
	tests := []struct {
		name   string
		scopes []ironcurtain.Scope
		esc    ironcurtain.Escalation
		want   bool
	}{
		{"inside", []ironcurtain.Scope{dir}, escalation(pathRes("write-path", "/w/a")), true},
		{"one value outside", []ironcurtain.Scope{dir}, escalation(pathRes("write-path", "/w/a"), pathRes("write-path", "/x/b")), false},
		{"role without values", []ironcurtain.Scope{dir}, escalation(pathRes("read-path", "/w/a")), false},
		{"no scopes", nil, escalation(pathRes("write-path", "/w/a")), false},
		{"unconstrained escalated role", []ironcurtain.Scope{dir}, escalation(pathRes("write-path", "/w/a"), urlRes("fetch-url", "github.com")), false},
		{"both roles", []ironcurtain.Scope{dir, dom}, escalation(pathRes("write-path", "/w/a"), urlRes("fetch-url", "GitHub.com")), true},
		{"subdomain is another host", []ironcurtain.Scope{dom}, escalation(urlRes("fetch-url", "api.github.com")), false},
		{"domain on a path", []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDomain, Value: "w"}}, escalation(pathRes("write-path", "w")), false},
		{"exact", []ironcurtain.Scope{{Role: "branch", Kind: ironcurtain.ScopeExact, Value: "main"}}, escalation(ironcurtain.Resource{Role: "branch", Kind: "identifier", Value: "main"}), true},
		{"exact differs", []ironcurtain.Scope{{Role: "branch", Kind: ironcurtain.ScopeExact, Value: "main"}}, escalation(ironcurtain.Resource{Role: "branch", Kind: "identifier", Value: "dev"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, covers(tt.scopes, tt.esc))
		})
	}

	// Escalated roles named by the decision are the ones that must be
	// constrained.
	esc := escalation(pathRes("write-path", "/w/a"), urlRes("fetch-url", "github.com"))
	esc.Decision.EscalatedRoles = []string{"write-path"}
	require.True(t, covers([]ironcurtain.Scope{dir}, esc))

	// The exact-arguments scope covers those arguments only.
	g, err := ExactGrant(esc, time.Hour)
	require.NoError(t, err)
	require.True(t, covers(g.Scopes, esc))
	esc.Call.Arguments = map[string]any{"path": "/w/b.txt"}
	require.False(t, covers(g.Scopes, esc))
}

// TestGrantsNeverMatchOutsideTheirScope: for random directory scopes and
// random canonical paths, a directory scope holds only if every path is the
// directory or lies below it component by component.
func TestGrantsNeverMatchOutsideTheirScope(t *testing.T) {
	comp := rapid.SampledFrom([]string{"a", "ab", "b", "a.b", "..", ".", "", "w"})
	absPath := rapid.Custom(func(t *rapid.T) string {
		return "/" + strings.Join(rapid.SliceOfN(comp, 0, 4).Draw(t, "comps"), "/")
	})
	rapid.Check(t, func(t *rapid.T) {
		dir := absPath.Draw(t, "dir")
		paths := rapid.SliceOfN(absPath, 1, 3).Draw(t, "paths")
		var res []ironcurtain.Resource
		for _, p := range paths {
			res = append(res, pathRes("write-path", p))
		}
		got := covers([]ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: dir}}, escalation(res...))
		want := true
		for _, p := range paths {
			want = want && inside(p, dir)
		}
		if got && !want {
			t.Fatalf("directory %q covers %q", dir, paths)
		}
		if want && !got && isClean(dir) && allClean(paths) {
			t.Fatalf("directory %q should cover %q", dir, paths)
		}
	})
	host := rapid.SampledFrom([]string{"github.com", "GitHub.com", "api.github.com", "github.com.evil", "evil.com", ""})
	rapid.Check(t, func(t *rapid.T) {
		scopeHost, valueHost := host.Draw(t, "scope"), host.Draw(t, "value")
		got := covers([]ironcurtain.Scope{{Role: "fetch-url", Kind: ironcurtain.ScopeDomain, Value: strings.ToLower(scopeHost)}}, escalation(urlRes("fetch-url", valueHost)))
		if got != (valueHost != "" && strings.EqualFold(scopeHost, valueHost)) {
			t.Fatalf("domain %q vs host %q: %v", scopeHost, valueHost, got)
		}
	})
}

// inside is an independent oracle: component-wise prefix on clean paths.
func inside(p, dir string) bool {
	if !isClean(p) || !isClean(dir) {
		return false
	}
	pc, dc := strings.Split(strings.Trim(p, "/"), "/"), strings.Split(strings.Trim(dir, "/"), "/")
	if dir == "/" {
		return true
	}
	if len(pc) < len(dc) {
		return false
	}
	for i := range dc {
		if pc[i] != dc[i] {
			return false
		}
	}
	return true
}

func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

func allClean(ps []string) bool {
	for _, p := range ps {
		if !isClean(p) {
			return false
		}
	}
	return true
}

func TestScopedGrant(t *testing.T) {
	esc := escalation(pathRes("write-path", "/w/p/a.txt"), pathRes("write-path", "/w/q/b.txt"), urlRes("fetch-url", "GitHub.com"))
	g, ok := ScopedGrant(esc, time.Hour)
	require.True(t, ok)
	require.Equal(t, []ironcurtain.Scope{
		{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/w"},
		{Role: "fetch-url", Kind: ironcurtain.ScopeDomain, Value: "github.com"},
	}, g.Scopes)
	require.True(t, covers(g.Scopes, esc), "a scoped grant covers the call it came from")

	for name, esc := range map[string]ironcurtain.Escalation{
		"root":        escalation(pathRes("write-path", "/a"), pathRes("write-path", "/b/c")),
		"two hosts":   escalation(urlRes("fetch-url", "a.com"), urlRes("fetch-url", "b.com")),
		"history":     escalation(pathRes("write-history", "/w/repo")),
		"no roles":    escalation(),
		"two branch":  escalation(ironcurtain.Resource{Role: "branch", Kind: "identifier", Value: "a"}, ironcurtain.Resource{Role: "branch", Kind: "identifier", Value: "b"}),
		"not clean":   escalation(pathRes("write-path", "/w/../etc/x")),
		"no url host": escalation(ironcurtain.Resource{Role: "fetch-url", Kind: "url", Value: "file:///x"}),
	} {
		_, ok := ScopedGrant(esc, time.Hour)
		require.False(t, ok, name)
	}
}
