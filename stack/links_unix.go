//go:build unix

package stack

import (
	"os"
	"syscall"
)

// links returns how many names (hard links) the regular file at p has, 0
// when it does not exist, is not a regular file (a directory's count is
// that of its subdirectories), or the system does not say.
func links(p string) uint64 {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
