package fs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// treeFixture makes a small project:
//
//	README.md
//	src/main.go  src/util/strings.go  src/util/strings_test.go
//	node_modules/pkg/index.js
//	build/out.bin
//	empty/
//	link -> src (never followed)
func treeFixture(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"README.md", "src/main.go", "src/util/strings.go", "src/util/strings_test.go",
		"node_modules/pkg/index.js", "build/out.bin"} {
		writeTestFile(t, filepath.Join(dir, f), "x")
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	require.NoError(t, os.Symlink("src", filepath.Join(dir, "link")))
}

func TestDirectoryTree(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	treeFixture(t, dir)
	requireTexts(t, s, "directory_tree", true, []textCase{
		{"whole tree", args("path", "."), `[
			{"name":"README.md","type":"file"},
			{"name":"build","type":"directory","children":[{"name":"out.bin","type":"file"}]},
			{"name":"empty","type":"directory","children":[]},
			{"name":"link","type":"file"},
			{"name":"node_modules","type":"directory","children":[{"name":"pkg","type":"directory","children":[{"name":"index.js","type":"file"}]}]},
			{"name":"src","type":"directory","children":[
				{"name":"main.go","type":"file"},
				{"name":"util","type":"directory","children":[{"name":"strings.go","type":"file"},{"name":"strings_test.go","type":"file"}]}]}]`},
		{"excluded by name and by path (build/** takes build itself too)", args("path", ".", "excludePatterns", []any{"node_modules", "build/**", "*_test.go", "empty"}), `[
			{"name":"README.md","type":"file"},
			{"name":"link","type":"file"},
			{"name":"src","type":"directory","children":[
				{"name":"main.go","type":"file"},
				{"name":"util","type":"directory","children":[{"name":"strings.go","type":"file"}]}]}]`},
		{"a subdirectory", args("path", filepath.Join(dir, "src", "util")), `[{"name":"strings.go","type":"file"},{"name":"strings_test.go","type":"file"}]`},
		{"an empty directory", args("path", "empty"), `[]`},
	})
}

func TestDirectoryTreeErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxEntries: 10})
	treeFixture(t, dir)
	callErr(t, s, "directory_tree", args("path", "."), "cannot list .: there are more than 10 entries to examine, over the limit of 10 entries (MaxEntries); choose a smaller directory or exclude some with excludePatterns")
	callOK(t, s, "directory_tree", args("path", ".", "excludePatterns", []any{"node_modules", "src"}))
	callErr(t, s, "directory_tree", args("path", "README.md"), "not a directory")
	callErr(t, s, "directory_tree", args("path", "none"), "no such file or directory")
	callErr(t, s, "directory_tree", args("path", ".", "excludePatterns", []any{"[x"}), "excludePatterns: the pattern \"[x\" is malformed")
	callErr(t, s, "directory_tree", args("path", ".", "excludePatterns", "node_modules"), "must be an array")
}

func TestDirectoryTreeDepthLimit(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	// Built through a root, one level at a time: the whole path may exceed
	// PATH_MAX.
	r, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, r.MkdirAll(strings.Repeat("d/", maxDepth+1), 0o755))
	callErr(t, s, "directory_tree", args("path", "."), "directories nest deeper than 256 levels")
}
