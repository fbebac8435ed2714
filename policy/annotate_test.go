package policy

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain"
)

func TestAnnotateIronCurtainGit(t *testing.T) {
	data, err := os.ReadFile("testdata/drift/ironcurtain-git-annotations.json")
	require.NoError(t, err)
	var base Annotations
	require.NoError(t, json.Unmarshal(data, &base))
	base.Servers["github"] = ServerAnnotations{Tools: []ToolAnnotation{{ToolName: "get_issue", Args: Args{{Name: "owner", Spec: ArgSpec{Default: []Role{RoleGitHubOwner}}}}}}}
	served := builtinTools(t)
	got, rep := Annotate(&base, map[string][]ironcurtain.Tool{"git": served["git"]}, DefaultAnnotations())
	require.Empty(t, rep.Unresolved)
	require.Contains(t, rep.Renamed, `git/git_add: "files" renamed "paths": its roles carried over`)
	require.Contains(t, rep.Removed, `git/git_commit: argument "sign" is no longer taken`)
	require.Contains(t, rep.Known, `git/git_diff: argument "autoExclude" takes the built-in roles ["none"]`)
	require.Equal(t, base.Servers["github"], got.Servers["github"], "servers not served are kept")

	a := DefaultArtifacts()
	a.Annotations = got
	e, err := New(a, Config{Home: t.TempDir()})
	require.NoError(t, err)
	drifts, err := e.CheckServed(map[string][]ironcurtain.Tool{"git": served["git"]})
	require.NoError(t, err)
	require.Empty(t, drifts)

	// Roles of unchanged arguments are kept: IronCurtain's git_clone gives
	// its destination write-path, and it keeps it under the new name; its
	// git_branch conditions on "operation" now test "mode".
	byName := map[string]ToolAnnotation{}
	for _, ta := range got.Servers["git"].Tools {
		byName[ta.ToolName] = ta
	}
	spec := func(tool, arg string) ArgSpec {
		for _, a := range byName[tool].Args {
			if a.Name == arg {
				return a.Spec
			}
		}
		t.Fatalf("%s has no argument %s", tool, arg)
		return ArgSpec{}
	}
	require.Equal(t, []Role{RoleWritePath}, spec("git_clone", "path").Default)
	branch := spec("git_branch", "path")
	require.Len(t, branch.When, 3)
	for _, w := range branch.When {
		require.Equal(t, "mode", w.Condition.Arg)
	}
	require.Equal(t, []Role{RoleBranchName}, spec("git_branch", "newBranchName").Default)
	require.Equal(t, "path", byName["git_clone"].Args[1].Name, "arguments in schema order")
	d := decide(t, e, call("git", "git_branch", "path", "/srv/r", "mode", "list", "branchName", "x"))
	require.Equal(t, E, d.Verdict, "the default policy escalates a repository outside the sandbox")
	var roles []string
	for _, r := range d.Resources {
		roles = append(roles, r.Role)
	}
	require.Equal(t, []string{"read-path"}, roles, "mode list: the condition on mode applies")
}

func TestAnnotateUnresolved(t *testing.T) {
	tools := []ironcurtain.Tool{{Name: "fetch_page", Description: "Fetches a page.\nMore.", InputSchema: json.RawMessage(`{"properties":{"url":{"type":"string"},"depth":{"type":"integer"}}}`)}}
	base := &Annotations{Servers: map[string]ServerAnnotations{"crawler": {Tools: []ToolAnnotation{
		{ToolName: "fetch_page", Args: Args{{Name: "url", Spec: ArgSpec{Default: []Role{RoleFetchURL}}}}},
		{ToolName: "gone", Args: Args{}},
	}}}}
	got, rep := Annotate(base, map[string][]ironcurtain.Tool{"crawler": tools}, nil)
	require.Equal(t, []string{`crawler/fetch_page: argument "depth" has no role: give it one`}, rep.Unresolved)
	require.Equal(t, []string{"crawler/gone: no longer served"}, rep.Removed)
	require.Len(t, got.Servers["crawler"].Tools, 1)
	require.Equal(t, "Fetches a page.", got.Servers["crawler"].Tools[0].Comment)
	d := compareTool("crawler", got.Servers["crawler"].Tools[0], tools[0])
	require.Equal(t, []string{"depth"}, d.Unroled, "an unresolved argument keeps the tool refused")
}

// TestAnnotateProperty: whatever the old annotations and the tool's
// arguments, Annotate's result leaves out exactly the arguments it reports
// unresolved, keeps no argument the tool does not take and no condition on
// one, and keeps the roles of every argument whose name is unchanged.
func TestAnnotateProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		names := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"path", "paths", "file", "filePath", "mode", "operation", "name", "branchName", "url", "force", "limit"}), 0, 8, rapid.ID[string]).Draw(t, "old")
		served := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"path", "paths", "file", "filePath", "mode", "operation", "name", "branchName", "url", "force", "limit"}), 0, 8, rapid.ID[string]).Draw(t, "served")
		roles := []Role{RoleReadPath, RoleNone, RoleBranchName, RoleFetchURL}
		old := ToolAnnotation{ToolName: "t"}
		for _, n := range names {
			spec := ArgSpec{Default: []Role{rapid.SampledFrom(roles).Draw(t, "role")}}
			if rapid.Bool().Draw(t, "conditional") && len(names) > 0 {
				spec.Conditional = true
				spec.When = []When{{Condition: RoleCondition{Arg: rapid.SampledFrom(names).Draw(t, "arg"), Is: "present"}, Roles: []Role{RoleNone}}}
			}
			old.Args = append(old.Args, Arg{Name: n, Spec: spec})
		}
		props := map[string]any{}
		for _, n := range served {
			props[n] = map[string]any{"type": "string"}
		}
		schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
		tool := ironcurtain.Tool{Name: "t", InputSchema: schema}
		got, rep := Annotate(&Annotations{Servers: map[string]ServerAnnotations{"s": {Tools: []ToolAnnotation{old}}}},
			map[string][]ironcurtain.Tool{"s": {tool}}, nil)
		ta := got.Servers["s"].Tools[0]
		d := compareTool("s", ta, tool)
		require.Empty(t, d.Unknown)
		require.Empty(t, d.Conditions)
		require.Len(t, d.Unroled, len(rep.Unresolved))
		for _, a := range old.Args {
			if !slices.Contains(served, a.Name) {
				continue
			}
			i := slices.IndexFunc(ta.Args, func(x Arg) bool { return x.Name == a.Name })
			require.GreaterOrEqual(t, i, 0, "%s kept", a.Name)
			require.Equal(t, a.Spec.Default, ta.Args[i].Spec.Default)
		}
	})
}
