package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// runCompileCLI runs ironcurtain compile with args.
func runCompileCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLI(t, stdin, append([]string{"compile"}, args...)...)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// TestCompileDefaultConstitution: the CLI reproduces the embedded default
// policy byte for byte, offline, and writes its scenarios.
func TestCompileDefaultConstitution(t *testing.T) {
	src := writeTemp(t, "constitution.md", policy.DefaultConstitution())
	out := filepath.Join(t.TempDir(), "policy")
	code, stdout, stderr := runCompileCLI(t, "", src, "-o", out, "--reproducible")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr)
	require.Contains(t, stdout, "17 sentence(s): 17 compiled by the front end, 0 outside the controlled subset")
	require.Contains(t, stdout, "16 rule(s)")
	got, err := os.ReadFile(filepath.Join(out, "compiled-policy.json"))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "policy", "defaults", "compiled-policy.json"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	for _, f := range []string{"dynamic-lists.json", "test-scenarios.json"} {
		_, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
	}
}

func TestCompileFromStdinWithTime(t *testing.T) {
	out := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "86400")
	code, _, stderr := runCompileCLI(t, "- The agent may search the web.\n", "-o", out, "-")
	require.Equal(t, 0, code, stderr)
	var p policy.CompiledPolicy
	b, err := os.ReadFile(filepath.Join(out, "compiled-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &p))
	require.Equal(t, "1970-01-02T00:00:00Z", p.GeneratedAt)
	require.Equal(t, "1970-01-02T00:00:00Z", p.Provenance.Time)
}

func TestCompileUnparsed(t *testing.T) {
	src := writeTemp(t, "c.md", "# C\n\n- The agent may read files in ~/Documents.\n- Keep my secrets secret.\n")
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCompileCLI(t, "", src, "-o", out)
	require.Equal(t, 1, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "c.md: line 4: error: outside the controlled subset")
	require.Contains(t, stderr, "does not compile; nothing was written")
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err), "nothing is written")

	code, _, stderr = runCompileCLI(t, "", src, "-o", out, "--skip-unparsed")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "line 4: warning")
	require.Contains(t, stderr, "NOT enforced")
}

func TestCompileUsage(t *testing.T) {
	src := writeTemp(t, "c.md", "- The agent may search the web.\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: ironcurtain compile"},
		{[]string{src}, "usage: ironcurtain compile"},
		{[]string{"-o", t.TempDir()}, "usage: ironcurtain compile"},
		{[]string{src, "-o", t.TempDir(), "--bogus"}, "flag provided but not defined"},
		{[]string{filepath.Join(t.TempDir(), "missing.md"), "-o", t.TempDir()}, "no such file"},
		{[]string{src, "-o", t.TempDir(), "--model", "openai:gpt"}, "OPENAI_BASE_URL"},
		{[]string{src, "-o", t.TempDir(), "--model", "gemini:pro"}, "gemini"},
		{[]string{src, "-o", t.TempDir(), "--annotations", src}, "c.md"},
	} {
		t.Setenv("ANTHROPIC_API_KEY", "")
		t.Setenv("OPENAI_API_KEY", "")
		t.Setenv("OPENAI_BASE_URL", "")
		code, _, stderr := runCompileCLI(t, "", tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
	code, _, stderr := runCompileCLI(t, "", src, "-o", t.TempDir(), "--model", "anthropic:claude-test")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "ANTHROPIC_API_KEY")
	code, _, _ = runCompileCLI(t, "", "-h")
	require.Equal(t, 0, code)
}

const cliTaxes = "- The agent may read files in ~/Documents.\n- Tax papers in ~/Documents/Taxes are private and must never be read.\n"

