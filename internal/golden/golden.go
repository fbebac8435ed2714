// Package golden compares a test's output with a file kept in testdata, or
// rewrites the file when the test runs with its package's -update flag.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Check requires got to equal the content of the file at path. With
// update set it first writes got there (making the directory), so that a
// deliberate change is accepted by running the test with -update and
// reviewing the diff.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), got, "the output differs from %s; if the change is right, run go test -update", path)
}
