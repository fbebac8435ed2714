//go:build unix

package git

import (
	"os/exec"
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
