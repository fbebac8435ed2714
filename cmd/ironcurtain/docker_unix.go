//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// ownedAndReachable reports whether dir belongs to uid, and whether uid:gid
// (with no other groups) may search every directory on the way to it.
func ownedAndReachable(dir string, uid, gid int) (owned, reachable bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, false
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return false, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != uid {
		return false, false
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return true, false
		}
		st := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		switch {
		case int(st.Uid) == uid:
			perm &= 0o100
		case int(st.Gid) == gid:
			perm &= 0o010
		default:
			perm &= 0o001
		}
		if perm == 0 {
			return true, false
		}
		if d == filepath.Dir(d) {
			return true, true
		}
	}
}
