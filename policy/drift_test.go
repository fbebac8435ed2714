package policy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
)

// builtinTools lists the tools of the three built-in servers.
func builtinTools(t *testing.T) map[string][]ironcurtain.Tool {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir())
	root := t.TempDir()
	ctx := context.Background()
	out := map[string][]ironcurtain.Tool{}
	f, err := fs.New(fs.Options{Roots: []string{root}})
	require.NoError(t, err)
	defer f.Close()
	g, err := git.New(git.Options{Roots: []string{root}})
	require.NoError(t, err)
	defer g.Close()
	w, err := web.New(web.Options{})
	require.NoError(t, err)
	defer w.Close()
	for name, srv := range map[string]ironcurtain.ToolServer{fs.ServerName: f, git.ServerName: g, web.ServerName: w} {
		tools, err := srv.Tools(ctx)
		require.NoError(t, err)
		out[name] = tools
	}
	return out
}

func TestDefaultAnnotationsMatchBuiltinServers(t *testing.T) {
	e, err := Default(Config{Home: t.TempDir()})
	require.NoError(t, err)
	drifts, err := e.CheckServed(builtinTools(t))
	require.NoError(t, err)
	require.Empty(t, drifts, "the embedded annotations describe exactly the built-in tools")
}

// TestDriftRefusesIronCurtainGitAnnotations: IronCurtain's shipped git
// annotations were made against an older git server; loaded beside ours,
// conditional roles keyed on "operation" never fire and renamed arguments
// ("paths" for "files") are invisible to the policy. The check refuses them
// and names every renamed argument.
func TestDriftRefusesIronCurtainGitAnnotations(t *testing.T) {
	data, err := os.ReadFile("testdata/drift/ironcurtain-git-annotations.json")
	require.NoError(t, err)
	a := DefaultArtifacts()
	require.NoError(t, json.Unmarshal(data, a.Annotations))
	e, err := New(a, Config{Home: t.TempDir()})
	require.NoError(t, err, "the annotations load: only the served tools show the drift")

	served := builtinTools(t)
	drifts, err := e.CheckServed(map[string][]ironcurtain.Tool{"git": served["git"]})
	require.ErrorIs(t, err, ErrDrift)
	var de *DriftError
	require.True(t, errors.As(err, &de))
	require.Len(t, de.Drifts, 11, err.Error())
	require.Len(t, drifts, 11)

	renames := map[string][]Rename{}
	for _, d := range de.Drifts {
		require.True(t, d.Fatal())
		renames[d.Tool] = d.Renamed
	}
	require.Equal(t, []Rename{{"files", "paths"}}, renames["git_add"])
	require.Equal(t, []Rename{{"file", "filePath"}}, renames["git_blame"])
	require.Equal(t, []Rename{{"name", "branchName"}, {"newName", "newBranchName"}, {"operation", "mode"}}, renames["git_branch"])
	require.Equal(t, []Rename{{"localPath", "path"}}, renames["git_clone"])
	for _, want := range []string{
		`git/git_add: argument renamed "files" to "paths"`,
		`git/git_blame: argument renamed "file" to "filePath"`,
		`git/git_branch: argument renamed "name" to "branchName", "newName" to "newBranchName", "operation" to "mode"`,
		`conditional roles test "operation", which the tool does not have`,
		`git/git_clone: argument renamed "localPath" to "path"`,
		`git/git_commit: annotated arguments "sign", "forceUnsignedOnFailure" not in the tool's schema`,
		`git/git_diff: argument "autoExclude" with no role`,
	} {
		require.Contains(t, err.Error(), want)
	}
}

