//go:build unix

package fs

import (
	"os"
	"syscall"
)

// openReadFlag opens without blocking, so that a FIFO swapped in for a file
// cannot hang the server in open(2); reads of regular files and directories
// are unaffected.
const openReadFlag = os.O_RDONLY | syscall.O_NONBLOCK
