//go:build linux

package jail

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The filter answers EPERM to the system calls a tool server never needs,
// so that a tool sees an ordinary error rather than being killed. It is
// built with go-seccomp-bpf's system-call tables and assembler; three
// checks the library does not make come first:
//
//   - a system call of another architecture (a 32-bit int 0x80 call on
//     amd64, an arm32 call on arm64) gets ENOSYS, whatever its number —
//     the library lets such calls through to its default action, which
//     would bypass every rule below;
//   - ioctl(TIOCSTI) and ioctl(TIOCLINUX), which push keystrokes into a
//     terminal the program inherited, are compared on the low 32 bits of
//     the request, as the kernel reads it (a comparison of all 64 bits is
//     bypassed by setting the high ones);
//   - socket(2) only for the families and protocols the policy grants.
//
// Every other conditional rule is written so that junk in the high 32
// bits of an int argument makes it match, i.e. denies.

// denied are the unconditionally refused system calls, by purpose. Names
// missing from an architecture's table (iopl on arm64) are skipped.
var denied = []struct {
	why   string
	names []string
}{
	{"tracing and reading other processes",
		[]string{"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd", "fanotify_init"}},
	{"loading kernel modules and replacing the kernel",
		[]string{"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"}},
	{"kernel keyrings, shared with the user's other processes",
		[]string{"add_key", "request_key", "keyctl"}},
	{"mounts, namespaces and changing the root",
		[]string{"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr",
			"move_mount", "open_tree", "open_tree_attr", "fsopen", "fsconfig", "fsmount", "fspick"}},
	{"kernel attack surface: eBPF, perf events, userfaultfd, and io_uring, whose operations this filter cannot see",
		[]string{"bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register"}},
	{"opening files by handle, around path checks",
		[]string{"open_by_handle_at", "name_to_handle_at"}},
	{"System V IPC, shared with every process of the user",
		[]string{"shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl", "ipc"}},
	{"administering the machine: swap, reboot, clocks, host name, accounting, quotas, kernel log, I/O ports",
		[]string{"swapon", "swapoff", "reboot", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
			"sethostname", "setdomainname", "acct", "quotactl", "quotactl_fd", "vhangup", "syslog",
			"lookup_dcookie", "nfsservctl", "_sysctl", "uselib", "iopl", "ioperm"}},
}

// Constants the filter compares with; the same on every supported
// architecture.
const (
	tiocsti   = 0x5412
	tioclinux = 0x541c
	// nsFlags are clone's CLONE_NEW* flags (CLONE_NEWTIME exists only in
	// clone3, which is refused as a whole).
	nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
		unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET
)

// personalities are the personality(2) arguments allowed: the default
// Linux one, 32-bit, uname-2.6, both, and the query.
var personalities = []uint64{0, 0x8, 0x20000, 0x20008, 0xffffffff}

// errnoAction returns the action that fails a call with errno e.
func errnoAction(e unix.Errno) seccomp.Action {
	return seccomp.ActionErrno | seccomp.Action(e)
}

// buildFilter returns the filter for p on this architecture.
func buildFilter(p *plan) ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, err
	}
	has := func(n string) bool { _, ok := info.SyscallNames[n]; return ok }
	present := func(names []string) []string {
		var out []string
		for _, n := range names {
			if has(n) {
				out = append(out, n)
			}
		}
		return out
	}

	deny := seccomp.SyscallGroup{Action: errnoAction(unix.EPERM)}
	for _, g := range denied {
		deny.Names = append(deny.Names, present(g.names)...)
	}
	if p.ABI > 0 && p.ABI < 3 {
		// Landlock restricts truncate(2) from ABI 3 on; before, refuse the
		// path-based call (ftruncate on a file opened for writing stays).
		deny.Names = append(deny.Names, "truncate")
	}
	var personality []seccomp.Condition
	for _, v := range personalities {
		personality = append(personality, seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: v})
	}
	deny.NamesWithCondtions = append(deny.NamesWithCondtions,
		seccomp.NameWithConditions{Name: "personality", Conditions: personality},
		seccomp.NameWithConditions{Name: "clone", Conditions: []seccomp.Condition{
			{Argument: 0, Operation: seccomp.BitsSet, Value: nsFlags}}},
	)
	if p.network() || p.Unix {
		deny.NamesWithCondtions = append(deny.NamesWithCondtions, socketRules(p)...)
	} else {
		deny.Names = append(deny.Names, "socket")
	}
	if has("socketcall") {
		// 32-bit x86 multiplexes sockets through socketcall, whose
		// arguments the filter cannot read.
		deny.Names = append(deny.Names, "socketcall")
	}

	groups := []seccomp.SyscallGroup{deny}
	if has("clone3") {
		// clone3 passes its flags in memory, out of the filter's sight.
		// ENOSYS makes the C library fall back to clone, checked above.
		groups = append(groups, seccomp.SyscallGroup{Action: errnoAction(unix.ENOSYS), Names: []string{"clone3"}})
	}
	pol := seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: groups}
	body, err := pol.Assemble()
	if err != nil {
		return nil, err
	}
	ioctl, ok := info.SyscallNames["ioctl"]
	if !ok {
		return nil, errors.New("no ioctl in the system-call table")
	}
	return append(prologue(uint32(info.ID), uint32(ioctl)|uint32(info.SeccompMask)), body...), nil
}

