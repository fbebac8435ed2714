//go:build linux

package jail

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runProbe performs the actions in args, each a verb and its operands
// joined by ":" ("read:/path"), and returns "ok", the errno's name
// ("EACCES") or "err: <text>" for each. It is the test server program:
// it tries to escape, and the tests check that each attempt fails.
func runProbe(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		verb, operand, _ := strings.Cut(a, ":")
		out = append(out, result(probe(verb, operand)))
	}
	return out
}

// probeOK marks a probe whose success is itself the result (caps, env).
type probeOK string

func (p probeOK) Error() string { return string(p) }

func result(err error) string {
	var ok probeOK
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ok):
		return string(ok)
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return "err: " + err.Error()
}

func probe(verb, x string) error {
	switch verb {
	case "read":
		_, err := os.ReadFile(x)
		return err
	case "list":
		_, err := os.ReadDir(x)
		return err
	case "write":
		return os.WriteFile(x, []byte("escaped"), 0o600)
	case "truncate":
		return syscall.Truncate(x, 0)
	case "link":
		from, to, _ := strings.Cut(x, ">")
		return os.Link(from, to)
	case "rename":
		from, to, _ := strings.Cut(x, ">")
		return os.Rename(from, to)
	case "remove":
		return syscall.Unlink(x)
	case "rmdir":
		return syscall.Rmdir(x)
	case "chmod":
		return syscall.Chmod(x, 0o644)
	case "symlink-read":
		from, to, _ := strings.Cut(x, ">")
		if err := os.Symlink(from, to); err != nil {
			return err
		}
		_, err := os.ReadFile(to)
		return err
	case "connect":
		return closed(net.DialTimeout("tcp", x, 5*time.Second))
	case "hello":
		// Connect and return the server's first line: which server
		// answered.
		c, err := net.DialTimeout("tcp", x, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 64)
		n, err := c.Read(b)
		if err != nil {
			return err
		}
		return probeOK(strings.TrimSpace(string(b[:n])))
	case "listen":
		return closed(net.Listen("tcp", x))
	case "udp":
		c, err := net.Dial("udp", x)
		if err == nil {
			_, err = c.Write([]byte("escaped"))
			c.Close()
		}
		return err
	case "unix":
		return closed(net.Dial("unix", x))
	case "socket":
		return socket(x)
	case "socketpair":
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err == nil {
			syscall.Close(fds[0])
			syscall.Close(fds[1])
		}
		return err
	case "ptrace":
		return errno(unix.RawSyscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0))
	case "unshare":
		return errno(unix.RawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWUSER, 0, 0))
	case "mount":
		return unix.Mount("none", x, "tmpfs", 0, "")
	case "tiocsti":
		// The high bit must not hide the request from the filter.
		c := byte('x')
		req := uint64(1)<<32 | unix.TIOCSTI
		return errno(unix.Syscall(unix.SYS_IOCTL, 0, uintptr(req), uintptr(unsafe.Pointer(&c))))
	case "keyctl":
		return errno(unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, uintptr(0xfffffffd), 0))
	case "bpf":
		return errno(unix.Syscall(unix.SYS_BPF, 0, 0, 0))
	case "io_uring":
		return errno(unix.Syscall(unix.SYS_IO_URING_SETUP, 1, 0, 0))
	case "kill-parent":
		return syscall.Kill(os.Getppid(), 0)
	case "exec":
		return exec.Command(x).Run()
	case "caps":
		return caps()
	case "env":
		env := os.Environ()
		sort.Strings(env)
		return probeOK(strings.Join(env, " "))
	case "open-sockets":
		// The sockets the program holds from the start: the launcher's
		// must all be closed.
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return err
		}
		n := 0
		for _, e := range ents {
			if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
				n++
			}
		}
		return probeOK(strconv.Itoa(n))
	}
	return errors.New("unknown probe " + verb)
}

func errno(_, _ uintptr, e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// socket opens a socket of the kind named: inet, unix, mptcp, icmp, raw,
// packet, netlink.
func socket(kind string) error {
	args := map[string][3]int{
		"inet":    {unix.AF_INET, unix.SOCK_STREAM, 0},
		"unix":    {unix.AF_UNIX, unix.SOCK_STREAM, 0},
		"mptcp":   {unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP},
		"sctp":    {unix.AF_INET, unix.SOCK_SEQPACKET, 0},
		"icmp":    {unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP},
		"raw":     {unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW},
		"packet":  {unix.AF_PACKET, unix.SOCK_RAW, 0},
		"netlink": {unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE},
	}[kind]
	fd, err := unix.Socket(args[0], args[1], args[2])
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// caps reports the effective and bounding capability sets.
func caps() error {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	var eff, bnd string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			eff = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			bnd = strings.TrimSpace(v)
		}
	}
	return probeOK("eff=" + eff + " bnd=" + bnd)
}

// closed closes what a probe opened, when it did, and returns whether it
// could: the probe's outcome.
func closed(c io.Closer, err error) error {
	if err == nil {
		c.Close()
	}
	return err
}
