package fs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"slices"
	"strconv"

	"github.com/ironcurtain-go/ironcurtain"
)

// maxDepth bounds how deep a walk descends. A walk holds one open
// directory per level, so this also bounds its file descriptors.
const maxDepth = 256

// walker reads directories for one call, counting every entry it examines
// against MaxEntries.
//
// It reads each directory through an os.Root opened on that directory
// from its parent's handle, and describes each entry with Root.Lstat on
// that handle. So every system call is relative to a directory already
// opened inside the root, none takes a path string that a link swapped in
// mid-walk could redirect, and a symbolic link is never followed: it is
// listed as what it is.
type walker struct {
	ctx  context.Context
	max  int
	seen int
}

// entry is one directory entry, described without following links.
type entry struct {
	name string
	info iofs.FileInfo
}

func (e entry) kind() string {
	switch {
	case e.info.IsDir():
		return "directory"
	case e.info.Mode()&iofs.ModeSymlink != 0:
		return "symlink"
	}
	return "file"
}

// walkError is a failure inside a walk, at rel (slash-separated, relative
// to where the walk started; "" is the start itself).
type walkError struct {
	rel string
	err error
}

func (e *walkError) Error() string { return e.rel + ": " + e.err.Error() }
func (e *walkError) Unwrap() error { return e.err }

// openDir opens the directory a target names, for walking.
// walkBeneath resolves path, as the agent wrote it, to a directory and
// walks everything beneath it for the tool doing op: an entry that one of
// excludePatterns matches is left out with everything beneath it, and
// every other one is passed to visit with the directory's absolute path and
// its own slash-separated path relative to it. It returns nil when the walk
// went to its end, and otherwise the call's outcome (see failCall).
func (s *Server) walkBeneath(ctx context.Context, op, path string, excludePatterns []string, visit func(base, rel string, e entry)) (*ironcurtain.Result, error) {
	exclude, err := compileGlobs(excludePatterns)
	if err != nil {
		res := failure("excludePatterns: "+err.Error(), nil).Result()
		return &res, nil
	}
	t, err := resolve(s.snapshot(), path)
	if err != nil {
		res := fail(op, path, err)
		return &res, nil
	}
	d, err := openDir(t)
	if err != nil {
		res := fail(op, path, err)
		return &res, nil
	}
	defer d.Close()
	base := t.abs()
	w := walker{ctx: ctx, max: s.lim.maxEntries}
	err = w.walk(d, "", 0, func(rel string, e entry) bool {
		if exclude.match(rel, e.name) {
			return false
		}
		visit(base, rel, e)
		return true
	})
	if err != nil {
		res, err := failCall(ctx, op, path, err)
		return &res, err
	}
	return nil, nil
}

func openDir(t target) (*os.Root, error) { return t.root.r.OpenRoot(t.rel) }

// list returns the entries of d, sorted by name.
func (w *walker) list(d *os.Root) ([]entry, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	for {
		batch, err := f.Readdirnames(256)
		w.seen += len(batch)
		if w.seen > w.max {
			return nil, &limitError{what: "there are more than " + strconv.Itoa(w.max) + " entries to examine",
				limit: entryLimit(w.max), hint: "choose a smaller directory or exclude some with excludePatterns"}
		}
		names = append(names, batch...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	entries := make([]entry, 0, len(names))
	for _, name := range names {
		fi, err := d.Lstat(name)
		if errors.Is(err, iofs.ErrNotExist) {
			continue // removed since it was listed
		}
		if err != nil {
			return nil, &walkError{rel: name, err: err}
		}
		entries = append(entries, entry{name: name, info: fi})
	}
	return entries, nil
}

// visit is called for each entry of a walk with its slash-separated path
// relative to the start. It returns whether to descend into it, which is
// only done for real directories.
type visit func(rel string, e entry) (descend bool)

// walk visits every entry beneath d, depth first, in name order.
func (w *walker) walk(d *os.Root, rel string, depth int, fn visit) error {
	if depth >= maxDepth {
		return &walkError{rel: rel, err: fmt.Errorf("directories nest deeper than %d levels", maxDepth)}
	}
	entries, err := w.list(d)
	if err != nil {
		return prefixWalkError(rel, err)
	}
	for _, e := range entries {
		child := path.Join(rel, e.name)
		if !fn(child, e) || !e.info.IsDir() {
			continue
		}
		sub, err := d.OpenRoot(e.name)
		if err != nil {
			return &walkError{rel: child, err: err}
		}
		err = w.walk(sub, child, depth+1, fn)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// prefixWalkError places an error from listing the directory rel.
func prefixWalkError(rel string, err error) error {
	var we *walkError
	switch {
	case errors.As(err, &we):
		we.rel = path.Join(rel, we.rel)
		return we
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var le *limitError
	if errors.As(err, &le) {
		return err
	}
	return &walkError{rel: rel, err: err}
}

// size is the entry's size as listings show it: a directory's own size
// (a file-system detail) counts as 0.
func (e entry) size() int64 {
	if e.info.IsDir() {
		return 0
	}
	return e.info.Size()
}

// sortEntries orders entries by name, or by size, largest first.
func sortEntries(entries []entry, bySize bool) {
	if !bySize {
		return // list returns them by name
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Compare(b.size(), a.size())
	})
}
