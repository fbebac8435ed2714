package ironcurtain_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mod = "github.com/ironcurtain-go/ironcurtain"

// layer is what the packages under one directory of the module may depend
// on. Patterns are module-relative: "" is the root, "x" is package x only,
// "x/..." is x and everything beneath it.
type layer struct {
	pkgs string
	// ours are the module's packages the layer may import directly.
	ours []string
	// theirs are the third-party module paths (prefixes) it may import
	// directly, outside its tests.
	theirs []string
	// never are import path prefixes that must not be among its
	// dependencies, however indirect; "third-party" stands for every
	// package outside the standard library and this module.
	never []string
}

// Heavy dependencies, each kept in the one leaf that needs it.
var (
	qjs       = []string{"github.com/fastschema/qjs", "github.com/tetratelabs/wazero", "github.com/evanw/esbuild"}
	docker    = []string{"github.com/moby/"}
	mcp       = []string{"github.com/mark3labs/mcp-go"}
	anthropic = "github.com/anthropics/anthropic-sdk-go"
	openai    = "github.com/openai/openai-go"
	kernel    = []string{"github.com/landlock-lsm/", "github.com/elastic/go-seccomp-bpf", "golang.org/x/net/bpf", "golang.org/x/sys/unix"}
	heavy     = concat(qjs, docker, mcp, []string{anthropic, openai})
)