func taxServer(t *testing.T, then string) *llmtest.Server {
	rule := `{"name":"deny-read-taxes","line":2,"then":"` + then + `","reason":"Tax papers are private.","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~/Documents/Taxes"}}}`
	srv := llmtest.NewAnthropic(t, func(_ int, r llmtest.Request) llmtest.Reply {
		switch r.Stage() + "/" + r.Server() {
		case "rules/filesystem":
			return llmtest.Reply{Text: `{"rules":[` + rule + `],"lists":[]}`}
		case "scenarios/filesystem":
			return llmtest.Reply{Text: `{"scenarios":[{"line":2,"description":"read a tax return","tool":"read_file","arguments":{"path":"~/Documents/Taxes/2024.pdf"},"expect":"deny"}]}`}
		case "repair/filesystem":
			return llmtest.Reply{Text: `{"operations":[{"op":"replace","name":"deny-read-taxes","rule":` + rule + `}]}`}
		}
		if r.Stage() == "rules" {
			return llmtest.Reply{Text: `{"rules":[],"lists":[]}`}
		}
		return llmtest.Reply{Text: `{"scenarios":[]}`}
	})
	return srv
}

func TestCompileWithModel(t *testing.T) {
	srv := taxServer(t, "deny")
	t.Setenv("ANTHROPIC_API_KEY", "test-key")
	src := writeTemp(t, "c.md", cliTaxes)
	out, cache := t.TempDir(), t.TempDir()
	args := []string{src, "-o", out, "--model", "anthropic:claude-test", "--base-url", srv.URL, "--cache", cache, "--reproducible"}
	code, stdout, stderr := runCompileCLI(t, "", args...)
	require.Equal(t, 0, code, stderr)
	// Each stage's line says how long the compilation had run.
	require.Regexp(t, `compile: \[ *\d+\.\ds\] rules     filesystem`, stderr)
	require.Regexp(t, `compile: \[ *\d+\.\ds\] scenarios git`, stderr)
	require.Regexp(t, `compile: \[ *\d+\.\ds\] verify    fetch`, stderr)
	require.Contains(t, stderr, "line 2: warning: outside the controlled subset")
	require.Contains(t, stdout, "model: 6 call(s), 0 answer(s) from the cache")
	var p policy.CompiledPolicy
	b, err := os.ReadFile(filepath.Join(out, "compiled-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &p))
	require.Equal(t, "deny-read-taxes", p.Rules[0].Name)
	require.Equal(t, "anthropic:claude-test", p.Provenance.Model)

	// Again: every answer from the cache, the same policy.
	code, stdout, stderr = runCompileCLI(t, "", args...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "model: 0 call(s), 6 answer(s) from the cache")
	b2, err := os.ReadFile(filepath.Join(out, "compiled-policy.json"))
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))
	require.Len(t, srv.Requests(), 6)
}

func TestCompileModelNeverConverges(t *testing.T) {
	srv := taxServer(t, "allow")
	t.Setenv("ANTHROPIC_API_KEY", "test-key")
	src := writeTemp(t, "c.md", cliTaxes)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCompileCLI(t, "", src, "-o", out, "--model", "claude-test", "--base-url", srv.URL, "--cache", "none", "--max-repairs", "1")
	require.Equal(t, 1, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "server filesystem: FAILED")
	require.Contains(t, stderr, "failing: read a tax return: expected deny, the engine says allow by deny-read-taxes")
	require.Contains(t, stderr, "nothing was written")
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err))
}

// TestCompileStrict: a rule that cannot do what its sentence says warns,
// and --strict turns the warning into a failure that writes nothing; the
// default constitution has no warning and compiles under --strict.
func TestCompileStrict(t *testing.T) {
	src := writeTemp(t, "c.md", "- The agent may read files.\n")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCompileCLI(t, "", src, "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: no place is named")

	out2 := filepath.Join(t.TempDir(), "out2")
	code, _, stderr = runCompileCLI(t, "", src, "-o", out2, "--strict")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "--strict")
	_, err := os.Stat(out2)
	require.True(t, os.IsNotExist(err), "nothing is written")

	def := writeTemp(t, "constitution.md", policy.DefaultConstitution())
	code, _, stderr = runCompileCLI(t, "", def, "-o", filepath.Join(t.TempDir(), "p"), "--strict", "--reproducible", "-v")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "note: read as commentary", "-v prints the notes")
}
