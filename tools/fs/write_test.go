package fs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFile(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	p := filepath.Join(dir, "new.txt")

	res := callOK(t, s, "write_file", args("path", "new.txt", "content", "hello\n"))
	require.Equal(t, "Wrote 6 bytes to new.txt", res.Text())
	require.Equal(t, "hello\n", readTestFile(t, p))

	callOK(t, s, "write_file", args("path", p, "content", ""))
	require.Equal(t, "", readTestFile(t, p), "an empty content empties the file")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
}

func TestWriteFileKeepsPermissions(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	for _, perm := range []os.FileMode{0o600, 0o755, 0o640} {
		p := filepath.Join(dir, "f"+perm.String())
		writeTestFile(t, p, "old")
		require.NoError(t, os.Chmod(p, perm))
		callOK(t, s, "write_file", args("path", p, "content", "new"))
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, perm, fi.Mode().Perm())
		require.Equal(t, "new", readTestFile(t, p))
	}
}

// TestWriteFileReplacesLinkNotTarget: a symbolic link at the path is
// replaced by the new file; its target is never written through.
func TestWriteFileReplacesLinkNotTarget(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "target.txt"), "target")
	require.NoError(t, os.Symlink("target.txt", filepath.Join(dir, "link.txt")))

	callOK(t, s, "write_file", args("path", "link.txt", "content", "new"))
	require.Equal(t, "target", readTestFile(t, filepath.Join(dir, "target.txt")))
	fi, err := os.Lstat(filepath.Join(dir, "link.txt"))
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
	require.Equal(t, "new", readTestFile(t, filepath.Join(dir, "link.txt")))
}

func TestWriteFileErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxWriteBytes: 8})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	writeTestFile(t, filepath.Join(dir, "file"), "x")
	tests := []textCase{
		{"directory", args("path", "sub", "content", "x"), "cannot write sub: it is a directory"},
		{"root itself", args("path", ".", "content", "x"), "it is a directory"},
		{"no parent", args("path", "none/f.txt", "content", "x"), "its parent directory does not exist"},
		{"parent is a file", args("path", "file/f.txt", "content", "x"), "not a directory"},
		{"over the limit", args("path", "big", "content", strings.Repeat("x", 9)), "the content is 9 B, over the write limit of 8 B (MaxWriteBytes)"},
		{"no content", args("path", "f"), `argument "content" is required`},
		{"content not a string", args("path", "f", "content", 5), `argument "content" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callErr(t, s, "write_file", tt.args, tt.want)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "big"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing is written over the limit")
}

func TestTempName(t *testing.T) {
	long := strings.Repeat("é", 80) // 160 bytes
	name := tempName(long)
	require.LessOrEqual(t, len(name), 255)
	require.True(t, strings.HasPrefix(name, "."))
	require.NotEqual(t, name, tempName(long), "names are random")
	require.True(t, strings.HasSuffix(name, ".tmp"))
	require.NotContains(t, name, "\xc3.", "a character is not cut in two")
}

func TestCreateDirectory(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	require.Equal(t, "Created directory a/b/c", callOK(t, s, "create_directory", args("path", "a/b/c")).Text())
	fi, err := os.Stat(filepath.Join(dir, "a", "b", "c"))
	require.NoError(t, err)
	require.True(t, fi.IsDir())

	require.Equal(t, "Directory already exists: a/b", callOK(t, s, "create_directory", args("path", "a/b")).Text())
	callOK(t, s, "create_directory", args("path", "."))

	writeTestFile(t, filepath.Join(dir, "file"), "x")
	callErr(t, s, "create_directory", args("path", "file"), "cannot create directory file")
	callErr(t, s, "create_directory", args("path", "file/sub"), "not a directory")
}