// layers is the design's dependency rules (../shared/DESIGN.md), one row
// per part of the module; every package must fall under one. The first
// matching row decides.
var layers = []layer{
	// The vocabulary: the standard library and its own internal packages.
	{pkgs: "", ours: []string{"internal/inert", "internal/jsonschema"}, never: []string{"third-party"}},
	// Test helpers may use testify.
	{pkgs: "internal/testtree", theirs: []string{"pgregory.net/rapid", "github.com/stretchr/testify"}, never: heavy},
	{pkgs: "internal/golden", theirs: []string{"github.com/stretchr/testify"}, never: heavy},
	{pkgs: "internal/llmtest", ours: []string{"", "agent"}, theirs: []string{"github.com/stretchr/testify"}, never: heavy},
	{pkgs: "internal/...", ours: []string{"", "internal/..."}, never: []string{"third-party"}},
	// The Gate's collaborators build on the root alone.
	{pkgs: "approve", ours: []string{"", "internal/inert"}, never: []string{"third-party"}},
	{pkgs: "approve/signal/signaltest", never: []string{"third-party"}},
	{pkgs: "approve/...", ours: []string{"", "approve", "approve/...", "internal/..."}, never: heavy},
	{pkgs: "audit", ours: []string{"", "internal/redact"}, never: []string{"third-party"}},
	{pkgs: "vault", ours: []string{""}, never: []string{"third-party"}},
	// The policy engine is pure: no Docker, no QuickJS, no MCP, nothing
	// third-party at all.
	{pkgs: "policy/policytest", ours: []string{""}, theirs: []string{"github.com/stretchr/testify"}, never: heavy},
	{pkgs: "policy", ours: []string{"", "internal/..."}, never: []string{"third-party"}},
	// The compiler's front end needs no model client and no HTTP stack.
	// (It imports agent for the Model interface.)
	{pkgs: "policy/compile/...", ours: []string{"", "policy", "policy/compile/...", "agent"},
		theirs: []string{"golang.org/x/sync"}, never: append([]string{"net/http"}, heavy...)},
	// The agent loop builds on the root alone; each provider brings only
	// its own SDK.
	{pkgs: "agent", ours: []string{""}, never: []string{"third-party"}},
	{pkgs: "agent/anthropic", ours: []string{"", "agent"}, theirs: []string{anthropic},
		never: concat(qjs, docker, mcp, []string{openai})},
	{pkgs: "agent/openai", ours: []string{"", "agent"}, theirs: []string{openai},
		never: concat(qjs, docker, mcp, []string{anthropic})},
	{pkgs: "agent/models", ours: []string{"", "agent", "agent/anthropic", "agent/openai"}, never: concat(qjs, docker, mcp)},
	// Tool servers: no sandbox runtime, no Docker, no MCP library.
	{pkgs: "tools/web", ours: []string{"", "internal/..."},
		theirs: []string{"github.com/JohannesKaufmann/html-to-markdown", "golang.org/x/net", "golang.org/x/text"}, never: heavy},
	{pkgs: "tools/toolservertest", ours: []string{"", "internal/jsonschema"}, theirs: []string{"github.com/stretchr/testify"}, never: heavy},
	{pkgs: "tools/...", ours: []string{"", "internal/...", "jail"}, never: heavy},
	// The leaves that carry the heavy dependencies.
	{pkgs: "sandbox/sandboxtest", ours: []string{""}, theirs: []string{"github.com/stretchr/testify"}, never: heavy},
	{pkgs: "jail", ours: []string{"internal/..."}, theirs: kernel, never: heavy},
	{pkgs: "sandbox/codemode", ours: []string{"", "internal/inert"}, theirs: qjs, never: concat(docker, mcp, []string{anthropic, openai})},
	{pkgs: "sandbox/docker/codetool", ours: []string{"", "internal/toolset", "sandbox/codemode"}, never: concat(docker, mcp, []string{anthropic, openai})},
	{pkgs: "sandbox/docker/internal/...", never: heavy},
	// Docker Mode maps container paths by the policy's annotations.
	{pkgs: "sandbox/docker", ours: []string{"", "policy", "proxy", "proxy/llm", "internal/..."}, theirs: concat(docker, []string{"golang.org/x/sys/unix"}),
		never: concat(qjs, []string{anthropic, openai})},
	{pkgs: "proxy/llm", ours: []string{"", "internal/..."}, never: heavy},
	{pkgs: "proxy", ours: []string{"", "internal/...", "jail"}, theirs: mcp, never: concat(qjs, docker, []string{anthropic, openai})},
	// The library's assembly: policy, approvers, audit and the built-in
	// servers; no sandbox runtime, no Docker, no model client.
	{pkgs: "stack", ours: []string{"", "approve", "audit", "policy", "tools/...", "internal/..."}, never: heavy},
	// Programs may use anything.
	{pkgs: "cmd/...", ours: []string{"..."}, theirs: []string{""}},
	{pkgs: "examples/...", ours: []string{"..."}, theirs: []string{""}},
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// matches reports whether the module-relative package rel falls under
// pattern.
func matches(pattern, rel string) bool {
	switch {
	case pattern == "...":
		return true
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return pattern == rel
}

// TestDependencies checks every package of the module against layers.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list the packages")
	}
	out, err := exec.Command("go", "list", "-f",
		"{{.ImportPath}}|{{join .Imports \",\"}}|{{join .Deps \",\"}}", mod+"/...").CombinedOutput()
	require.NoError(t, err, string(out))
	std := map[string]bool{}
	stdOut, err := exec.Command("go", "list", "std").CombinedOutput()
	require.NoError(t, err, string(stdOut))
	for _, p := range strings.Fields(string(stdOut)) {
		std[p] = true
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Greater(t, len(lines), 20, "go list found the module's packages")
	for _, line := range lines {
		parts := strings.Split(line, "|")
		require.Len(t, parts, 3, line)
		pkg := parts[0]
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		var l *layer
		for i := range layers {
			if matches(layers[i].pkgs, rel) {
				l = &layers[i]
				break
			}
		}
		if !assertLayer(t, l != nil, "package %q has no row in layers: add one that says what it may depend on", rel) {
			continue
		}
		for _, imp := range split(parts[1]) {
			switch {
			case std[imp]:
			case imp == mod || strings.HasPrefix(imp, mod+"/"):
				irel := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
				ok := false
				for _, p := range l.ours {
					ok = ok || matches(p, irel)
				}
				assertLayer(t, ok, "%s must not import %s (its row allows %q)", pkg, imp, l.ours)
			default:
				ok := false
				for _, p := range l.theirs {
					ok = ok || strings.HasPrefix(imp, p)
				}
				assertLayer(t, ok, "%s must not import %s (its row allows %q)", pkg, imp, l.theirs)
			}
		}
		for _, dep := range split(parts[2]) {
			for _, never := range l.never {
				thirdParty := !std[dep] && dep != mod && !strings.HasPrefix(dep, mod+"/") && !strings.HasPrefix(dep, "vendor/")
				bad := strings.HasPrefix(dep, never) || (never == "third-party" && thirdParty)
				assertLayer(t, !bad, "%s must not depend on %s, even indirectly", pkg, dep)
			}
		}
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func assertLayer(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}
