package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeTestFile(t, file, "x")
	tests := []struct {
		name string
		opts Options
	}{
		{"no roots", Options{}},
		{"empty root", Options{Roots: []string{""}}},
		{"missing root", Options{Roots: []string{filepath.Join(dir, "missing")}}},
		{"file as root", Options{Roots: []string{file}}},
		{"negative read limit", Options{Roots: []string{dir}, MaxReadBytes: -1}},
		{"negative write limit", Options{Roots: []string{dir}, MaxWriteBytes: -1}},
		{"negative entries", Options{Roots: []string{dir}, MaxEntries: -1}},
		{"one bad root among good", Options{Roots: []string{dir, filepath.Join(dir, "missing")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			require.Error(t, err)
			require.Nil(t, s)
		})
	}
}

func TestNewDefaultsAndCanonicalRoots(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(real, link))
	canon, err := filepath.EvalSymlinks(real)
	require.NoError(t, err)

	s, err := New(Options{Roots: []string{link, real}})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, []string{canon}, s.Roots(), "a root is resolved once, and duplicates kept once")
	require.Equal(t, limits{maxRead: DefaultMaxReadBytes, maxWrite: DefaultMaxWriteBytes, maxEntries: DefaultMaxEntries}, s.lim)

	// A path written through the configured (unresolved) root still works.
	writeTestFile(t, filepath.Join(real, "f.txt"), "via alias")
	require.Equal(t, "via alias", callOK(t, s, "read_text_file", args("path", filepath.Join(link, "f.txt"))).Text())
}

func TestCloseIsIdempotentAndRefusesLaterCalls(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())

	_, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "list_allowed_directories"})
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
	_, err = s.Tools(context.Background())
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
	require.ErrorIs(t, s.AddRoot(t.TempDir()), ironcurtain.ErrClosed)
}

func TestCallErrors(t *testing.T) {
	s, _ := newTestServer(t, Options{})

	_, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "delete_everything"})
	require.ErrorIs(t, err, ironcurtain.ErrUnknownTool)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Call(ctx, ironcurtain.ToolCall{Tool: "list_directory", Arguments: args("path", ".")})
	require.ErrorIs(t, err, context.Canceled, "an ended context is a Go error, not a tool result")

	res := call(t, s, "read_text_file", args("path", "x", "bogus", true))
	require.True(t, res.IsError, "unknown arguments are refused")
	require.Contains(t, res.Text(), "bogus")
}

func TestAddRootWidensTheServer(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	other := t.TempDir()
	writeTestFile(t, filepath.Join(other, "report.txt"), "approved")
	abs := filepath.Join(other, "report.txt")

	callErr(t, s, "read_text_file", args("path", abs), "outside the allowed directories")
	require.NoError(t, s.AddRoot(other))
	require.NoError(t, s.AddRoot(other), "adding the same root again is a no-op")
	require.Len(t, s.Roots(), 2)
	require.Equal(t, "approved", callOK(t, s, "read_text_file", args("path", abs)).Text())
	require.Contains(t, callOK(t, s, "list_allowed_directories", nil).Text(), s.Roots()[1])

	require.Error(t, s.AddRoot(filepath.Join(other, "missing")))
}

// TestConcurrentUse runs calls, AddRoot, Roots and finally Close at once;
// run with -race it proves the locking, and Close must wait for the calls
// in progress.
func TestConcurrentUse(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "f.txt"), "content")
	extra := make([]string, 8)
	for i := range extra {
		extra[i] = t.TempDir()
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "read_text_file", Arguments: args("path", "f.txt")})
				if errors.Is(err, ironcurtain.ErrClosed) {
					return
				}
				require.NoError(t, err)
				require.Equal(t, "content", res.Text())
			}
		})
		wg.Go(func() {
			require.NoError(t, s.AddRoot(extra[i]))
			require.NotEmpty(t, s.Roots())
		})
	}
	wg.Wait()
	require.Len(t, s.Roots(), 9)
	require.NoError(t, s.Close())
}
