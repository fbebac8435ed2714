//go:build linux

package jail

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// The launcher is this package's own program mode. Go cannot run code
// between fork and exec, so [Command] starts the running binary again
// (/proc/self/exe) with launcherArg as its only argument; the init
// function below notices it before main runs, applies the sandbox to the
// process, and replaces the process with the program. Any binary that
// can call Command links this package, so it always has the hook; there
// is nothing for main or TestMain to call.
const (
	// planFD carries the plan (a sealed memory file); statusFD is the
	// write end of the parent's status pipe.
	planFD   = 3
	statusFD = 4
	// Exit statuses of a launcher that did not run the program: the
	// sandbox could not be applied, or the program could not be executed.
	exitApply = 126
	exitExec  = 127
)

func init() {
	if len(os.Args) == 2 && os.Args[1] == launcherArg {
		launch()
	}
	if len(os.Args) >= 2 && os.Args[1] == probeArg {
		nsProbe()
	}
}

// launch applies the plan and execs the program; it never returns.
func launch() {
	// Credentials, no_new_privs and the exec below are per thread: keep
	// all of them on this one.
	runtime.LockOSThread()
	status := os.NewFile(statusFD, "jail-status")
	if _, err := unix.FcntlInt(statusFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		status = nil // not started by Command: report on stderr only
	}
	p, err := readPlan()
	if err == nil {
		err = apply(p)
	}
	if err != nil {
		fail(status, statusFailed, exitApply, "the sandbox could not be applied, the program was not run: "+err.Error())
	}
	if status != nil {
		_, _ = status.Write([]byte{statusApplied})
	}
	err = syscall.Exec(p.Path, p.Args, os.Environ())
	fail(status, 0, exitExec, fmt.Sprintf("executing %s: %v", p.Path, err))
}

// fail reports msg on the status pipe (after tag, when not 0) and on
// standard error, and exits with code.
func fail(status *os.File, tag byte, code int, msg string) {
	if status != nil {
		b := []byte(msg)
		if tag != 0 {
			b = append([]byte{tag}, b...)
		}
		_, _ = status.Write(b)
	}
	fmt.Fprintln(os.Stderr, "ironcurtain jail:", msg)
	os.Exit(code)
}

// readPlan reads and closes the inherited plan.
func readPlan() (*plan, error) {
	if _, err := unix.FcntlInt(planFD, unix.F_GETFD, 0); err != nil {
		return nil, errors.New("no plan: the launcher was not started by jail.Command")
	}
	f := os.NewFile(planFD, "jail-plan")
	defer f.Close()
	return decodePlan(f)
}

// apply puts the sandbox in place, in order: the private root (with
// socket or host grants), the network (with host grants), no_new_privs (nothing the
// program executes can gain privileges), capabilities dropped, Landlock,
// and the seccomp filter last (so that setting up the others needs no
// call it refuses).
func apply(p *plan) error {
	if p.Confine {
		// First, while the launcher holds its user namespace's
		// capabilities and before Landlock, which forbids mounting.
		if err := confine(p); err != nil {
			return err
		}
	}
	if p.Net {
		// Still with the user namespace's capabilities: to configure
		// loopback and to listen on privileged ports.
		fds, err := setupNetwork(p)
		if err != nil {
			return err
		}
		if err := sendListeners(fds); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := dropCapabilities(); err != nil {
		return err
	}
	if err := applyLandlock(p); err != nil {
		return err
	}
	if !p.Seccomp {
		return nil
	}
	prog, err := buildFilter(p)
	if err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	return loadFilter(prog)
}

// dropCapabilities leaves the program no capability, also when it runs as
// root (a tool server in a container often does): ambient set cleared,
// bounding set emptied, the thread's own sets cleared. Without privileges
// there is nothing to drop, and no_new_privs already keeps file
// capabilities from being granted by exec. Root that cannot empty its
// bounding set (no CAP_SETPCAP) would regain capabilities at exec, so that
// is an error.
func dropCapabilities() error {
	_ = unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	kept := 0
	for c := uintptr(0); ; c++ {
		// Reading needs no privilege and fails past the last capability;
		// dropping checks privilege first, so it cannot end the loop.
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, c, 0, 0, 0)
		if err != nil {
			break
		}
		if in == 1 && unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0) != nil {
			kept++
		}
	}
	if kept > 0 && os.Geteuid() == 0 {
		return fmt.Errorf("capabilities: %d could not be dropped from the bounding set", kept)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	return nil
}
