package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
)

type writeArgs struct {
	pathArgs
	Content string `json:"content" desc:"The complete new content."`
}

func (s *Server) writeFile(_ context.Context, a writeArgs) (ironcurtain.Result, error) {
	if n := int64(len(a.Content)); n > s.lim.maxWrite {
		return fail("write", a.Path, &limitError{what: "the content is " + size(n), limit: writeLimit(s.lim.maxWrite)}), nil
	}
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("write", a.Path, err), nil
	}
	if err := atomicWrite(t.root.r, t.rel, []byte(a.Content)); err != nil {
		return fail("write", a.Path, err), nil
	}
	return ironcurtain.TextResult(fmt.Sprintf("Wrote %d bytes to %s", len(a.Content), display(a.Path))), nil
}

// defaultPerm is the mode of a new file, before the umask.
const defaultPerm = 0o644

var errNoParent = errors.New("its parent directory does not exist (create it first with create_directory)")

// atomicWrite replaces the file rel beneath r with data: it writes a
// temporary file in the same directory, syncs it, and renames it over rel,
// so a reader sees the old content or the new, never a mix. An existing
// regular file keeps its permission bits (not its owner). A symbolic link
// at rel is replaced by the file, never written through.
//
// The parent directory is opened once and every step names a single entry
// in it, so a directory swapped for a link during the write cannot split
// the steps between two places: the temporary file is renamed, or removed,
// exactly where it was made.
func atomicWrite(r *os.Root, rel string, data []byte) error {
	if rel == "." {
		return errors.New("it is a directory")
	}
	parent, err := r.OpenRoot(filepath.Dir(rel))
	if errors.Is(err, iofs.ErrNotExist) {
		return errNoParent
	}
	if err != nil {
		return err
	}
	defer parent.Close()
	base := filepath.Base(rel)

	perm, keep := iofs.FileMode(defaultPerm), false
	switch fi, err := parent.Lstat(base); {
	case err == nil && fi.IsDir():
		return errors.New("it is a directory")
	case err == nil && fi.Mode().IsRegular():
		perm, keep = fi.Mode().Perm(), true
	case err != nil && !errors.Is(err, iofs.ErrNotExist):
		return err
	}
	tmp := tempName(base)
	f, err := parent.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			parent.Remove(tmp)
		}
	}()
	if keep {
		// The umask may have cleared bits the old file had.
		if err := f.Chmod(perm); err != nil {
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := parent.Rename(tmp, base); err != nil {
		return err
	}
	renamed = true
	syncDir(parent)
	return nil
}

// syncDir makes a rename in d durable. It is best effort: some systems
// cannot sync a directory, and the data itself was already synced.
func syncDir(d *os.Root) {
	f, err := d.OpenFile(".", openReadFlag, 0)
	if err != nil {
		return
	}
	f.Sync()
	f.Close()
}

// tempName returns a hidden, random name next to base for a file being
// written. The base is shortened so that the name stays within the usual
// 255-byte limit.
func tempName(base string) string {
	if len(base) > 100 {
		base = base[:100]
		// Do not leave half a character: some file systems want UTF-8 names.
		for i := 0; i < utf8.UTFMax && !utf8.ValidString(base); i++ {
			base = base[:len(base)-1]
		}
	}
	var b [8]byte
	rand.Read(b[:])
	return "." + base + "." + hex.EncodeToString(b[:]) + ".tmp"
}

func (s *Server) createDirectory(_ context.Context, a pathArgs) (ironcurtain.Result, error) {
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("create directory", a.Path, err), nil
	}
	if fi, err := t.root.r.Lstat(t.rel); err == nil && fi.IsDir() {
		return ironcurtain.TextResult("Directory already exists: " + display(a.Path)), nil
	}
	if err := t.root.r.MkdirAll(t.rel, 0o755); err != nil {
		return fail("create directory", a.Path, err), nil
	}
	return ironcurtain.TextResult("Created directory " + display(a.Path)), nil
}
