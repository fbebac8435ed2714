//go:build unix

package proxy

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the child in a process group of its own, so that
// killing it also kills what it spawned, and a terminal's Ctrl-C reaches the
// proxy, which then stops its children in order.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the child's whole process group.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}
