//go:build !unix

package realpath

import (
	"errors"
	"io/fs"
	"os"
)

func lstat(p string) (kind, error) {
	fi, err := os.Lstat(p)
	switch {
	case err == nil:
		if fi.Mode()&fs.ModeSymlink != 0 {
			return kindSymlink, nil
		}
		return kindOther, nil
	case errors.Is(err, fs.ErrNotExist):
		return kindMissing, nil
	}
	return kindOther, err
}

func readlink(p string) (string, error) { return os.Readlink(p) }
