package codemode

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain/internal/golden"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenTools exercises every schema form the generator understands, and
// the renaming of servers and tools.
func goldenTools() []ironcurtain.ServerTool {
	tool := func(server, name, desc, in, out string) ironcurtain.ServerTool {
		t := ironcurtain.Tool{Name: name, Description: desc, InputSchema: json.RawMessage(in)}
		if out != "" {
			t.OutputSchema = json.RawMessage(out)
		}
		return ironcurtain.ServerTool{Server: server, Tool: t}
	}
	return []ironcurtain.ServerTool{
		tool("filesystem", "read_file", "Read the complete contents of a file.\nUse head or tail for large files.",
			`{"type":"object","properties":{"path":{"type":"string","description":"Path of the file."},"head":{"type":"number"},"tail":{"type":"integer"}},"required":["path"],"additionalProperties":false}`, ""),
		tool("filesystem", "edit_file", "Edit a file. Comments like */ are escaped.",
			`{"type":"object","properties":{"path":{"type":"string"},"edits":{"type":"array","items":{"type":"object","properties":{"oldText":{"type":"string"},"newText":{"type":"string"}},"required":["oldText","newText"]}},"dryRun":{"type":"boolean","default":false}},"required":["path","edits"]}`, ""),
		tool("filesystem", "list_directory", "", `{"type":"object"}`, ""),
		tool("git", "git_log", "Show commits.",
			`{"type":"object","properties":{"maxCount":{"type":["integer","null"]},"format":{"enum":["oneline","full",1,true,null]},"mode":{"const":"fast"}}}`,
			`{"type":"object","properties":{"commits":{"type":"array","items":{"$ref":"#/$defs/commit"}}},"required":["commits"],"$defs":{"commit":{"type":"object","properties":{"hash":{"type":"string"},"parents":{"type":"array","items":{"$ref":"#/$defs/commit"}}},"required":["hash"]}}}`),
		tool("git", "git-push", "Push to a remote.",
			`{"type":"object","properties":{"remote":{"anyOf":[{"type":"string"},{"type":"object","properties":{"url":{"type":"string"}},"required":["url"]}]},"force":{"oneOf":[{"const":true},{"const":false}]},"options":{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"string"}}}]}},"required":["remote"]}`, ""),
		tool("git", "git_push", "Clashes with git-push once renamed.", `{"type":"object","properties":{}}`, ""),
		tool("my-fs", "stat", "A server whose name is not an identifier.",
			`{"type":"object","properties":{"weird key":{"type":"string"},"env":{"type":"object","additionalProperties":{"type":"string"}},"pair":{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}]},"tags":{"type":"array","items":{"type":["string","number"]}},"extra":{"type":"object","properties":{"x":{"type":"number"}},"additionalProperties":true}},"required":["weird key"]}`, ""),
		tool("JSON", "parse", "A server named like a global.", `{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`, `{}`),
		tool("2fa", "code", "A server whose name starts with a digit.", `not json`, `{"type":"string"}`),
	}
}

func TestDeclarationsGolden(t *testing.T) {
	s := newTestSandbox(t, &fakeBackend{tools: goldenTools()}, Options{})
	got, err := s.Declarations(context.Background())
	require.NoError(t, err)
	path := filepath.Join("testdata", "declarations.golden.ts")
	golden.Check(t, path, got, *update)
	requireValidTS(t, got)

	// Deterministic: the same tools in another order give the same text.
	tools := goldenTools()
	for i, j := 0, len(tools)-1; i < j; i, j = i+1, j-1 {
		tools[i], tools[j] = tools[j], tools[i]
	}
	// bind keeps each server's own tool order, so restore it per server.
	again := declarations(bind(reorderWithinServers(tools)))
	require.Equal(t, got, again)
}

