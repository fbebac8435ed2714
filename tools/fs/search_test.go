package fs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSearchFiles(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	treeFixture(t, dir)
	abs := func(rels ...string) string {
		for i, r := range rels {
			rels[i] = filepath.Join(dir, r)
		}
		return strings.Join(rels, "\n")
	}
	requireTexts(t, s, "search_files", false, []textCase{
		{"by name at any depth", args("path", ".", "pattern", "*.go"), abs("src/main.go", "src/util/strings.go", "src/util/strings_test.go")},
		{"by relative path", args("path", ".", "pattern", "src/*.go"), abs("src/main.go")},
		{"with **", args("path", ".", "pattern", "**/util/*.go"), abs("src/util/strings.go", "src/util/strings_test.go")},
		{"directories match too", args("path", ".", "pattern", "util"), abs("src/util")},
		{"links match by name, never followed", args("path", ".", "pattern", "link*"), abs("link")},
		{"braces", args("path", ".", "pattern", "*.{md,js}"), abs("README.md", "node_modules/pkg/index.js")},
		{"excludes prune", args("path", ".", "pattern", "*", "excludePatterns", []any{"node_modules", "src", "build", "empty"}), abs("README.md", "link")},
		{"excluded files", args("path", ".", "pattern", "*.go", "excludePatterns", []any{"*_test.go"}), abs("src/main.go", "src/util/strings.go")},
		{"from a subdirectory", args("path", filepath.Join(dir, "src"), "pattern", "util/*_test.go"), abs("src/util/strings_test.go")},
		{"no match", args("path", ".", "pattern", "*.rs"), "No matches found"},
	})
}

func TestSearchFilesErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxEntries: 10})
	treeFixture(t, dir)
	tests := []textCase{
		{"limit", args("path", ".", "pattern", "*.go"), "cannot search .: there are more than 10 entries to examine, over the limit of 10 entries (MaxEntries)"},
		{"empty pattern", args("path", ".", "pattern", ""), "pattern: the pattern is empty"},
		{"bad pattern", args("path", ".", "pattern", "[a-"), "malformed"},
		{"bad exclude", args("path", ".", "pattern", "*", "excludePatterns", []any{"{a,b}["}), "excludePatterns"},
		{"not a directory", args("path", "README.md", "pattern", "*"), "not a directory"},
		{"outside", args("path", "/", "pattern", "passwd"), "outside the allowed directories"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callErr(t, s, "search_files", tt.args, tt.want)
		})
	}
	require.Contains(t, callOK(t, s, "search_files", args("path", ".", "pattern", "*.go", "excludePatterns", []any{"node_modules", "build"})).Text(), "main.go",
		"excluding a large subtree brings a search under the limit")
}
