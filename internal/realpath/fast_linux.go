//go:build linux

package realpath

import (
	"errors"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// isCanonical reports whether the clean absolute path p is already
// canonical: every existing component is a real directory or file (no
// symlink anywhere, including the last component), and at most the last
// component is missing. It lets the kernel walk the path once instead of
// examining it component by component. Any doubt — an error, no support —
// answers false, and the caller walks component by component.
func isCanonical(p string) bool {
	switch reached(p) {
	case reachSame:
		return true
	case reachMissing:
		// The last component does not exist (a dangling symlink would have
		// been reported as a symlink, not as missing); the parent must be
		// canonical and a directory.
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

// noOpenat2 is set once openat2 turned out to be missing (Linux < 5.6, or
// a seccomp profile that refuses it).
var noOpenat2 atomic.Bool

// reached asks the kernel whether p resolves without following any
// symlink: openat2 with RESOLVE_NO_SYMLINKS fails with ELOOP as soon as a
// component — the last one included — is a symlink. Without openat2 it
// opens p with O_PATH|O_NOFOLLOW and compares the path the kernel reached
// (/proc/self/fd) with p.
func reached(p string) reach {
	if !noOpenat2.Load() {
		fd, err := openat2NoSymlinks(p)
		switch {
		case err == nil:
			syscall.Close(fd)
			return reachSame
		case errors.Is(err, syscall.ENOENT):
			return reachMissing
		case errors.Is(err, syscall.ENOSYS):
			noOpenat2.Store(true)
		default:
			return reachOther // ELOOP (a symlink), EACCES, ENOTDIR...
		}
	}
	return reachedProc(p)
}

// openHow is struct open_how of openat2(2).
type openHow struct {
	flags, mode, resolve uint64
}

const (
	sysOpenat2        = 437 // the same number on every architecture
	resolveNoSymlinks = 0x04
)

// atFdcwd is AT_FDCWD (-100) as the system call takes it.
var atFdcwd = -100

func openat2NoSymlinks(p string) (int, error) {
	path, err := syscall.BytePtrFromString(p)
	if err != nil {
		return -1, err
	}
	how := openHow{flags: oPath | syscall.O_CLOEXEC, resolve: resolveNoSymlinks}
	for {
		fd, _, errno := syscall.Syscall6(sysOpenat2, uintptr(atFdcwd), uintptr(unsafe.Pointer(path)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch errno {
		case 0:
			return int(fd), nil
		case syscall.EINTR:
			continue
		}
		return -1, errno
	}
}

// reachedProc is the fallback without openat2.
func reachedProc(p string) reach {
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
