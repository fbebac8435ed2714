//go:build !unix

package fs

import "os"

// openReadFlag is a plain read-only open where O_NONBLOCK does not exist.
const openReadFlag = os.O_RDONLY
