package web

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

var update = flag.Bool("update", false, "rewrite testdata/schemas from the current tool list")

// TestSchemasGolden pins each tool's input and output schemas in
// testdata/schemas, in canonical form, so that what agents and policies see
// changes only on purpose. Run with -update to accept a change.
func TestSchemasGolden(t *testing.T) {
	tools, err := newLocal(t, Options{}).Tools(context.Background())
	require.NoError(t, err)
	toolsettest.Golden(t, tools, filepath.Join("testdata", "schemas"), *update)
}
