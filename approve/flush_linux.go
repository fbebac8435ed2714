//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x)

package approve

import (
	"os"
	"syscall"
)

// flushInput discards what was typed on the terminal but not yet read, so
// that typeahead never answers a prompt. It does nothing to a file that is
// not a terminal. It goes through SyscallConn, not Fd, to leave the file in
// non-blocking mode, so that Close still ends a read in progress.
func flushInput(f *os.File) {
	const (
		tcflsh   = 0x540B // TCFLSH on architectures with the generic ioctl numbers
		tciflush = 0
	)
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, fd, tcflsh, tciflush)
	})
}
