package fs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestErrorsNameNoHostPath: when the agent writes relative paths, no
// failure tells it where on the host its root lies, whichever operation
// failed and however the os package worded the error.
func TestErrorsNameNoHostPath(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxEntries: 2})
	writeTestFile(t, filepath.Join(dir, "f.txt"), "x")
	writeTestFile(t, filepath.Join(dir, "d", "a"), "a")
	writeTestFile(t, filepath.Join(dir, "d", "b"), "b")
	writeTestFile(t, filepath.Join(dir, "d", "c"), "c")
	require.NoError(t, os.Symlink("/etc", filepath.Join(dir, "out")))
	require.NoError(t, os.Symlink("loop", filepath.Join(dir, "loop")))
	tests := []struct {
		tool string
		args map[string]any
	}{
		{"read_text_file", args("path", "missing")},
		{"read_text_file", args("path", "d")},
		{"read_text_file", args("path", "f.txt/x")},
		{"read_text_file", args("path", "out/passwd")},
		{"read_text_file", args("path", "loop")},
		{"read_media_file", args("path", "d")},
		{"write_file", args("path", "d", "content", "x")},
		{"write_file", args("path", "f.txt/x", "content", "x")},
		{"edit_file", args("path", "d", "edits", edits("a", "b"))},
		{"create_directory", args("path", "f.txt")},
		{"list_directory", args("path", "f.txt")},
		{"list_directory", args("path", "d")},
		{"directory_tree", args("path", "out")},
		{"search_files", args("path", "missing", "pattern", "*")},
		{"get_file_info", args("path", "out/none")},
		{"move_file", args("source", "f.txt", "destination", "d/a")},
		{"move_file", args("source", "missing", "destination", "new")},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res := call(t, s, tt.tool, tt.args)
			require.True(t, res.IsError, res.Text())
			require.NotContains(t, res.Text(), dir)
			require.NotContains(t, res.Text(), "goroutine", "no stack trace")
		})
	}
}

func TestReason(t *testing.T) {
	_, roots := testRoots(t)
	_, escape := roots[0].r.Open("../x")
	require.Error(t, escape)
	tests := []struct {
		err  error
		want string
	}{
		{escape, "it leads outside the allowed directories"},
		{&os.PathError{Op: "open", Path: "/host/secret/x", Err: fs.ErrNotExist}, "no such file or directory"},
		{&os.PathError{Op: "open", Path: "/host/secret/x", Err: fs.ErrPermission}, "permission denied"},
		{&os.LinkError{Op: "link", Old: "/host/a", New: "/host/b", Err: fs.ErrExist}, "it already exists"},
		{&os.PathError{Op: "read", Path: "/host/secret/x", Err: &os.SyscallError{Syscall: "read", Err: errors.New("input/output error")}}, "input/output error"},
		{&limitError{what: "the file is 2 B", limit: readLimit(1)}, "the file is 2 B, over the read limit of 1 B (MaxReadBytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, reason(tt.err))
		})
	}
	require.ErrorIs(t, &limitError{}, ironcurtain.ErrLimit)
}

func TestSizeAndDisplay(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 << 20: "10.0 MiB", 3 << 30: "3.0 GiB"} {
		require.Equal(t, want, size(n))
	}
	for in, want := range map[string]string{
		"plain.txt": "plain.txt", "with space.txt": "with space.txt", "": `""`, " lead": `" lead"`,
		"new\nline": `"new\nline"`, "tab\there": `"tab\there"`, "bad\xffutf8": `"bad\xffutf8"`, "ünï©ødé": "ünï©ødé",
	} {
		require.Equal(t, want, display(in))
	}
}
