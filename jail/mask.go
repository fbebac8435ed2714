package jail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// canonicalMasked checks the Masked entries against the canonical grants
// (file grants, executables and sockets) and returns the masks to apply:
// canonical (symbolic links resolved, a missing tail joined to its
// deepest existing ancestor), sorted, without duplicates and without
// those inside another mask, and only those inside a file grant (the rest
// Landlock already keeps out of reach). A mask that is or contains a
// grant is refused: it would hide what is granted. So is a regular file
// with other hard links, which a grant could reach under another name.
func canonicalMasked(in []string, files, others []string) ([]string, error) {
	var out []string
	for _, m := range in {
		if err := checkPath(m); err != nil {
			return nil, fmt.Errorf("%w: Masked entry %q: %v", ErrPolicy, m, err)
		}
		c, err := canonicalMaybeMissing(filepath.Clean(m))
		if err != nil {
			return nil, fmt.Errorf("%w: Masked entry %q: %v", ErrPolicy, m, err)
		}
		fc := realpath.Fold(c)
		for _, g := range slices.Concat(files, others) {
			if realpath.Within(realpath.Fold(g), fc) {
				return nil, fmt.Errorf("%w: Masked entry %q would hide the grant %q", ErrPolicy, m, g)
			}
		}
		if !slices.ContainsFunc(files, func(g string) bool { return realpath.Within(fc, realpath.Fold(g)) }) {
			continue
		}
		if fi, err := os.Lstat(c); err == nil && fi.Mode().IsRegular() && hardLinks(fi) > 1 {
			return nil, fmt.Errorf("%w: Masked entry %q has %d hard links: a grant could reach it under another name",
				ErrPolicy, m, hardLinks(fi))
		}
		out = append(out, c)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(m string) bool {
		return slices.ContainsFunc(out, func(o string) bool { return o != m && realpath.Within(m, o) })
	}), nil
}

// canonicalMaybeMissing resolves the symbolic links of p, which need not
// exist: the canonical form of its deepest existing ancestor, followed by
// the rest.
func canonicalMaybeMissing(p string) (string, error) {
	var rest []string
	for {
		c, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{c}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}
