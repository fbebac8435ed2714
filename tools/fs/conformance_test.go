package fs

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.json and testdata/schemas from the current tool list")

// surface is the filesystem tool surface of reference/tools.md: for each
// tool, its arguments' JSON types (optional ones marked "?"), and whether
// it is read-only.
var surface = []struct {
	name     string
	args     map[string]string
	readOnly bool
}{
	{"read_file", map[string]string{"path": "string", "tail": "number?", "head": "number?"}, true},
	{"read_text_file", map[string]string{"path": "string", "tail": "number?", "head": "number?"}, true},
	{"read_media_file", map[string]string{"path": "string"}, true},
	{"read_multiple_files", map[string]string{"paths": "array"}, true},
	{"write_file", map[string]string{"path": "string", "content": "string"}, false},
	{"edit_file", map[string]string{"path": "string", "edits": "array", "dryRun": "boolean?"}, false},
	{"create_directory", map[string]string{"path": "string"}, false},
	{"list_directory", map[string]string{"path": "string"}, true},
	{"list_directory_with_sizes", map[string]string{"path": "string", "sortBy": "string?"}, true},
	{"directory_tree", map[string]string{"path": "string", "excludePatterns": "array?"}, true},
	{"move_file", map[string]string{"source": "string", "destination": "string"}, false},
	{"search_files", map[string]string{"path": "string", "pattern": "string", "excludePatterns": "array?"}, true},
	{"get_file_info", map[string]string{"path": "string"}, true},
	{"list_allowed_directories", map[string]string{}, true},
}

type jsonSchema struct {
	Type                 string                 `json:"type"`
	Properties           map[string]*jsonSchema `json:"properties"`
	Required             []string               `json:"required"`
	AdditionalProperties *bool                  `json:"additionalProperties"`
	Items                *jsonSchema            `json:"items"`
	Enum                 []string               `json:"enum"`
	Default              any                    `json:"default"`
	Description          string                 `json:"description"`
}

func TestToolSurface(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	tools, err := s.Tools(context.Background())
	require.NoError(t, err)
	require.Len(t, tools, len(surface))
	for i, want := range surface {
		tool := tools[i]
		t.Run(want.name, func(t *testing.T) {
			require.Equal(t, want.name, tool.Name)
			require.NotEmpty(t, tool.Description)

			var sc jsonSchema
			require.NoError(t, json.Unmarshal(tool.InputSchema, &sc))
			require.Equal(t, "object", sc.Type)
			require.NotNil(t, sc.AdditionalProperties)
			require.False(t, *sc.AdditionalProperties)
			require.Len(t, sc.Properties, len(want.args))
			var required []string
			for arg, typ := range want.args {
				prop := sc.Properties[arg]
				require.NotNil(t, prop, "argument %s", arg)
				optional := typ[len(typ)-1] == '?'
				if optional {
					typ = typ[:len(typ)-1]
				} else {
					required = append(required, arg)
				}
				require.Equal(t, typ, prop.Type, "argument %s", arg)
				require.NotEmpty(t, prop.Description, "argument %s", arg)
				if typ == "array" {
					require.NotNil(t, prop.Items, "argument %s", arg)
				}
			}
			require.ElementsMatch(t, required, sc.Required)

			a := tool.Annotations
			require.Equal(t, want.readOnly, a.ReadOnlyHint)
			require.False(t, a.OpenWorldHint)
			switch want.name {
			case "write_file", "edit_file", "move_file":
				require.True(t, a.DestructiveHint)
			case "create_directory":
				require.False(t, a.DestructiveHint)
				require.True(t, a.IdempotentHint)
			}
			if want.readOnly {
				require.False(t, a.DestructiveHint)
			}
		})
	}

	props := func(name string) map[string]*jsonSchema {
		for _, tool := range tools {
			if tool.Name == name {
				var sc jsonSchema
				require.NoError(t, json.Unmarshal(tool.InputSchema, &sc))
				return sc.Properties
			}
		}
		t.Fatalf("no tool %s", name)
		return nil
	}
	edits := props("edit_file")["edits"].Items
	require.Equal(t, "object", edits.Type)
	require.Equal(t, "string", edits.Properties["oldText"].Type)
	require.Equal(t, "string", edits.Properties["newText"].Type)
	require.ElementsMatch(t, []string{"oldText", "newText"}, edits.Required)
	require.Equal(t, false, props("edit_file")["dryRun"].Default)
	require.Equal(t, []string{"name", "size"}, props("list_directory_with_sizes")["sortBy"].Enum)
	require.Equal(t, "name", props("list_directory_with_sizes")["sortBy"].Default)
	require.Equal(t, "string", props("read_multiple_files")["paths"].Items.Type)
	require.Equal(t, "string", props("search_files")["excludePatterns"].Items.Type)
}

// TestToolsGolden keeps the tool list, descriptions included, in
// testdata/tools.json, so that any change to what models see is
// deliberate. Run with -update to accept a change.
func TestToolsGolden(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	tools, err := s.Tools(context.Background())
	require.NoError(t, err)
	got, err := json.MarshalIndent(tools, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "tools.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}

// TestEveryToolRuns calls each of the 14 tools once through the
// ToolServer interface, as a client of the server would.
func TestEveryToolRuns(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "a.txt"), "alpha\nbeta\n")
	writeTestFile(t, filepath.Join(dir, "pic.png"), "\x89PNG")
	var srv ironcurtain.ToolServer = s
	calls := []ironcurtain.ToolCall{
		{Tool: "read_file", Arguments: args("path", "a.txt")},
		{Tool: "read_text_file", Arguments: args("path", "a.txt", "head", 1)},
		{Tool: "read_media_file", Arguments: args("path", "pic.png")},
		{Tool: "read_multiple_files", Arguments: args("paths", []any{"a.txt", "pic.png"})},
		{Tool: "write_file", Arguments: args("path", "b.txt", "content", "bravo\n")},
		{Tool: "edit_file", Arguments: args("path", "b.txt", "edits", edits("bravo", "BRAVO"), "dryRun", false)},
		{Tool: "create_directory", Arguments: args("path", "d/e")},
		{Tool: "list_directory", Arguments: args("path", ".")},
		{Tool: "list_directory_with_sizes", Arguments: args("path", ".", "sortBy", "size")},
		{Tool: "directory_tree", Arguments: args("path", ".", "excludePatterns", []any{"d"})},
		{Tool: "move_file", Arguments: args("source", "b.txt", "destination", "d/b.txt")},
		{Tool: "search_files", Arguments: args("path", ".", "pattern", "**/*.txt", "excludePatterns", []any{})},
		{Tool: "get_file_info", Arguments: args("path", "d/b.txt")},
		{Tool: "list_allowed_directories", Arguments: nil},
	}
	require.Len(t, calls, len(surface))
	for _, c := range calls {
		c.Server = ServerName
		res, err := srv.Call(context.Background(), c)
		require.NoError(t, err, c.Tool)
		require.False(t, res.IsError, "%s: %s", c.Tool, res.Text())
		require.NotEmpty(t, res.Content, c.Tool)
	}
	require.Equal(t, "BRAVO\n", readTestFile(t, filepath.Join(dir, "d/b.txt")))
}

// TestSchemasGolden pins each tool's input schema in testdata/schemas, in
// canonical form, so that what agents and policies see changes only on
// purpose. Run with -update to accept a change.
func TestSchemasGolden(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	tools, err := s.Tools(context.Background())
	require.NoError(t, err)
	toolsettest.Golden(t, tools, filepath.Join("testdata", "schemas"), *update)
}
