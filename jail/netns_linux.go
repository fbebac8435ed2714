//go:build linux

package jail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Confinement to granted hosts. Landlock matches TCP ports, not hosts,
// and before ABI 10 cannot restrict UDP. A Cmd whose Policy has Connect
// therefore starts the launcher in a network namespace of its own as well
// as the user and mount namespaces of confine_linux.go: only a loopback
// device, no route anywhere. The launcher, before Landlock, brings
// loopback up, gives it the address of every granted host (a loopback
// address per name, the address itself for an IP literal), writes the
// private root's /etc/hosts (the granted names, nothing else) and
// /etc/resolv.conf (no reachable name server), listens on every granted
// address and port, and passes the listening sockets to the parent over
// netFD. A socket stays in the namespace it was made in, so the parent
// accepts connections made inside the jail and makes each one itself to
// the granted host (forward.go). Everything else — other hosts by name
// or by address, IPv6, UDP, DNS — has nowhere to go.

// netFD is the launcher's end of the socketpair the listening sockets
// are passed over.
const netFD = 5

// netFlags is the namespace a launcher with host grants starts in besides
// confineFlags.
const netFlags = unix.CLONE_NEWNET

// nsID identifies this process's namespace of a kind ("mnt", "net").
func nsID(kind string) ([2]uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/"+kind, &st); err != nil {
		return [2]uint64{}, err
	}
	return [2]uint64{st.Dev, st.Ino}, nil
}

// netnsWork reports whether a jail with host grants can be started here:
// it starts the probe once in the namespaces such a launcher gets, and
// the probe builds the private root and the network as the launcher
// would, for one host.
var netnsWork = sync.OnceValue(func() bool {
	mnt, err1 := nsID("mnt")
	net, err2 := nsID("net")
	if err1 != nil || err2 != nil {
		return false
	}
	args := []string{probeArg}
	for _, v := range []uint64{mnt[0], mnt[1], net[0], net[1]} {
		args = append(args, strconv.FormatUint(v, 10))
	}
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Env = []string{}
	cmd.SysProcAttr = applyNamespaces(nil)
	cmd.SysProcAttr.Cloneflags |= netFlags
	return cmd.Run() == nil
})

// probeHosts is what the network probe grants.
var probeHosts = []planHost{{Name: "probe.invalid", Addr: "127.1.0.1", Ports: []uint16{443}}}

// setupNetwork makes the jail's network: loopback up with the granted
// addresses, and a listening socket on every granted address and port,
// returned in the plan's order. It refuses to run in the parent's network
// namespace.
func setupNetwork(p *plan) (fds []int, err error) {
	ns, err := nsID("net")
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	if ns == p.ParentNet {
		return nil, errors.New("network: the launcher runs in its parent's network namespace (were SysProcAttr's clone flags removed?)")
	}
	index, err := loopbackUp()
	if err != nil {
		return nil, fmt.Errorf("network: loopback: %w", err)
	}
	defer func() {
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			fds = nil
		}
	}()
	for _, h := range p.Hosts {
		a, err := netip.ParseAddr(h.Addr)
		if err != nil {
			return fds, fmt.Errorf("network: %w", err)
		}
		// 127.0.0.1 and ::1 are loopback's already. Every other address is
		// added, so that the C library's AI_ADDRCONFIG, which ignores
		// those two, sees an IPv4 address and resolves names.
		if a != netip.MustParseAddr("127.0.0.1") && a != netip.IPv6Loopback() {
			if err := addAddress(index, a); err != nil {
				return fds, fmt.Errorf("network: adding %s: %w", a, err)
			}
		}
		for _, port := range h.Ports {
			fd, err := listenAt(netip.AddrPortFrom(a, port))
			if err != nil {
				return fds, fmt.Errorf("network: listening on %s: %w", netip.AddrPortFrom(a, port), err)
			}
			fds = append(fds, fd)
		}
	}
	return fds, nil
}

// loopbackUp brings the loopback device up and returns its index.
func loopbackUp() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return 0, err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

// addAddress gives the device index the host address a (RTM_NEWADDR over
// route netlink; an IPv6 address without duplicate detection, so that it
// can be bound at once).
func addAddress(index int, a netip.Addr) error {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	family, bits, flags := byte(unix.AF_INET), byte(32), byte(0)
	if a.Is6() {
		family, bits, flags = unix.AF_INET6, 128, unix.IFA_F_NODAD
	}
	ne := binary.NativeEndian
	body := []byte{family, bits, flags, unix.RT_SCOPE_HOST, 0, 0, 0, 0}
	ne.PutUint32(body[4:], uint32(index))
	for _, typ := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS} {
		raw := a.AsSlice()
		attr := make([]byte, (4+len(raw)+3)&^3)
		ne.PutUint16(attr[0:], uint16(4+len(raw)))
		ne.PutUint16(attr[2:], typ)
		copy(attr[4:], raw)
		body = append(body, attr...)
	}
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	ne.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	ne.PutUint16(msg[4:], unix.RTM_NEWADDR)
	ne.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	ne.PutUint32(msg[8:], 1)
	msg = append(msg, body...)
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(s, buf, 0)
	if err != nil {
		return err
	}
	if n < unix.NLMSG_HDRLEN+4 || ne.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return errors.New("no acknowledgement from the kernel")
	}
	if e := int32(ne.Uint32(buf[unix.NLMSG_HDRLEN:])); e != 0 {
		return syscall.Errno(-e)
	}
	return nil
}

// listenAt returns a TCP socket listening on ap, close-on-exec.
func listenAt(ap netip.AddrPort) (int, error) {
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	if ap.Addr().Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sendListeners passes fds to the parent over netFD in one message, then
// closes them and netFD: the program keeps none of them.
func sendListeners(fds []int) error {
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
		unix.Close(netFD)
	}()
	if err := unix.Sendmsg(netFD, []byte{byte(len(fds))}, unix.UnixRights(fds...), nil, 0); err != nil {
		return fmt.Errorf("network: passing the listening sockets: %w", err)
	}
	return nil
}

// writeRootFile creates path on the private root's own tmpfs (its
// directories included, never beneath a bound directory) holding b.
func writeRootFile(root int, rootDev uint64, path string, b []byte) error {
	at, err := mountPoint(root, rootDev, path, false)
	if err != nil {
		return err
	}
	defer unix.Close(at)
	var st unix.Stat_t
	if err := unix.Fstat(at, &st); err != nil || st.Dev != rootDev || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a file of the private root")
	}
	f, err := os.OpenFile(fdPath(at), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
