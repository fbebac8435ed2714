package fs

import (
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"os"

	"github.com/ironcurtain-go/ironcurtain"
)

type moveArgs struct {
	Source      string `json:"source" desc:"The file or directory to move."`
	Destination string `json:"destination" desc:"Its new path; it must not exist."`
}

var (
	errDestExists = errors.New("the destination already exists; move_file never replaces anything")
	errMoveRoot   = errors.New("an allowed directory itself cannot be moved")
)

// moveFile renames a file or directory. It fails if the destination exists.
//
// Within one root, a file (or a symbolic link) is moved by making a hard
// link at the destination and then removing the source: link(2) refuses an
// existing destination atomically, so nothing that appears there meanwhile
// is ever replaced. A directory cannot be hard-linked; it is moved by
// rename(2) after checking that the destination is absent, and the
// race between the two is accepted: rename(2) replaces nothing but an
// empty directory, so the worst a racing creator can lose is an empty
// directory it made in that instant. The same fallback serves file
// systems without hard links.
//
// Between two roots that do not nest, only a regular file can be moved:
// it is copied to a destination created exclusively (O_EXCL), synced, and
// the source is removed after.
func (s *Server) moveFile(ctx context.Context, a moveArgs) (ironcurtain.Result, error) {
	roots := s.snapshot()
	src, err := resolve(roots, a.Source)
	if err != nil {
		return fail("move", a.Source, err), nil
	}
	dst, err := resolve(roots, a.Destination)
	if err != nil {
		return fail("move to", a.Destination, err), nil
	}
	if r, srcRel, dstRel, ok := commonRoot(roots, src, dst); ok {
		err = moveWithin(r.r, srcRel, dstRel)
	} else {
		err = moveAcross(ctx, src, dst, s.lim.maxWrite)
	}
	if err != nil {
		return failCall(ctx, "move", a.Source, err)
	}
	return ironcurtain.TextResult("Moved " + display(a.Source) + " to " + display(a.Destination)), nil
}

func moveWithin(r *os.Root, src, dst string) error {
	if src == "." {
		return errMoveRoot
	}
	if dst == "." {
		return errDestExists
	}
	fi, err := r.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		err := r.Link(src, dst)
		switch {
		case err == nil:
			if err := r.Remove(src); err != nil {
				r.Remove(dst) // undo: leave the file where it was
				return err
			}
			return nil
		case errors.Is(err, iofs.ErrExist):
			return errDestExists
		}
		// No hard links here (or not for this file): fall back to rename.
	}
	switch _, err := r.Lstat(dst); {
	case err == nil:
		return errDestExists
	case !errors.Is(err, iofs.ErrNotExist):
		return err
	}
	return r.Rename(src, dst)
}

func moveAcross(ctx context.Context, src, dst target, limit int64) error {
	if src.rel == "." {
		return errMoveRoot
	}
	fi, err := src.root.r.Lstat(src.rel)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New("only a regular file can be moved between two allowed directories")
	}
	in, sz, err := openRegular(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if sz > limit {
		return &limitError{what: "the file is " + size(sz), limit: writeLimit(limit),
			hint: "a move between two allowed directories copies the file"}
	}
	out, err := dst.root.r.OpenFile(dst.rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if errors.Is(err, iofs.ErrExist) {
		return errDestExists
	}
	if err != nil {
		return err
	}
	if err := copyFile(ctx, out, in, limit, fi.Mode().Perm()); err != nil {
		out.Close()
		dst.root.r.Remove(dst.rel)
		return err
	}
	return src.root.r.Remove(src.rel)
}

// copyFile copies in to out, at most limit bytes, sets out's permissions,
// syncs and closes it.
func copyFile(ctx context.Context, out, in *os.File, limit int64, perm iofs.FileMode) error {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := in.Read(buf)
		if n += int64(k); n > limit {
			return &limitError{what: "the file grew while it was copied", limit: writeLimit(limit)}
		}
		if _, werr := out.Write(buf[:k]); werr != nil {
			return werr
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if err := out.Chmod(perm); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}