func TestCompareTool(t *testing.T) {
	tool := func(schema string) ironcurtain.Tool {
		return ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(schema)}
	}
	ann := func(args string) ToolAnnotation {
		var ta ToolAnnotation
		require.NoError(t, json.Unmarshal([]byte(`{"toolName":"t","args":`+args+`}`), &ta))
		return ta
	}
	cases := []struct {
		name   string
		ann    ToolAnnotation
		tool   ironcurtain.Tool
		fatal  bool
		expect ToolDrift
	}{
		{"same", ann(`{"path":["read-path"]}`), tool(`{"type":"object","properties":{"path":{"type":"string"}}}`), false,
			ToolDrift{Server: "s", Tool: "t"}},
		{"no arguments either side", ann(`{}`), tool(`{"type":"object"}`), false, ToolDrift{Server: "s", Tool: "t"}},
		{"argument added", ann(`{"path":["read-path"]}`), tool(`{"properties":{"path":{},"url":{}}}`), true,
			ToolDrift{Server: "s", Tool: "t", Unroled: []string{"url"}}},
		{"argument gone", ann(`{"path":["read-path"],"force":["none"]}`), tool(`{"properties":{"path":{}}}`), true,
			ToolDrift{Server: "s", Tool: "t", Unknown: []string{"force"}}},
		{"alternatives", ann(`{"a":["none"],"b":["none"]}`), tool(`{"anyOf":[{"properties":{"a":{}}},{"properties":{"b":{}}}]}`), false,
			ToolDrift{Server: "s", Tool: "t"}},
		{"types rule out a rename", ann(`{"file":["read-path"]},"inputSchema":{"properties":{"file":{"type":"string"}}}`), tool(`{"properties":{"filePath":{"type":"boolean"}}}`), true,
			ToolDrift{Server: "s", Tool: "t", Unknown: []string{"file"}, Unroled: []string{"filePath"}}},
		{"condition on a missing argument", ann(`{"path":{"default":["read-path","write-path"],"when":[{"condition":{"arg":"dryRun","equals":true},"roles":["read-path"]}]}}`),
			tool(`{"properties":{"path":{}}}`), true, ToolDrift{Server: "s", Tool: "t", Conditions: []string{"dryRun"}}},
		{"open schema", ann(`{"path":["read-path"]}`), tool(`{"properties":{"path":{}},"additionalProperties":true}`), true,
			ToolDrift{Server: "s", Tool: "t", Open: true}},
		{"open alternative", ann(`{"path":["read-path"]}`), tool(`{"anyOf":[{"properties":{"path":{}},"patternProperties":{"^x":{}}}]}`), true,
			ToolDrift{Server: "s", Tool: "t", Open: true}},
		{"closed schema", ann(`{"path":["read-path"]}`), tool(`{"properties":{"path":{}},"additionalProperties":false}`), false,
			ToolDrift{Server: "s", Tool: "t"}},
		{"unparsable schema has no arguments", ann(`{"path":["read-path"]}`), tool(`[`), true,
			ToolDrift{Server: "s", Tool: "t", Unknown: []string{"path"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := compareTool("s", tc.ann, tc.tool)
			require.Equal(t, tc.fatal, d.Fatal())
			require.Equal(t, tc.expect, d)
		})
	}
}

func TestCheckToolsUnservedAndUnannotated(t *testing.T) {
	w := newWorld(t)
	ann := `{"servers":{"s":{"tools":[{"toolName":"gone","args":{}},{"toolName":"kept","args":{"p":["read-path"]}}]}}}`
	e := w.engine(t, `{"rules":[]}`, ann, "", Config{Trusted: []string{"trusted"}})
	tools := []ironcurtain.Tool{
		{Name: "kept", InputSchema: json.RawMessage(`{"properties":{"p":{}}}`)},
		{Name: "new", InputSchema: json.RawMessage(`{"properties":{"x":{}}}`)},
	}
	drifts, err := e.CheckServed(map[string][]ironcurtain.Tool{"s": tools, "trusted": tools, "other": tools})
	require.NoError(t, err, "unserved and unannotated tools are refused at call time, not fatal")
	var got []string
	for _, d := range drifts {
		got = append(got, d.String())
	}
	require.Equal(t, []string{
		"other/kept: served, but no annotation describes it, so every call to it is denied",
		"other/new: served, but no annotation describes it, so every call to it is denied",
		"s/new: served, but no annotation describes it, so every call to it is denied",
		"s/gone: annotated, but the server does not serve it",
	}, got)
	require.True(t, strings.HasPrefix(got[0], "other/"), "servers in name order")
}

func FuzzNameWords(f *testing.F) {
	for _, s := range []string{"newBranchName", "file_path", "x-y.z", "", "ÄÖ", "URLPath"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for w := range nameWords(s) {
			require.NotEmpty(t, w)
		}
		score := renameScore(s, s, argSchema{}, argSchema{})
		require.False(t, score != score, "no NaN")
	})
}

// FuzzCompareTool: a tool's schema comes from its server, which may be
// hostile; comparing it never panics, and the two readings of a schema (the
// argument set and its order) agree.
func FuzzCompareTool(f *testing.F) {
	for _, s := range []string{`{"type":"object","properties":{"path":{"type":"string"},"mode":{"enum":["a","b"]}}}`,
		`{"anyOf":[{"properties":{"a":{}}},{"properties":{"b":{}}}]}`, `{"properties":{"a":{},"a":{}}}`, `{"properties":[]}`, `[`, `null`, `{"allOf":{}}`} {
		f.Add(s)
	}
	ta := ToolAnnotation{ToolName: "t", Args: Args{{Name: "path", Spec: ArgSpec{Default: []Role{RoleReadPath}, When: []When{{Condition: RoleCondition{Arg: "mode", Is: "present"}}}}}}}
	f.Fuzz(func(t *testing.T, schema string) {
		tool := ironcurtain.Tool{Name: "t", InputSchema: json.RawMessage(schema)}
		d := compareTool("s", ta, tool)
		_ = d.String()
		have := schemaArgs(tool.InputSchema)
		order := schemaArgOrder(tool.InputSchema)
		for _, name := range order {
			_, ok := have[name]
			require.True(t, ok, "%q listed but not collected", name)
		}
		if json.Valid([]byte(schema)) {
			require.Len(t, order, len(have))
		}
		for _, r := range d.Renamed {
			require.Contains(t, d.Unknown, r.From)
			require.Contains(t, d.Unroled, r.To)
		}
	})
}
