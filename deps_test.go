package ironcurtain_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the root and the Gate's leaf packages on the
// standard library: each may import only the standard library and the few
// packages of this module listed for it.
func TestDependencies(t *testing.T) {
	const mod = "github.com/ironcurtain-go/ironcurtain"
	allowed := map[string][]string{
		".":                   {mod + "/internal/jsonschema"},
		"internal/jsonschema": nil,
		"internal/redact":     nil,
		"audit":               {mod, mod + "/internal/redact"},
		"approve":             {mod, mod + "/internal/inert"},
		"internal/inert":      nil,
		"vault":               {mod},
	}
	for dir, ours := range allowed {
		pkg, err := build.ImportDir(filepath.FromSlash(dir), 0)
		require.NoError(t, err, dir)
		for _, imp := range pkg.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") {
				continue // standard library
			}
			require.Contains(t, ours, imp, "%s must not import %s", dir, imp)
		}
	}
}
