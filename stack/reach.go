package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// ErrWithinReach marks a layout that puts the audit log or the grants file,
// or the directory that holds either, inside a directory the agent can write.
// There the agent — in Docker Mode, writing its workspace at will; through a
// tool server whose jail grants it the directory; through any tool that acts
// on the directory — could move the directory away, rewrite the file and put
// it back, and the record of what it did would be gone.
var ErrWithinReach = errors.New("stack: a file the agent must not rewrite is within its reach")

// Writable is a directory the agent can write, directly or through a tool
// server: the sandbox, a directory the policy serves, an upstream server's
// read-write jail grant.
type Writable struct {
	// What names it in the error: "the sandbox", "the policy's root", ...
	What string
	// Dir is its path, absolute or relative to the working directory.
	Dir string
}

// CheckOutOfReach is the one check every command that assembles a stack
// makes (New makes it too): it returns an error satisfying
// errors.Is(err, ErrWithinReach) when a writable directory holds the audit
// log, the grants file or the directory of either. An empty auditLog or
// grantsFile is not checked.
//
// Paths are compared after following every symlink (also in components that
// do not exist yet); a path that merely passes through a writable directory
// on its way (a symlink there to the log's real directory) is refused too,
// and so is a writable directory that is the very directory
// (same device and inode) of the file or of any ancestor of it — a bind mount,
// say — is caught too. A writable directory inside the file's directory (the
// log's directory being the sandbox's parent) is not within reach: the
// agent cannot rename or replace an ancestor of its own directory. A file
// with more than one name (a hard link, perhaps in the sandbox) is refused
// wherever it is: no path comparison finds the other name.
func CheckOutOfReach(auditLog, grantsFile string, writable ...Writable) error {
	var roots, names []string
	for _, w := range writable {
		if w.Dir == "" {
			continue
		}
		root, err := canonical(w.Dir)
		if err != nil {
			return fmt.Errorf("stack: %s %s: %w", w.What, w.Dir, err)
		}
		roots, names = append(roots, root), append(names, w.What)
	}
	marks := realpath.NewMarks(roots)
	for _, f := range []struct{ what, path string }{{"the audit log", auditLog}, {"the grants file", grantsFile}} {
		if f.path == "" {
			continue
		}
		abs, err := filepath.Abs(f.path)
		if err != nil {
			return fmt.Errorf("stack: %s %s: %w", f.what, f.path, err)
		}
		// The path as written may pass through a writable directory
		// (a symlink in the sandbox to the log's real directory): the
		// agent could re-point it. Resolution reports every location it
		// visits.
		file, hits, err := realpath.Resolve(abs, marks)
		if err != nil {
			return fmt.Errorf("stack: %s %s: %w", f.what, f.path, err)
		}
		if n := links(file); n > 1 {
			return fmt.Errorf("%w: %s %s has %d names (hard links), and another may be where the agent can write; give it one name",
				ErrWithinReach, f.what, abs, n)
		}
		dir := filepath.Dir(file)
		ancestors := existingAncestors(dir)
		for i, root := range roots {
			if hits.Has(i) || within(dir, root) || within(file, root) || sameAsAny(root, ancestors) {
				return fmt.Errorf("%w: %s %s is inside %s %s, where the agent could move, rewrite or delete it; keep the audit log, the grants file and their directories outside every directory the agent can write",
					ErrWithinReach, f.what, abs, names[i], root)
			}
		}
	}
	return nil
}

// canonical makes p absolute and follows every symlink in it.
func canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	c, _, err := realpath.Resolve(abs, nil)
	return c, err
}

// within reports whether the canonical path p is dir or beneath it,
// ignoring case: on a file system that ignores case too, "/Sandbox/x" is
// inside "/sandbox", and on one that does not, refusing is the safe side.
func within(p, dir string) bool {
	return realpath.Within(realpath.Fold(p), realpath.Fold(dir))
}

// existingAncestors stats dir and every directory above it that exists.
func existingAncestors(dir string) []os.FileInfo {
	var out []os.FileInfo
	for {
		if fi, err := os.Stat(dir); err == nil {
			out = append(out, fi)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return out
		}
		dir = up
	}
}

// sameAsAny reports whether the directory at p is one of the files.
func sameAsAny(p string, files []os.FileInfo) bool {
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	for _, f := range files {
		if os.SameFile(fi, f) {
			return true
		}
	}
	return false
}
