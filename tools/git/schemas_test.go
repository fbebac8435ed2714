package git

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.json and testdata/schemas from the current tool list")

// TestSchemasGolden pins each tool's input schema in testdata/schemas, in
// canonical form, so that what agents and policies see changes only on
// purpose. Run with -update to accept a change.
func TestSchemasGolden(t *testing.T) {
	f := newFixture(t, Options{})
	tools, err := f.s.Tools(context.Background())
	require.NoError(t, err)
	toolsettest.Golden(t, tools, filepath.Join("testdata", "schemas"), *update)
}

// TestToolsGolden keeps the tool list, titles, descriptions and
// annotations included, in testdata/tools.json. Run with -update to accept
// a change.
func TestToolsGolden(t *testing.T) {
	f := newFixture(t, Options{})
	tools, err := f.s.Tools(context.Background())
	require.NoError(t, err)
	for i := range tools {
		tools[i].InputSchema = nil // pinned by TestSchemasGolden
	}
	got, err := json.MarshalIndent(tools, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "tools.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}
