package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// root is one directory the server may act in. Every access beneath it goes
// through r, which refuses names that leave the directory by "..", by an
// absolute or escaping symbolic link, or by a link swapped in mid-call.
type root struct {
	dir   string // absolute, symlink-resolved
	alias string // absolute form as configured, when it differs from dir
	r     *os.Root
}

// openRoot canonicalises dir and opens it as a root.
func openRoot(dir string) (*root, error) {
	if dir == "" {
		return nil, errors.New("fs: empty root directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fs: root %s: %w", dir, err)
	}
	canon, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("fs: root %s: %w", dir, err)
	}
	r, err := os.OpenRoot(canon)
	if err != nil {
		return nil, fmt.Errorf("fs: root %s: %w", dir, err)
	}
	learnEscapeError(r)
	rt := &root{dir: canon, r: r}
	if abs != canon {
		rt.alias = abs
	}
	return rt, nil
}

func (rt *root) close() error { return rt.r.Close() }

// rel returns the name of the absolute, clean path p relative to the root,
// and whether p lies within it. Paths are compared on whole components, so
// that /a/rootX is not within /a/root.
func (rt *root) rel(p string) (string, bool) {
	if rel, ok := within(rt.dir, p); ok {
		return rel, true
	}
	if rt.alias != "" {
		return within(rt.alias, p)
	}
	return "", false
}

// abs returns the host path of a name relative to the root.
func (rt *root) abs(rel string) string { return filepath.Join(rt.dir, rel) }

func within(dir, p string) (string, bool) {
	if p == dir {
		return ".", true
	}
	prefix := dir
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
		return rest, true
	}
	return "", false
}

// target is a path argument resolved to a root: the name to hand to the
// root's methods, and the path as the agent wrote it, for messages.
type target struct {
	root *root
	rel  string // clean, relative, never ".." or beginning with "../"
	arg  string
}

// abs is the clean absolute host path of the target.
func (t target) abs() string { return t.root.abs(t.rel) }

// errOutside is the model-facing reason for a path no root contains.
var errOutside = errors.New("it is outside the allowed directories (see list_allowed_directories)")

// resolve maps a path argument to a root. It does lexical work only; the
// root's methods then refuse escapes through links, at the moment of use.
//
// An absolute path must lie within a root; where roots nest, the innermost
// wins. A relative path is taken relative to the first root, and may not
// climb out of it. A path whose first component begins with "~" is refused:
// the server does not expand home directories (the Gate does), and quietly
// creating a directory named "~" would surprise everyone.
func resolve(roots []*root, p string) (target, error) {
	switch {
	case p == "":
		return target{}, errors.New("the path is empty")
	case strings.IndexByte(p, 0) >= 0:
		return target{}, errors.New("the path contains a NUL byte")
	case strings.HasPrefix(p, "~"):
		return target{}, errors.New("paths beginning with ~ are not expanded; use an absolute path or one relative to the first allowed directory")
	case len(roots) == 0:
		return target{}, errOutside
	}
	clean := filepath.Clean(p)
	if !filepath.IsAbs(clean) {
		if !filepath.IsLocal(clean) && clean != "." {
			return target{}, errOutside
		}
		return target{root: roots[0], rel: clean, arg: p}, nil
	}
	var best target
	for _, rt := range roots {
		rel, ok := rt.rel(clean)
		if !ok {
			continue
		}
		if best.root == nil || len(rt.dir) > len(best.root.dir) {
			best = target{root: rt, rel: rel, arg: p}
		}
	}
	if best.root == nil {
		return target{}, errOutside
	}
	return best, nil
}

// commonRoot returns the innermost root that contains both targets, and
// their names relative to it, so that a move between nested roots can
// still be one rename.
func commonRoot(roots []*root, a, b target) (rt *root, aRel, bRel string, ok bool) {
	aAbs, bAbs := a.abs(), b.abs()
	for _, r := range roots {
		ra, okA := r.rel(aAbs)
		rb, okB := r.rel(bAbs)
		if okA && okB && (rt == nil || len(r.dir) > len(rt.dir)) {
			rt, aRel, bRel = r, ra, rb
		}
	}
	return rt, aRel, bRel, rt != nil
}

// escapeErr is the error value os.Root uses for a name that leaves the
// root. The standard library does not export it, so it is learned once
// from a call that is certain to fail with it, and then compared by
// identity — never by its text.
var (
	escapeErr error
	learnOnce sync.Once
)

// learnEscapeError is called by openRoot, so every Server has run it (and
// sync.Once has published escapeErr) before its first call reads it.
func learnEscapeError(r *os.Root) {
	learnOnce.Do(func() {
		_, err := r.Lstat(string(filepath.Separator))
		var pe *os.PathError
		if errors.As(err, &pe) {
			escapeErr = pe.Err
		}
	})
}

// isEscape reports whether err says a name left its root.
func isEscape(err error) bool { return escapeErr != nil && errors.Is(err, escapeErr) }