// reorderWithinServers restores the original order of each server's tools
// in a shuffled list, as a server would list them.
func reorderWithinServers(tools []ironcurtain.ServerTool) []ironcurtain.ServerTool {
	orig := goldenTools()
	rank := map[string]int{}
	for i, t := range orig {
		rank[t.Server+"\x00"+t.Tool.Name] = i
	}
	out := append([]ironcurtain.ServerTool(nil), tools...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Server == out[j-1].Server && rank[out[j].Server+"\x00"+out[j].Tool.Name] < rank[out[j-1].Server+"\x00"+out[j-1].Tool.Name]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// requireValidTS checks that esbuild parses the declarations.
func requireValidTS(t testing.TB, src string) {
	t.Helper()
	r := api.Transform(src, api.TransformOptions{Loader: api.LoaderTS, LogLevel: api.LogLevelSilent})
	require.Empty(t, r.Errors, "declarations must be valid TypeScript:\n%s", src)
}

func TestSchemaTypes(t *testing.T) {
	tests := []struct{ schema, want string }{
		{`{"type":"string"}`, "string"},
		{`{"type":"integer"}`, "number"},
		{`{"type":["string","null"]}`, "string | null"},
		{`{"enum":["a","b\"c"]}`, `"a" | "b\"c"`},
		{`{"const":3}`, "3"},
		{`{"type":"array"}`, "unknown[]"},
		{`{"type":"array","items":{"type":["string","number"]}}`, "(string | number)[]"},
		{`{"items":[{"type":"string"},{"type":"boolean"}]}`, "[string, boolean]"},
		{`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, "{ a: string }"},
		{`{"type":"object","properties":{"a-b":{},"c":{"type":"number"}}}`, `{ "a-b"?: unknown; c?: number }`},
		{`{"type":"object","additionalProperties":{"type":"number"}}`, "Record<string, number>"},
		{`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, "{ a?: string }"},
		{`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{}}`, "{ a?: string; [key: string]: unknown }"},
		{`{"anyOf":[{"type":"string"},{"type":"string"}]}`, "string"},
		{`{"oneOf":[{"type":"string"},{}]}`, "unknown"},
		{`{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":["string","number"]}]}`, "{ a?: string } & (string | number)"},
		{`{"$ref":"#/definitions/x","definitions":{"x":{"type":"boolean"}}}`, "boolean"},
		{`{"$ref":"#/$defs/a","$defs":{"a":{"type":"array","items":{"$ref":"#/$defs/a"}}}}`, "unknown[]"},
		{`{"$ref":"https://example.com/schema"}`, "unknown"},
		{`{"$ref":"#/nope"}`, "unknown"},
		{`true`, "unknown"},
		{`false`, "never"},
		{`{}`, "unknown"},
		{`{"type":"frobnicate"}`, "unknown"},
		{`[1,2]`, "unknown"},
		{`{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string","description":"the b"}}}}}`,
			"{\n    a?: {\n      /** the b */\n      b?: string;\n    };\n  }"},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			got := newTSGen([]byte(tt.schema)).rootType("  ")
			require.Equal(t, tt.want, got)
			requireValidTS(t, "declare const x: "+got+";")
		})
	}
}

func TestBindNames(t *testing.T) {
	st := func(server, tool string) ironcurtain.ServerTool {
		return ironcurtain.ServerTool{Server: server, Tool: ironcurtain.Tool{Name: tool}}
	}
	got := bind([]ironcurtain.ServerTool{
		st("zeta", "a"), st("my-fs", "read-file"), st("my-fs", "read_file"), st("my_fs", "x"),
		st("JSON", "parse"), st("class", "new"), st("", ""), st("2fa", "9lives"), st("__ic_call", "x"), st("ünï", "ok"),
	})
	var names []string
	for _, b := range got {
		names = append(names, b.Namespace+"."+b.Method)
	}
	require.Equal(t, []string{
		"_._", "_2fa._9lives", "JSON_.parse", "__ic_call_.x", "class_.new", "my_fs.read_file", "my_fs.read_file_2",
		"my_fs_2.x", "zeta.a", "__n__.ok",
	}, names)
}

// TestDeclarationsMatchRuntime checks that every declared method exists in
// the runtime under the declared name, and reaches the right tool.
func TestDeclarationsMatchRuntime(t *testing.T) {
	b := &fakeBackend{tools: goldenTools()}
	s := newTestSandbox(t, b, Options{})
	var calls []string
	for _, bd := range bind(goldenTools()) {
		calls = append(calls, bd.Namespace+"."+bd.Method+"({})")
	}
	_, err := runScript(t, s, strings.Join(calls, ";\n"))
	require.NoError(t, err)
	got := b.received()
	require.Len(t, got, len(calls))
	for i, bd := range bind(goldenTools()) {
		require.Equal(t, bd.Tool.Server, got[i].Server)
		require.Equal(t, bd.Tool.Tool.Name, got[i].Tool)
	}
}
