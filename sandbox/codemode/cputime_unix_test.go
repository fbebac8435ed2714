//go:build unix

package codemode

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far, to report
// benchmark costs that do not depend on how busy the machine is.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
