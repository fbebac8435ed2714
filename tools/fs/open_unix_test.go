//go:build unix

package fs

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadRefusesFIFOWithoutBlocking: a FIFO swapped in for a file must
// not hang the server in open(2) waiting for a writer that never comes.
func TestReadRefusesFIFOWithoutBlocking(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))
	for _, tool := range []string{"read_text_file", "read_media_file", "edit_file"} {
		a := args("path", "pipe")
		if tool == "edit_file" {
			a["edits"] = []any{map[string]any{"oldText": "a", "newText": "b"}}
		}
		callErr(t, s, tool, a, "not a regular file")
	}
	res := callErr(t, s, "read_multiple_files", args("paths", []any{"pipe", "pipe"}), "pipe")
	require.Contains(t, res.Text(), "not a regular file")
	require.Contains(t, callOK(t, s, "list_directory", args("path", ".")).Text(), "[FILE] pipe")
}
