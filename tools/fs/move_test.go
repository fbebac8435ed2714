package fs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMoveFile(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "a.txt"), "A")
	writeTestFile(t, filepath.Join(dir, "d/inner.txt"), "I")
	require.NoError(t, os.Symlink("a.txt", filepath.Join(dir, "link")))

	t.Run("file", func(t *testing.T) {
		require.Equal(t, "Moved a.txt to b.txt", callOK(t, s, "move_file", args("source", "a.txt", "destination", "b.txt")).Text())
		require.Equal(t, "A", readTestFile(t, filepath.Join(dir, "b.txt")))
		require.NoFileExists(t, filepath.Join(dir, "a.txt"))
	})
	t.Run("directory, by absolute paths", func(t *testing.T) {
		callOK(t, s, "move_file", args("source", filepath.Join(dir, "d"), "destination", filepath.Join(dir, "e")))
		require.Equal(t, "I", readTestFile(t, filepath.Join(dir, "e/inner.txt")))
		require.NoDirExists(t, filepath.Join(dir, "d"))
	})
	t.Run("link moves as a link", func(t *testing.T) {
		callOK(t, s, "move_file", args("source", "link", "destination", "e/link"))
		target, err := os.Readlink(filepath.Join(dir, "e/link"))
		require.NoError(t, err)
		require.Equal(t, "a.txt", target)
	})
	t.Run("into a new place in a subdirectory", func(t *testing.T) {
		callOK(t, s, "move_file", args("source", "b.txt", "destination", "e/b.txt"))
		require.Equal(t, "A", readTestFile(t, filepath.Join(dir, "e/b.txt")))
	})
}

func TestMoveFileErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "a.txt"), "A")
	writeTestFile(t, filepath.Join(dir, "b.txt"), "B")
	writeTestFile(t, filepath.Join(dir, "d/x"), "X")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	tests := []struct {
		name              string
		source, dest, msg string
	}{
		{"destination file exists", "a.txt", "b.txt", "the destination already exists"},
		{"destination directory exists", "a.txt", "d", "the destination already exists"},
		{"directory onto an empty directory", "d", "empty", "the destination already exists"},
		{"onto itself", "a.txt", "a.txt", "the destination already exists"},
		{"missing source", "none", "c", "no such file or directory"},
		{"missing destination parent", "a.txt", "no/dir/c", "no such file or directory"},
		{"the root", ".", "moved", "an allowed directory itself cannot be moved"},
		{"onto the root", "a.txt", dir, "the destination already exists"},
		{"destination outside", "a.txt", "../stolen.txt", "cannot move to ../stolen.txt: it is outside"},
		{"source outside", "/etc/hostname", "h", "cannot move /etc/hostname: it is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callErr(t, s, "move_file", args("source", tt.source, "destination", tt.dest), tt.msg)
		})
	}
	require.Equal(t, "A", readTestFile(t, filepath.Join(dir, "a.txt")))
	require.Equal(t, "B", readTestFile(t, filepath.Join(dir, "b.txt")))
	require.Equal(t, "X", readTestFile(t, filepath.Join(dir, "d/x")))
}

func TestMoveFileBetweenRoots(t *testing.T) {
	other := t.TempDir()
	s, dir := newTestServer(t, Options{Roots: []string{other}, MaxWriteBytes: 8})
	writeTestFile(t, filepath.Join(dir, "report.txt"), "done")
	require.NoError(t, os.Chmod(filepath.Join(dir, "report.txt"), 0o600))
	writeTestFile(t, filepath.Join(dir, "big.txt"), strings.Repeat("x", 9))
	writeTestFile(t, filepath.Join(dir, "d/x"), "X")
	writeTestFile(t, filepath.Join(other, "taken.txt"), "mine")

	callOK(t, s, "move_file", args("source", "report.txt", "destination", filepath.Join(other, "report.txt")))
	require.Equal(t, "done", readTestFile(t, filepath.Join(other, "report.txt")))
	fi, err := os.Stat(filepath.Join(other, "report.txt"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoFileExists(t, filepath.Join(dir, "report.txt"))

	callErr(t, s, "move_file", args("source", "big.txt", "destination", filepath.Join(other, "big.txt")), "MaxWriteBytes")
	require.NoFileExists(t, filepath.Join(other, "big.txt"))
	callErr(t, s, "move_file", args("source", "d", "destination", filepath.Join(other, "d")), "only a regular file")
	writeTestFile(t, filepath.Join(dir, "taken.txt"), "theirs")
	callErr(t, s, "move_file", args("source", "taken.txt", "destination", filepath.Join(other, "taken.txt")), "already exists")
	require.Equal(t, "mine", readTestFile(t, filepath.Join(other, "taken.txt")))
	require.Equal(t, "theirs", readTestFile(t, filepath.Join(dir, "taken.txt")))
}

// TestMoveFileNestedRoots: a move from an inner root to its outer root is
// still one rename within the outer root, so directories move too.
func TestMoveFileNestedRoots(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	inner := filepath.Join(dir, "inner")
	writeTestFile(t, filepath.Join(inner, "sub/f"), "F")
	require.NoError(t, s.AddRoot(inner))
	callOK(t, s, "move_file", args("source", filepath.Join(inner, "sub"), "destination", filepath.Join(dir, "sub")))
	require.Equal(t, "F", readTestFile(t, filepath.Join(dir, "sub/f")))
}
