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

	"pgregory.net/rapid"
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

// Make draws a kind of entry and creates it at p, making p's parent
// directories as needed, when [CanCreate] allows (otherwise it creates
// nothing): a directory, a file holding "x", or a symlink whose target is
// one to four of names joined by slashes, relative or beneath root.
func Make(t *rapid.T, root, p string, names []string) {
	kind := rapid.IntRange(0, 3).Draw(t, "kind")
	if !CanCreate(root, p) {
		return // never create through a symlink: it may lead out of root
	}
	_ = os.MkdirAll(filepath.Dir(p), 0o755)
	switch kind {
	case 0:
		_ = os.MkdirAll(p, 0o755)
	case 1:
		_ = os.WriteFile(p, []byte("x"), 0o644)
	default:
		target := strings.Join(rapid.SliceOfN(rapid.SampledFrom(names), 1, 4).Draw(t, "target"), "/")
		if rapid.Bool().Draw(t, "absolute") {
			target = root + "/" + target
		}
		_ = os.Symlink(target, p)
	}
}
