package proxy

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// serveUnixBackground listens on path and serves until the test ends.
func serveUnixBackground(t *testing.T, srv *Server, path string) (stop func() error) {
	ln, err := ListenUnix(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln) }()
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-testContext(t).Done():
			return errors.New("ServeListener did not return")
		}
	}
	t.Cleanup(func() { stop() })
	return stop
}

func connectUnix(t *testing.T, path string) *sdk.ClientSession {
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "unix", Version: "1"}, nil).
		Connect(testContext(t), &sdk.IOTransport{Reader: c, Writer: c}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestServeUnix(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{})
	path := filepath.Join(t.TempDir(), "mcp.sock")
	stop := serveUnixBackground(t, srv, path)

	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "the private directory is gone")

	// Two sessions at once: each its own MCP session.
	a, b := connectUnix(t, path), connectUnix(t, path)
	for i, cs := range []*sdk.ClientSession{a, b, a} {
		res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__read", Arguments: map[string]any{"path": "p"}})
		require.NoError(t, err, "session %d", i)
		require.Equal(t, "read p", sdkText(t, res))
	}
	res, err := b.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__write", Arguments: map[string]any{"text": "t"}})
	require.NoError(t, err)
	require.True(t, res.IsError)

	require.NoError(t, stop())
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, fs.ErrNotExist, "the socket is removed on shutdown")
}

func TestServeUnixExistingPath(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{})
	dir := t.TempDir()

	t.Run("ServeUnix", func(t *testing.T) {
		path := filepath.Join(dir, "served.sock")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.NoError(t, srv.ServeUnix(ctx, path))
		_, err := os.Lstat(path)
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
	t.Run("regular file", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o600))
		err := srv.ServeUnix(testContext(t), path)
		require.ErrorContains(t, err, "not a socket")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "keep me", string(b))
	})
	t.Run("socket in use", func(t *testing.T) {
		path := filepath.Join(dir, "busy.sock")
		ln, err := net.Listen("unix", path)
		require.NoError(t, err)
		defer ln.Close()
		err = srv.ServeUnix(testContext(t), path)
		require.ErrorContains(t, err, "in use")
	})
	t.Run("stale socket", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		require.NoError(t, err)
		ln.SetUnlinkOnClose(false)
		ln.Close()
		stop := serveUnixBackground(t, srv, path)
		connectUnix(t, path)
		require.NoError(t, stop())
	})
}

func TestListenHTTPLoopbackOnly(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{})
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "example.com:80", "nonsense"} {
		err := srv.ListenHTTP(testContext(t), addr)
		require.ErrorIs(t, err, ErrNotLoopback, addr)
	}
	tests := map[string]bool{
		"127.0.0.1:80": true, "[::1]:80": true, "localhost:80": true, "127.1.2.3:1": true,
		"10.0.0.1:80": false, ":80": false, "localhost": false, "[::ffff:127.0.0.1]:1": true,
	}
	for addr, want := range tests {
		require.Equal(t, want, loopbackAddr(addr), addr)
	}
}

func TestListenHTTP(t *testing.T) {
	srv := newTestServer(t, newTestGate(), ServerConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeHTTPListener(ctx, ln) }()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "http", Version: "1"}, nil).Connect(testContext(t),
		&sdk.StreamableClientTransport{Endpoint: "http://" + ln.Addr().String() + "/mcp", MaxRetries: -1}, nil)
	require.NoError(t, err)
	res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "notes__read", Arguments: map[string]any{"path": "h"}})
	require.NoError(t, err)
	require.Equal(t, "read h", sdkText(t, res))
	cs.Close()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-testContext(t).Done():
		t.Fatal("ServeHTTPListener did not return")
	}
}
