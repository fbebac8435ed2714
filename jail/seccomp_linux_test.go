//go:build linux

package jail

import (
	"encoding/binary"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retNOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// filterVM runs the filter for p in x/net/bpf's interpreter.
type filterVM struct {
	t    *testing.T
	vm   *bpf.VM
	info *arch.Info
}

func newFilterVM(t *testing.T, p *plan) filterVM {
	t.Helper()
	if !seccompArch() {
		t.Skip("no seccomp filter for this architecture")
	}
	prog, err := buildFilter(p)
	require.NoError(t, err)
	vm, err := bpf.NewVM(prog)
	require.NoError(t, err)
	info, err := arch.GetInfo("")
	require.NoError(t, err)
	return filterVM{t, vm, info}
}

// run evaluates the call name(args...) made with the architecture
// auditArch (0: native) and returns the filter's action.
func (f filterVM) run(auditArch uint32, nr uint32, args ...uint64) uint32 {
	f.t.Helper()
	if auditArch == 0 {
		auditArch = uint32(f.info.ID)
	}
	// struct seccomp_data, laid out as a little-endian kernel does; the
	// interpreter reads 32-bit words big-endian, so each word is stored
	// that way at its little-endian offset.
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], nr)
	binary.BigEndian.PutUint32(data[4:], auditArch)
	for i, a := range args {
		binary.BigEndian.PutUint32(data[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[20+8*i:], uint32(a>>32))
	}
	ret, err := f.vm.Run(data)
	require.NoError(f.t, err)
	return uint32(ret)
}

func (f filterVM) nr(name string) uint32 {
	f.t.Helper()
	n, ok := f.info.SyscallNames[name]
	require.True(f.t, ok, name)
	return uint32(n)
}

func (f filterVM) call(name string, args ...uint64) uint32 {
	f.t.Helper()
	return f.run(0, f.nr(name), args...)
}

func TestFilterDenyList(t *testing.T) {
	f := newFilterVM(t, &plan{ABI: 7})
	for _, g := range denied {
		for _, name := range g.names {
			if _, ok := f.info.SyscallNames[name]; !ok {
				continue
			}
			require.Equal(t, retEPERM, f.call(name), "%s (%s)", name, g.why)
		}
	}
	for _, name := range []string{"read", "write", "openat", "execve", "mmap", "futex", "socketpair", "landlock_restrict_self", "seccomp"} {
		require.Equal(t, uint32(retAllow), f.call(name), name)
	}
	require.Equal(t, uint32(retAllow), f.call("truncate"), "Landlock handles truncate from ABI 3")
	require.Equal(t, retEPERM, newFilterVM(t, &plan{ABI: 2}).call("truncate"), "before ABI 3 the filter refuses it")
	require.Equal(t, uint32(retAllow), newFilterVM(t, &plan{ABI: 0}).call("truncate"), "without Landlock nothing restricts files anyway")
}

func TestFilterForeignArchitecture(t *testing.T) {
	f := newFilterVM(t, &plan{ABI: 7})
	// Every call of another architecture is refused, whatever its number
	// (a 32-bit int 0x80 call on amd64 would otherwise skip the rules).
	for _, a := range []uint32{unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_ARM, unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_AARCH64} {
		if a == uint32(f.info.ID) {
			continue
		}
		for _, nr := range []uint32{0, 1, 26, 101, 359} {
			require.Equal(t, retNOSYS, f.run(a, nr), "arch %#x nr %d", a, nr)
		}
	}
	if f.info.ID == arch.X86_64.ID {
		// x32 calls carry the native arch with bit 30 set in the number.
		require.Equal(t, retNOSYS, f.run(0, f.nr("read")|0x40000000))
	}
}

