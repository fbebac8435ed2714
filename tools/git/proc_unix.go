//go:build unix

package git

import (
	"os/exec"
	"syscall"
)

// configureProcess starts git in a process group of its own, so that a
// time limit kills every helper git started (remote helpers, ssh, the
// credential client), not only git.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}
