package main

import "syscall"

// notDumpable marks the bridge non-dumpable: a process of the same user
// without CAP_SYS_PTRACE, such as the agent, can then neither ptrace it nor
// read its memory or /proc files. The flag does not pass to the agent,
// since exec resets it.
func notDumpable() {
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0)
}
