package fs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// listFixture makes: b.txt (3 bytes), a.txt (10 bytes), sub/, link -> a.txt.
func listFixture(t *testing.T, s *Server, dir string) {
	t.Helper()
	writeTestFile(t, filepath.Join(dir, "b.txt"), "bbb")
	writeTestFile(t, filepath.Join(dir, "a.txt"), "aaaaaaaaaa")
	writeTestFile(t, filepath.Join(dir, "sub", "inner.txt"), "i")
	require.NoError(t, os.Symlink("a.txt", filepath.Join(dir, "link")))
}

func TestListDirectory(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	listFixture(t, s, dir)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	writeTestFile(t, filepath.Join(dir, "odd\n[DIR] fake"), "x")

	require.Equal(t, "[FILE] a.txt\n[FILE] b.txt\n[DIR] empty\n[LINK] link\n[FILE] \"odd\\n[DIR] fake\"\n[DIR] sub",
		callOK(t, s, "list_directory", args("path", ".")).Text(),
		"sorted by name; links marked, not followed; a name cannot forge a line")
	require.Equal(t, "(empty directory)", callOK(t, s, "list_directory", args("path", "empty")).Text())
	require.Equal(t, "[FILE] inner.txt", callOK(t, s, "list_directory", args("path", filepath.Join(dir, "sub"))).Text())

	callErr(t, s, "list_directory", args("path", "a.txt"), "cannot list a.txt: not a directory")
	callErr(t, s, "list_directory", args("path", "none"), "no such file or directory")

	few, fewDir := newTestServer(t, Options{MaxEntries: 3})
	listFixture(t, few, fewDir)
	callErr(t, few, "list_directory", args("path", "."), "over the limit of 3 entries (MaxEntries)")
}

func TestListDirectoryWithSizes(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	listFixture(t, s, dir)

	byName := callOK(t, s, "list_directory_with_sizes", args("path", "."))
	var got sizedListing
	require.NoError(t, json.Unmarshal(byName.Structured, &got))
	require.Equal(t, []string{"a.txt", "b.txt", "link", "sub"}, names(got.Entries))
	require.Equal(t, 3, got.Files, "files and links count as files")
	require.Equal(t, 1, got.Directories)
	require.Equal(t, int64(10+3+5), got.TotalBytes, "a link counts its own size, not its target's")
	require.Contains(t, byName.Text(), "[FILE] a.txt        10 B\n[FILE] b.txt         3 B\n[LINK] link          5 B\n")
	require.Contains(t, byName.Text(), "[DIR]  sub\n")
	require.Contains(t, byName.Text(), "Total: 3 files, 1 directories\nCombined size: 18 B (18 bytes)")

	bySize := callOK(t, s, "list_directory_with_sizes", args("path", ".", "sortBy", "size"))
	require.NoError(t, json.Unmarshal(bySize.Structured, &got))
	require.Equal(t, []string{"a.txt", "link", "b.txt", "sub"}, names(got.Entries), "largest first; ties by name")

	callErr(t, s, "list_directory_with_sizes", args("path", ".", "sortBy", "date"), `argument "sortBy" must be one of "name", "size"`)
	callErr(t, s, "list_directory_with_sizes", args("path", "b.txt"), "not a directory")
}

func names(entries []sizedEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}

func TestGetFileInfo(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	listFixture(t, s, dir)
	require.NoError(t, os.Chmod(filepath.Join(dir, "a.txt"), 0o640))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "out")))

	info := func(p string) (fileInfo, string) {
		res := callOK(t, s, "get_file_info", args("path", p))
		var fi fileInfo
		require.NoError(t, json.Unmarshal(res.Structured, &fi))
		return fi, res.Text()
	}
	fi, text := info("a.txt")
	require.Equal(t, "file", fi.Type)
	require.Equal(t, int64(10), fi.Size)
	require.Equal(t, "640", fi.Permissions)
	require.Equal(t, "-rw-r-----", fi.Mode)
	require.True(t, fi.IsFile)
	require.Contains(t, text, "type: file\nsize: 10\nmodified: ")

	fi, _ = info("sub")
	require.Equal(t, "directory", fi.Type)
	require.True(t, fi.IsDirectory)

	fi, text = info("link")
	require.Equal(t, "symlink", fi.Type)
	require.NotNil(t, fi.Target)
	require.Equal(t, int64(10), fi.Target.Size)
	require.Contains(t, text, "target:\n  type: file\n")

	fi, _ = info("out")
	require.Equal(t, "symlink", fi.Type)
	require.Nil(t, fi.Target, "a link leading outside is not followed")

	callErr(t, s, "get_file_info", args("path", "none"), "cannot get info on none: no such file or directory")
}

func TestListAllowedDirectories(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	res := callOK(t, s, "list_allowed_directories", nil)
	require.Equal(t, "Allowed directories:\n"+dir, res.Text())
	require.JSONEq(t, `{"directories": [`+string(must(json.Marshal(dir)))+`]}`, string(res.Structured))
	callErr(t, s, "list_allowed_directories", args("path", "."), "invalid arguments")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
