package testtree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Build creates fixed entries beneath root, making parents as needed: an
// entry ending in "/" is a directory, "link -> target" a symlink to target
// with expand applied to it, and any other a file holding content.
func Build(t testing.TB, root, content string, expand *strings.Replacer, entries ...string) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(root, e)
		from, to, link := strings.Cut(e, " -> ")
		if link {
			p = filepath.Join(root, from)
		}
		if !link && strings.HasSuffix(e, "/") {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if link {
			require.NoError(t, os.Symlink(expand.Replace(to), p))
		} else {
			require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		}
	}
}
