package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// canonical returns the canonical form of the absolute path p, resolved
// as the kernel resolves it (package internal/realpath, as the policy
// resolves it): every symbolic link followed, also a dangling one, to
// where its target would be; ".." applied after the links before it; the
// part that does not exist yet (a clone destination) appended as written.
func canonical(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if strings.ContainsRune(p, 0) {
		return "", errors.New("path contains NUL")
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	c, _, err := realpath.Resolve(p, nil)
	return c, err
}

// within reports whether the canonical path p is root or lies below it,
// comparing whole path components.
func within(root, p string) bool {
	if p == root {
		return true
	}
	if root == string(filepath.Separator) {
		return strings.HasPrefix(p, root)
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}

// withinAny reports whether p lies inside one of roots.
func withinAny(roots []string, p string) bool {
	for _, r := range roots {
		if within(r, p) {
			return true
		}
	}
	return false
}

// rootOf returns the longest root that contains p.
func rootOf(roots []string, p string) (string, bool) {
	best, ok := "", false
	for _, r := range roots {
		if within(r, p) && len(r) >= len(best) {
			best, ok = r, true
		}
	}
	return best, ok
}

// confine resolves an absolute path and checks that it lies inside a root.
// The error is a *toolset.Error naming the path the agent gave.
func (s *Server) confine(p string) (string, error) {
	canon, err := canonical(p)
	if err != nil {
		return "", toolset.Wrapf(err, "cannot use path %q: %s", p, pathReason(err))
	}
	if !withinAny(s.cfg.roots, canon) {
		return "", toolset.Failf("path %q is outside the directories this git server may use", p)
	}
	return canon, nil
}

// confineArg resolves the path argument of a call, relative to the
// session's directory, and confines it as confine does; it returns the
// absolute path the agent meant (for messages) and the resolved one.
func (s *Server) confineArg(ctx context.Context, pathArg string) (abs, dir string, err error) {
	abs, err = s.absPath(sessionOf(ctx), pathArg)
	if err != nil {
		return "", "", err
	}
	dir, err = s.confine(abs)
	if err != nil {
		return "", "", err
	}
	return abs, dir, nil
}

// isDir reports whether p is an existing directory.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// isEmptyDir reports whether p is missing or an empty directory.
func isEmptyDir(p string) (bool, error) {
	entries, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}
