//go:build linux

package jail

import (
	"runtime"
	"sync"

	seccomp "github.com/elastic/go-seccomp-bpf"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// detect reports what the running kernel supports. It is asked once.
func detect() kernel { return detected() }

var detected = sync.OnceValue(func() kernel {
	var k kernel
	if v, err := llsys.LandlockGetABIVersion(); err == nil && v > 0 {
		k.abi = v
	}
	k.seccomp = seccompArch() && seccomp.Supported()
	return k
})

// seccompArch reports an architecture the filter is written for: one the
// filter library has system-call tables for, little-endian (the filter
// reads argument words at little-endian offsets).
func seccompArch() bool {
	switch runtime.GOARCH {
	case "amd64", "arm64", "386", "arm":
		return true
	}
	return false
}
