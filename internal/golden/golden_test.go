package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records a failure instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { panic(r) }
func (r *recorder) Helper()               {}

// run calls Check on a recorder and reports whether it failed.
func run(t *testing.T, path, got string, update bool) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != r {
			panic(v)
		}
		failed = r.failed
	}()
	Check(r, path, got, update)
	return r.failed
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	require.True(t, run(t, path, "a\n", false), "a missing file fails")
	require.False(t, run(t, path, "a\n", true), "update writes it")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "a\n", string(b))
	require.False(t, run(t, path, "a\n", false), "the same output passes")
	require.True(t, run(t, path, "b\n", false), "other output fails")
}
