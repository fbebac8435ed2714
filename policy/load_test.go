package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const okAnnotations = `{"servers":{"filesystem":{"tools":[{"toolName":"read_file","args":{"path":["read-path"]}}]},
 "git":{"tools":[{"toolName":"git_push","args":{"path":["read-path"],"remote":["git-remote-url"]}}]}}}`

func TestLoadErrors(t *testing.T) {
	rule := func(name, cond string) string {
		return `{"name":"` + name + `","if":` + cond + `,"then":"allow","reason":"r"}`
	}
	policyWith := func(rules ...string) string { return `{"rules":[` + strings.Join(rules, ",") + `]}` }
	cases := []struct {
		name, policy, annotations, lists string
		file                             string // which file the error must name
		want                             []string
	}{
		{name: "bad JSON", policy: `{"rules": [`, file: "policy", want: []string{"unexpected EOF"}},
		{name: "syntax error position", policy: "{\n \"rules\": [,]}", file: "policy", want: []string{"line 2"}},
		{name: "unknown role", policy: policyWith(rule("r1", `{"roles":["read-paths"]}`)), file: "policy", want: []string{`rule "r1"`, `unknown role "read-paths"`}},
		{name: "relative within", policy: policyWith(rule("r1", `{"paths":{"roles":["read-path"],"within":"Documents"}}`)), file: "policy", want: []string{`rule "r1"`, "not absolute"}},
		{name: "undefined list", policy: policyWith(rule("r1", `{"domains":{"roles":["fetch-url"],"allowed":["@news"]}}`)), file: "policy", want: []string{`rule "r1"`, "@news has no values", "no listDefinitions entry"}},
		{name: "duplicate rule", policy: policyWith(rule("r1", `{}`), rule("r1", `{}`)), file: "policy", want: []string{`rule "r1"`, "duplicate rule name"}},
		{name: "wrong list type", policy: `{"rules":[` + rule("r1", `{"domains":{"roles":["fetch-url"],"allowed":["@people"]}}`) + `],"listDefinitions":[{"name":"people","type":"emails"}]}`,
			lists: `{"lists":{"people":{"values":["a@b.c"]}}}`, file: "policy", want: []string{`rule "r1"`, "holds emails, not domains"}},
		{name: "list type mismatch in lists", policy: `{"rules":[` + rule("r1", `{"lists":[{"roles":["github-owner"],"allowed":["@people"],"matchType":"identifiers"}]}`) + `],"listDefinitions":[{"name":"people","type":"emails"}]}`,
			lists: `{"lists":{"people":{"values":["a@b.c"]}}}`, file: "policy", want: []string{"holds emails, not identifiers"}},
		{name: "list without values", policy: `{"rules":[` + rule("r1", `{"domains":{"roles":["fetch-url"],"allowed":["@news"]}}`) + `],"listDefinitions":[{"name":"news","type":"domains"}]}`,
			file: "policy", want: []string{"@news has no values"}},
		{name: "bad list value", policy: `{"rules":[` + rule("r1", `{"domains":{"roles":["fetch-url"],"allowed":["@news"]}}`) + `],"listDefinitions":[{"name":"news","type":"domains"}]}`,
			lists: `{"lists":{"news":{"values":["https://x.com/"]}}}`, file: "lists", want: []string{`list "news"`, "not a domain"}},
		{name: "misspelt condition", policy: policyWith(rule("r1", `{"tools":["read_file"]}`)), file: "policy", want: []string{`unknown field "tools"`}},
		{name: "missing then", policy: `{"rules":[{"name":"r1","if":{},"reason":"x"}]}`, file: "policy", want: []string{`"r1"`, `missing "then"`}},
		{name: "bad then", policy: `{"rules":[{"name":"r1","if":{},"then":"permit","reason":"x"}]}`, file: "policy", want: []string{`unknown verdict "permit"`}},
		{name: "empty server list", policy: policyWith(rule("r1", `{"server":[]}`)), file: "policy", want: []string{"matches nothing"}},
		{name: "paths on a URL role", policy: policyWith(rule("r1", `{"paths":{"roles":["fetch-url"],"within":"/x"}}`)), file: "policy", want: []string{"only name path roles"}},
		{name: "domains on a path role", policy: policyWith(rule("r1", `{"domains":{"roles":["read-path"],"allowed":["x.com"]}}`)), file: "policy", want: []string{"only name URL roles"}},
		{name: "bad domain entry", policy: policyWith(rule("r1", `{"domains":{"roles":["fetch-url"],"allowed":["exa mple.com"]}}`)), file: "policy", want: []string{"invalid domain entry"}},
		{name: "bad match type", policy: policyWith(rule("r1", `{"lists":[{"roles":["github-owner"],"allowed":["x"],"matchType":"regex"}]}`)), file: "policy", want: []string{`matchType "regex"`}},
		{name: "annotation unknown role", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{"p":["readpath"]}}]}}}`, file: "annotations", want: []string{`tool s/t argument "p"`, `unknown role "readpath"`}},
		{name: "annotation two operators", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{"p":{"default":["read-path"],"when":[{"condition":{"arg":"m","equals":1,"is":"present"},"roles":["none"]}]}}}]}}}`, file: "annotations", want: []string{"exactly one of"}},
		{name: "annotation bad is", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{"p":{"default":["read-path"],"when":[{"condition":{"arg":"m","is":"nonempty"},"roles":["none"]}]}}}]}}}`, file: "annotations", want: []string{`is: "nonempty"`}},
		{name: "annotation mixes categories", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{"p":["read-path","fetch-url"]}}]}}}`, file: "annotations", want: []string{"may not mix"}},
		{name: "annotation duplicate tool", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{}},{"toolName":"t","args":{}}]}}}`, file: "annotations", want: []string{"annotated twice"}},
		{name: "annotation duplicate argument", policy: policyWith(), annotations: `{"servers":{"s":{"tools":[{"toolName":"t","args":{"a":["none"],"a":["none"]}}]}}}`, file: "annotations", want: []string{`duplicate argument "a"`}},
		{name: "trailing data", policy: policyWith() + "{}", file: "policy", want: []string{"after the JSON value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ann := tc.annotations
			if ann == "" {
				ann = okAnnotations
			}
			requireLoadError(t, tc.policy, ann, tc.lists, tc.file, tc.want...)
		})
	}
}

// requireLoadError writes the artifacts to files, loads them, and requires
// a *LoadError naming file ("policy", "annotations" or "lists") and holding
// every string of want.
func requireLoadError(t *testing.T, policy, annotations, lists, file string, want ...string) {
	t.Helper()
	dir := t.TempDir()
	files := Files{Policy: filepath.Join(dir, "compiled-policy.json"), Annotations: filepath.Join(dir, "tool-annotations.json")}
	require.NoError(t, os.WriteFile(files.Policy, []byte(policy), 0o644))
	require.NoError(t, os.WriteFile(files.Annotations, []byte(annotations), 0o644))
	if lists != "" {
		files.Lists = filepath.Join(dir, "dynamic-lists.json")
		require.NoError(t, os.WriteFile(files.Lists, []byte(lists), 0o644))
	}
	_, err := Load(files, Config{Home: dir})
	require.Error(t, err)
	var le *LoadError
	require.True(t, errors.As(err, &le), "%T %v", err, err)
	wantFile := map[string]string{"policy": files.Policy, "annotations": files.Annotations, "lists": files.Lists}[file]
	require.Equal(t, wantFile, le.File, err.Error())
	for _, w := range want {
		require.Contains(t, err.Error(), w)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	_, err := Load(Files{Policy: "/nonexistent/p.json", Annotations: "/nonexistent/a.json"}, Config{})
	require.ErrorContains(t, err, "/nonexistent/p.json")
	e, err := Load(Files{}, Config{Home: t.TempDir()})
	require.NoError(t, err, "no files means the embedded default")
	require.NotEmpty(t, e.Roots())
	_, err = New(Artifacts{}, Config{})
	require.Error(t, err)
}

func TestConfigErrors(t *testing.T) {
	a := DefaultArtifacts()
	_, err := New(a, Config{Protected: []string{"relative/path"}})
	require.ErrorContains(t, err, "protected path")
	_, err = New(a, Config{DomainAllowlists: map[string][]string{"git": {"bad host!"}}})
	require.ErrorContains(t, err, `domain allowlist of "git"`)
	_, err = New(a, Config{Sandbox: "relative"})
	require.ErrorContains(t, err, "sandbox")
}

func TestArtifactsRoundTrip(t *testing.T) {
	a := DefaultArtifacts()
	b, err := ReadArtifacts(mustJSONBytes(a.Policy), mustJSONBytes(a.Annotations), mustJSONBytes(a.Lists))
	require.NoError(t, err)
	require.Equal(t, a.Policy, b.Policy)
	require.Equal(t, a.Annotations, b.Annotations)
	require.Equal(t, a.Lists, b.Lists)
}
