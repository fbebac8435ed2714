//go:build unix

package git

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// reachableTemp points TMPDIR, for the rest of the test, at a directory
// every user can search, so that git run as another user reaches the
// server's private directory and the test's workspace even where the
// test's own temporary directory is closed to others (as CI's is).
func reachableTemp(t *testing.T) {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "ic-reach-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(d, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	t.Setenv("TMPDIR", d)
}

// TestRunAsUnreachable: a server whose private directory the RunAs user
// cannot reach is refused with a message that says what to do, not left
// to fail on every call.
func TestRunAsUnreachable(t *testing.T) {
	requireGit(t)
	if os.Geteuid() != 0 {
		t.Skip("running git as another user needs root")
	}
	closed := t.TempDir()
	require.NoError(t, os.Chmod(closed, 0o700))
	t.Setenv("TMPDIR", closed)
	_, err := New(Options{Roots: []string{t.TempDir()}, RunAs: &User{UID: 65534, GID: 65534}})
	require.ErrorContains(t, err, "set TMPDIR")
}
