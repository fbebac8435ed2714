//go:build unix

package realpath

import (
	"errors"
	"syscall"
)

// lstat classifies one location. A location that does not exist, or whose
// parent is not a directory, is missing: it will be created, or the
// operation will fail, and either way it leads nowhere else.
func lstat(p string) (kind, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(p, &st)
		switch {
		case err == nil:
			if st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
				return kindSymlink, nil
			}
			return kindOther, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR):
			return kindMissing, nil
		}
		return kindOther, err
	}
}

func readlink(p string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := syscall.Readlink(p, buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		if len(buf) >= MaxPath {
			return "", ErrTooLong
		}
		buf = make([]byte, 2*len(buf))
	}
}
