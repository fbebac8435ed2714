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
		if !link {
			WriteFile(t, p, content)
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.Symlink(expand.Replace(to), p))
	}
}

// WriteFile writes content to the file at path with mode 0644, making its
// parent directories as needed.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// WriteMode writes content to the file name in dir and sets its mode to
// exactly mode (whatever the umask), returning the file's path.
func WriteMode(t testing.TB, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	require.NoError(t, os.Chmod(p, mode))
	return p
}
