//go:build linux

package jail

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// start takes the listening sockets the launcher of process pid passed
// (it has written statusApplied, so they are queued already), checks that
// each listens where the plan says, and forwards their connections until
// the process exits.
func (f *forwarder) start(pid int) error {
	sock := f.sock
	f.sock = nil
	defer sock.Close()
	fds, err := recvListeners(int(sock.Fd()), len(f.targets))
	if err != nil {
		return err
	}
	var lns []net.Listener
	for i, fd := range fds {
		ln, err := listenerFrom(fd, f.addrs[i])
		if err != nil {
			for _, fd := range fds[i+1:] {
				unix.Close(fd)
			}
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("network: listening socket for %s: %w", f.targets[i], err)
		}
		lns = append(lns, ln)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return fmt.Errorf("network: pidfd_open: %w", err)
	}
	for i, ln := range lns {
		f.track(ln)
		f.wg.Add(1)
		go f.serve(ln, f.targets[i])
	}
	go f.stopAtExit(pidfd)
	return nil
}

// stopAtExit waits, in the runtime's poller, until the process pidfd
// refers to has exited, then stops the forwarder.
func (f *forwarder) stopAtExit(pidfd int) {
	defer f.stop()
	exited := func() bool {
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return n > 0 || err != nil && !errors.Is(err, unix.EINTR)
	}
	if unix.SetNonblock(pidfd, true) != nil {
		unix.Close(pidfd)
		return
	}
	pf := os.NewFile(uintptr(pidfd), "jail-pidfd")
	defer pf.Close()
	rc, err := pf.SyscallConn()
	if err != nil {
		return
	}
	if err := rc.Read(func(uintptr) bool { return exited() }); err != nil {
		// Not pollable: wait blocking instead.
		for !exited() {
			fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
			_, _ = unix.Poll(fds, -1)
		}
	}
}

// recvListeners reads the launcher's one message: n descriptors.
func recvListeners(sock, n int) ([]int, error) {
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4*maxConnect))
	m, oobn, flags, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("network: receiving the listening sockets: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	var fds []int
	for i := range msgs {
		if got, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, got...)
		}
	}
	if err != nil || flags&(unix.MSG_CTRUNC|unix.MSG_TRUNC) != 0 || m != 1 || int(buf[0]) != n || len(fds) != n {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("network: the launcher passed %d listening sockets, want %d", len(fds), n)
	}
	return fds, nil
}

// listenerFrom makes fd, which must be a TCP socket listening on want, a
// net.Listener; fd is consumed.
func listenerFrom(fd int, want netip.AddrPort) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), "jail-listener")
	defer f.Close()
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || v != 1 {
		return nil, errors.New("not a listening socket")
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil || v != unix.IPPROTO_TCP {
		return nil, errors.New("not a TCP socket")
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, err
	}
	var got netip.AddrPort
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		got = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		got = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	if got != want {
		return nil, fmt.Errorf("listens on %s, not %s", got, want)
	}
	return net.FileListener(f)
}
