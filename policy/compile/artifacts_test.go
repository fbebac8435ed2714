package compile_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

func TestWriteArtifacts(t *testing.T) {
	a := policy.DefaultArtifacts()
	res, err := compile.Compile(context.Background(), []byte(policy.DefaultConstitution()), compile.Options{Lists: a.Lists})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "out")
	require.NoError(t, compile.WriteArtifacts(dir, res))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{compile.PolicyFile, compile.ListsFile, compile.ScenariosFile}, names, "no temporary files are left")
	e, err := policy.Load(policy.Files{Policy: filepath.Join(dir, compile.PolicyFile), Lists: filepath.Join(dir, compile.ListsFile)}, policy.Config{})
	require.NoError(t, err)
	require.NotNil(t, e)
	data, err := os.ReadFile(filepath.Join(dir, compile.ScenariosFile))
	require.NoError(t, err)
	sc, err := compile.ReadScenarios(data)
	require.NoError(t, err)
	require.Equal(t, res.Scenarios, sc)

	// Without lists, a stale lists file is removed.
	res2, err := compile.Compile(context.Background(), []byte("- The agent may search the web.\n"), compile.Options{})
	require.NoError(t, err)
	require.NoError(t, compile.WriteArtifacts(dir, res2))
	_, err = os.Stat(filepath.Join(dir, compile.ListsFile))
	require.True(t, os.IsNotExist(err))
}

// TestWriteArtifactsPolicyLast: when an earlier file cannot be written,
// the policy is not replaced, so a reader never pairs a new policy with
// old lists.
func TestWriteArtifactsPolicyLast(t *testing.T) {
	a := policy.DefaultArtifacts()
	res, err := compile.Compile(context.Background(), []byte(policy.DefaultConstitution()), compile.Options{Lists: a.Lists})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, compile.PolicyFile), []byte("old"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, compile.ListsFile, "blocker"), 0o755))
	require.Error(t, compile.WriteArtifacts(dir, res))
	old, err := os.ReadFile(filepath.Join(dir, compile.PolicyFile))
	require.NoError(t, err)
	require.Equal(t, "old", string(old))
	require.Error(t, compile.WriteArtifacts(dir, compile.Result{}), "no policy, nothing to write")
}

func TestReadScenariosStrict(t *testing.T) {
	for name, data := range map[string]string{
		"unknown field":   `{"scenarios":[{"description":"d","source":"sentence","call":{"server":"s","tool":"t","arguments":{}},"expect":"allow","extra":1}]}`,
		"missing expect":  `{"scenarios":[{"description":"d","source":"sentence","call":{"server":"s","tool":"t","arguments":{}}}]}`,
		"bad verdict":     `{"scenarios":[{"description":"d","source":"sentence","call":{"server":"s","tool":"t","arguments":{}},"expect":"maybe"}]}`,
		"no tool":         `{"scenarios":[{"description":"d","source":"sentence","call":{"server":"s","arguments":{}},"expect":"deny"}]}`,
		"trailing values": `{"scenarios":[]} {}`,
	} {
		_, err := compile.ReadScenarios([]byte(data))
		require.Error(t, err, name)
	}
	sc, err := compile.ReadScenarios([]byte(`{"scenarios":[{"description":"d","source":"model","call":{"server":"s","tool":"t","arguments":{}},"expect":"escalate"}]}`))
	require.NoError(t, err)
	require.Len(t, sc.Scenarios, 1)
}
