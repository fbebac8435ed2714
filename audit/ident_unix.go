//go:build unix

package audit

import (
	"os"
	"syscall"
)

// openFlags open the log without blocking on a FIFO put at its path: Open
// refuses anything but a regular file before it reads a byte.
const openFlags = os.O_RDWR | os.O_CREATE | os.O_APPEND | syscall.O_NONBLOCK

// fileID is the identity of a file: its device and inode.
type fileID struct{ dev, ino uint64 }

// fileState is what the checks before each record compare.
type fileState struct {
	id      fileID
	links   uint64 // 0 where the system does not say
	size    int64
	regular bool
}

func stateOf(st *syscall.Stat_t) fileState {
	return fileState{
		// The field types differ between systems (Dev is int32 on some,
		// Nlink uint16): convert them all.
		id:      fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)},
		links:   uint64(st.Nlink),
		size:    st.Size,
		regular: st.Mode&syscall.S_IFMT == syscall.S_IFREG,
	}
}

// fdState is fstat(2) of the open log.
func fdState(f *os.File) (fileState, error) {
	var st syscall.Stat_t
	// Fd is cheap once the file is in blocking mode, which a regular file
	// always is; the Log holds f, so the descriptor stays its own.
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return fileState{}, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return stateOf(&st), nil
}

// pathState is stat(2) of a path, following symlinks.
func pathState(p string) (fileState, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return fileState{}, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	return stateOf(&st), nil
}

func (a fileID) same(b fileID) bool { return a == b }
