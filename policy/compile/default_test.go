package compile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
	"github.com/ironcurtain-go/ironcurtain/policy/compile/internal/defaultsgen"
)

// TestDefaultsUpToDate fails when the embedded default policy and the
// compiler's output for the default constitution drift apart. Fix it with
// go generate ./policy/compile.
func TestDefaultsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "defaults")
	files, err := defaultsgen.Generate(context.Background(), dir)
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "policy/defaults/%s is not the compiler's output for the default constitution: run go generate ./policy/compile", name)
	}
	// The embedded copy is the same constitution.
	src, err := os.ReadFile(filepath.Join(dir, "constitution.md"))
	require.NoError(t, err)
	require.Equal(t, string(src), policy.DefaultConstitution())
}

// TestDefaultOffline compiles the embedded default constitution with no
// model, as the default options do, and checks its scenarios on the
// engine and its rule names, which the policy and CLI tests rely on.
func TestDefaultOffline(t *testing.T) {
	a := policy.DefaultArtifacts()
	res, err := compile.Compile(context.Background(), []byte(policy.DefaultConstitution()), compile.Options{Lists: a.Lists})
	require.NoError(t, err)
	for _, d := range res.Diagnostics {
		require.Equal(t, compile.Note, d.Severity, "%s", d)
	}
	require.Equal(t, []string{
		"allow-list-allowed-directories", "allow-read-documents", "escalate-read-outside-sandbox",
		"escalate-write-outside-sandbox", "escalate-delete-outside-sandbox", "allow-git-fetch-from-forges",
		"escalate-git-push", "escalate-git-fetch-elsewhere", "allow-git-read-documents",
		"escalate-git-read-outside-sandbox", "escalate-git-change-outside-sandbox",
		"escalate-git-delete-outside-sandbox", "allow-git-session", "allow-web-search",
		"allow-fetch-development-sites", "escalate-fetch-public-pages",
	}, ruleNames(res))
	require.Equal(t, a.Policy.Rules, res.Policy.Rules)
	require.Equal(t, 17, res.Report.Compiled)
	require.Zero(t, res.Report.ModelCalls)

	// Every sentence has a scenario, and they all pass on the engine.
	lines := map[int]bool{}
	for _, s := range res.Scenarios.Scenarios {
		lines[s.Line] = true
	}
	for _, r := range res.Policy.Rules {
		found := false
		for _, s := range res.Scenarios.Scenarios {
			found = found || s.Principle == r.Principle
		}
		require.True(t, found, "no scenario for %s", r.Name)
	}
	e, _ := engineFor(t, res)
	outs, err := compile.Replay(context.Background(), e, res.Scenarios.Scenarios)
	require.NoError(t, err)
	for _, o := range outs {
		require.True(t, o.Pass, "%s: got %s by %s", o.Scenario.Description, o.Decision.Verdict, o.Decision.Rule)
	}
}

// TestDeterministic: the same constitution compiles to byte-identical
// artifacts.
func TestDeterministic(t *testing.T) {
	a := policy.DefaultArtifacts()
	var first [3][]byte
	for i := 0; i < 3; i++ {
		res, err := compile.Compile(context.Background(), []byte(policy.DefaultConstitution()), compile.Options{Lists: a.Lists})
		require.NoError(t, err)
		got := [3][]byte{}
		for j, v := range []any{res.Policy, res.Lists, res.Scenarios} {
			got[j], err = compile.Encode(v)
			require.NoError(t, err)
		}
		if i == 0 {
			first = got
			continue
		}
		require.Equal(t, first, got)
	}
}
