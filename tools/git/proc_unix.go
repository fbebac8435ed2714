//go:build unix

package git

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// canRunAs: Options.RunAs is supported.
const canRunAs = true

// configureProcess starts git in a process group of its own, so that a
// time limit kills every helper git started (remote helpers, ssh, the
// credential client), not only git; and as runAs, when set, with no
// supplementary groups.
func configureProcess(cmd *exec.Cmd, runAs *User) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if runAs != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(runAs.UID), Gid: uint32(runAs.GID), Groups: []uint32{}}
	}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// unsearchable returns the first directory on the way to dir (dir
// included) that u, with no supplementary groups, may not search, or ""
// when u reaches dir.
func unsearchable(dir string, u *User) string {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return d
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return d
		}
		perm := fi.Mode().Perm()
		switch {
		case int(st.Uid) == u.UID:
			perm &= 0o100
		case int(st.Gid) == u.GID:
			perm &= 0o010
		default:
			perm &= 0o001
		}
		if perm == 0 {
			return d
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}
