//go:build unix

package git

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeoutKillsTheProcessGroup runs a fake git that starts a child
// holding a FIFO open and then hangs. The call must come back as a tool
// error naming the time limit, and the child — not only git — must be
// killed: the test's read of the FIFO ends only when every writer is gone.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	fake := filepath.Join(dir, "git")
	script := "#!/bin/sh\n" +
		"if [ \"$2\" = version ]; then echo 'git version 2.99.0'; exit 0; fi\n" +
		"tail -f /dev/null > " + shellQuote(fifo) + " &\n" +
		"wait\n"
	require.NoError(t, os.WriteFile(fake, []byte(script), 0o755))
	root := t.TempDir()
	s, err := New(Options{Roots: []string{root}, Git: fake, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()

	gone := make(chan error, 1)
	go func() {
		r, err := os.Open(fifo) // blocks until the fake git's child opens it
		if err == nil {
			_, err = io.Copy(io.Discard, r) // EOF once every writer has died
			r.Close()
		}
		gone <- err
	}()
	f := &fixture{t: t, s: s, root: root}
	text := f.fail("git_status", map[string]any{"path": root})
	require.Contains(t, text, "did not finish within 200ms")
	select {
	case err := <-gone:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the child git started survived the time limit")
	}
}

func TestTimeoutErrorMatchesDeadlineExceeded(t *testing.T) {
	err := error(&timeoutError{op: "status", d: time.Second})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
