// Package testtree keeps property tests that build random trees of
// directories and symlinks inside those trees.
//
// A generator that creates "a/b" after it made "a" a symlink to "../.." has
// written outside its temporary directory — as root, into "/". Tests create
// every entry only where [CanCreate] says so, and create through a generated
// path only when the resolver under test places it beneath the root.
package testtree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CanCreate reports whether p can be created without writing anywhere but
// beneath root: p does not exist yet (not even as a dangling symlink), and
// every existing directory between root and p is a real directory, not a
// symlink, so that os.MkdirAll of p's parent makes the rest as real
// directories beneath root.
func CanCreate(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return false
	}
	cur := root
	parts := strings.Split(rel, string(filepath.Separator))
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return true
		}
		if err != nil || i == len(parts)-1 || !fi.IsDir() {
			return false // p exists, or a parent is a file, a symlink or unreadable
		}
	}
	return false
}