// socketRules deny socket(2) calls outside the grant: a family other
// than AF_UNIX (with UnixSockets) and AF_INET/AF_INET6 (with a port); for
// the Internet families, a type other than stream or datagram (no raw,
// packet or SCTP sockets) and a protocol other than TCP or UDP (no
// MPTCP, whose connections Landlock does not see, no ICMP).
func socketRules(p *plan) []seccomp.NameWithConditions {
	var families []uint64
	if p.Unix {
		families = append(families, unix.AF_UNIX)
	}
	if p.network() {
		families = append(families, unix.AF_INET, unix.AF_INET6)
	}
	var other []seccomp.Condition
	for _, f := range families {
		other = append(other, seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: f})
	}
	rules := []seccomp.NameWithConditions{{Name: "socket", Conditions: other}}
	if !p.network() {
		return rules
	}
	for _, f := range []uint64{unix.AF_INET, unix.AF_INET6} {
		family := seccomp.Condition{Argument: 0, Operation: seccomp.Equal, Value: f}
		types := []seccomp.Condition{family}
		for _, t := range []uint64{unix.SOCK_STREAM, unix.SOCK_DGRAM} {
			for _, fl := range []uint64{0, unix.SOCK_NONBLOCK, unix.SOCK_CLOEXEC, unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC} {
				types = append(types, seccomp.Condition{Argument: 1, Operation: seccomp.NotEqual, Value: t | fl})
			}
		}
		protocols := []seccomp.Condition{family}
		for _, pr := range []uint64{0, unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
			protocols = append(protocols, seccomp.Condition{Argument: 2, Operation: seccomp.NotEqual, Value: pr})
		}
		rules = append(rules,
			seccomp.NameWithConditions{Name: "socket", Conditions: types},
			seccomp.NameWithConditions{Name: "socket", Conditions: protocols})
	}
	return rules
}

// prologue checks the architecture and the terminal ioctls before the
// library's program runs:
//
//	0: A = arch
//	1: if A == native goto 3
//	2: return ENOSYS
//	3: A = nr
//	4: if A != ioctl goto 9
//	5: A = low 32 bits of argument 1
//	6: if A == TIOCSTI goto 8
//	7: if A != TIOCLINUX goto 9
//	8: return EPERM
//	9: (the library's program)
func prologue(archID, ioctlNr uint32) []bpf.Instruction {
	const (
		nrOff   = 0
		archOff = 4
		arg1Lo  = 16 + 8*1 // little-endian: the low word comes first
	)
	ret := func(e unix.Errno) bpf.Instruction {
		return bpf.RetConstant{Val: uint32(seccomp.ActionErrno) | uint32(e)}
	}
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: archOff, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: archID, SkipTrue: 1},
		ret(unix.ENOSYS),
		bpf.LoadAbsolute{Off: nrOff, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ioctlNr, SkipFalse: 4},
		bpf.LoadAbsolute{Off: arg1Lo, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: tiocsti, SkipTrue: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: tioclinux, SkipFalse: 1},
		ret(unix.EPERM),
	}
}

// loadFilter installs the filter on every thread of the process. The
// caller has set no_new_privs.
func loadFilter(insts []bpf.Instruction) error {
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return fmt.Errorf("assembling the seccomp filter: %w", err)
	}
	if len(raw) > 4096 {
		return fmt.Errorf("seccomp filter of %d instructions is too long", len(raw))
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return fmt.Errorf("installing the seccomp filter: %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("installing the seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}
