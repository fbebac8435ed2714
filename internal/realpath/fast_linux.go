//go:build linux

package realpath

import (
	"errors"
	"strconv"
	"syscall"
)

// isCanonical reports whether the clean absolute path p is already
// canonical: every existing component is a real directory or file (no
// symlink anywhere, including the last component), and at most the last
// component is missing. It answers in a handful of system calls whatever
// the depth, by letting the kernel walk the path once (open with O_PATH)
// and reading back the path it reached. Any doubt — an error, a difference,
// no /proc — answers false, and the caller walks component by component.
func isCanonical(p string) bool {
	switch reached(p) {
	case reachSame:
		return true
	case reachMissing:
		// The last component does not exist (with O_NOFOLLOW a dangling
		// symlink would have been opened, not reported missing); the
		// parent must be canonical and a directory.
		i := lastSlash(p)
		if i <= 0 {
			return false
		}
		return reached(p[:i]) == reachSame
	}
	return false
}

type reach uint8

const (
	reachOther reach = iota
	reachSame
	reachMissing
)

func reached(p string) reach {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(p, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return reachMissing
		}
		return reachOther
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		return reachOther
	}
	var name [32]byte
	proc := append(append(name[:0], "/proc/self/fd/"...), strconv.Itoa(fd)...)
	var buf [MaxPath]byte
	n, err := syscall.Readlink(string(proc), buf[:])
	if err != nil || n != len(p) || string(buf[:n]) != p {
		return reachOther
	}
	return reachSame
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}

// oPath is O_PATH, which package syscall does not define; its value is the
// same on every architecture Go supports on Linux.
const oPath = 0x200000