func TestFilterArguments(t *testing.T) {
	f := newFilterVM(t, &plan{ABI: 7})
	tests := []struct {
		name string
		call string
		args []uint64
		want uint32
	}{
		{"TIOCSTI", "ioctl", []uint64{0, tiocsti}, retEPERM},
		{"TIOCSTI with high bits", "ioctl", []uint64{0, 1<<32 | tiocsti}, retEPERM},
		{"TIOCLINUX", "ioctl", []uint64{0, tioclinux}, retEPERM},
		{"FIONREAD (TIOCINQ)", "ioctl", []uint64{0, unix.TIOCINQ}, retAllow},
		{"TCGETS", "ioctl", []uint64{0, unix.TCGETS}, retAllow},
		{"thread clone", "clone", []uint64{unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD}, retAllow},
		{"fork clone", "clone", []uint64{uint64(unix.SIGCHLD)}, retAllow},
		{"clone into a user namespace", "clone", []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}, retEPERM},
		{"clone into a network namespace", "clone", []uint64{unix.CLONE_NEWNET}, retEPERM},
		{"clone3", "clone3", []uint64{0, 88}, retNOSYS},
		{"personality default", "personality", []uint64{0}, retAllow},
		{"personality query", "personality", []uint64{0xffffffff}, retAllow},
		{"personality no ASLR", "personality", []uint64{0x0040000}, retEPERM},
		{"personality read-implies-exec", "personality", []uint64{0x0400000}, retEPERM},
		{"personality high bits", "personality", []uint64{1 << 32}, retEPERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, f.call(tt.call, tt.args...))
		})
	}
}

func TestFilterSockets(t *testing.T) {
	const (
		stream = unix.SOCK_STREAM | unix.SOCK_CLOEXEC | unix.SOCK_NONBLOCK
		dgram  = unix.SOCK_DGRAM | unix.SOCK_CLOEXEC
	)
	type sock struct {
		name                   string
		family, typ, protocol  uint64
		none, unixOnly, netted uint32 // results without grants, with UnixSockets, with a port
	}
	socks := []sock{
		{"tcp", unix.AF_INET, stream, 0, retEPERM, retEPERM, retAllow},
		{"tcp explicit", unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP, retEPERM, retEPERM, retAllow},
		{"tcp6", unix.AF_INET6, unix.SOCK_STREAM, 0, retEPERM, retEPERM, retAllow},
		{"udp", unix.AF_INET, dgram, 0, retEPERM, retEPERM, retAllow},
		{"udp6", unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDP, retEPERM, retEPERM, retAllow},
		{"unix", unix.AF_UNIX, unix.SOCK_STREAM, 0, retEPERM, retAllow, retEPERM},
		{"unix datagram", unix.AF_UNIX, unix.SOCK_DGRAM, 0, retEPERM, retAllow, retEPERM},
		{"mptcp", unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP, retEPERM, retEPERM, retEPERM},
		{"sctp", unix.AF_INET, unix.SOCK_SEQPACKET, 0, retEPERM, retEPERM, retEPERM},
		{"icmp", unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP, retEPERM, retEPERM, retEPERM},
		{"icmp6", unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_ICMPV6, retEPERM, retEPERM, retEPERM},
		{"raw", unix.AF_INET, unix.SOCK_RAW, 0, retEPERM, retEPERM, retEPERM},
		{"packet", unix.AF_PACKET, unix.SOCK_RAW, 0, retEPERM, retEPERM, retEPERM},
		{"netlink", unix.AF_NETLINK, unix.SOCK_RAW, 0, retEPERM, retEPERM, retEPERM},
		{"vsock", unix.AF_VSOCK, unix.SOCK_STREAM, 0, retEPERM, retEPERM, retEPERM},
		{"alg", unix.AF_ALG, unix.SOCK_SEQPACKET, 0, retEPERM, retEPERM, retEPERM},
		// Junk in the high bits of an int argument is refused, never
		// mistaken for a granted value.
		{"family high bits", 1<<32 | unix.AF_INET, unix.SOCK_STREAM, 0, retEPERM, retEPERM, retEPERM},
		{"protocol high bits", unix.AF_INET, unix.SOCK_STREAM, 1<<32 | unix.IPPROTO_MPTCP, retEPERM, retEPERM, retEPERM},
		{"type high bits", unix.AF_INET, 1<<32 | unix.SOCK_RAW, 0, retEPERM, retEPERM, retEPERM},
	}
	none := newFilterVM(t, &plan{ABI: 7})
	unixOnly := newFilterVM(t, &plan{ABI: 7, Unix: true})
	netted := newFilterVM(t, &plan{ABI: 7, Connect: []uint16{443}})
	for _, s := range socks {
		t.Run(s.name, func(t *testing.T) {
			require.Equal(t, s.none, none.call("socket", s.family, s.typ, s.protocol), "no grant")
			require.Equal(t, s.unixOnly, unixOnly.call("socket", s.family, s.typ, s.protocol), "UnixSockets")
			require.Equal(t, s.netted, netted.call("socket", s.family, s.typ, s.protocol), "ConnectTCP")
		})
	}
}
