package unixsock

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := Listen(path)
	require.NoError(t, err)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "only the owner may connect")

	_, err = Listen(path)
	require.ErrorContains(t, err, "in use", "a live socket is never replaced")

	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	c.Close()
	require.NoError(t, ln.Close())
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the socket")
}

func TestListenReplacesOnlyDeadSockets(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "regular")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	_, err := Listen(file)
	require.ErrorContains(t, err, "not a socket")

	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	require.NoError(t, err)
	l.SetUnlinkOnClose(false)
	require.NoError(t, l.Close()) // the file stays, nothing answers
	ln, err := Listen(stale)
	require.NoError(t, err, "a socket nobody answers on is replaced")
	require.NoError(t, ln.Close())
}
