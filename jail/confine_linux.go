//go:build linux

package jail

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Confinement to granted Unix socket paths. Landlock before ABI 9 does
// not check connect(2) on a path socket, so a jail with Unix sockets
// could reach every socket its user can name: the Docker daemon's, the
// proxies', an ssh agent's. A Cmd with socket grants therefore starts the
// launcher in a user and mount namespace of its own (clone flags set by
// the parent, as Go cannot unshare a user namespace in a threaded
// process), and the launcher, before Landlock, builds a private root on a
// tmpfs holding only the system paths of [BaseReadOnly], the program, the
// Policy's grants and its socket grants, bind-mounted from descriptors
// pinned beforehand (grants without following any link), and pivots into
// it, detaching the old root. What does not exist in that root cannot be
// connected to. The mounts are private to the namespace; the seccomp
// filter and Landlock then keep the program from mounting anything.

// nsFlags are the namespaces the launcher of a confined jail starts in.
const confineFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNS

// probeArg starts the running binary as a probe that builds an empty
// private root and exits 0 on success (see namespacesWork).
const probeArg = "__ironcurtain_jail_probe__"

// applyNamespaces makes attr start the process in a new user and mount
// namespace, keeping the caller's other attributes (a process group).
// The user's own uid and gid are mapped to themselves; for root starting
// the program as another user (a Credential without groups), that user is
// the namespace's root; for root otherwise, every
// id is, so that file ownership looks as it does outside.
func applyNamespaces(attr *syscall.SysProcAttr) *syscall.SysProcAttr {
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	attr.Cloneflags |= confineFlags
	uid, gid := os.Getuid(), os.Getgid()
	if cr := attr.Credential; cr != nil && uid == 0 && len(cr.Groups) == 0 {
		// Root starting the program as another user: that user is the
		// namespace's root, so that the launcher, which becomes it before
		// exec (supplementary groups cleared), keeps the capabilities it
		// confines with, and the program acts on files as that user.
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(cr.Uid), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(cr.Gid), Size: 1}}
		attr.GidMappingsEnableSetgroups = true
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
		return attr
	}
	if uid == 0 {
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		attr.GidMappingsEnableSetgroups = true
	} else {
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	return attr
}

// mountNS identifies this process's mount namespace.
func mountNS() ([2]uint64, error) { return nsID("mnt") }

// namespacesWork reports whether a confined jail can be started here: it
// starts the probe once, in the namespaces a confined launcher gets, and
// the probe builds a private root as the launcher would.
var namespacesWork = sync.OnceValue(func() bool {
	ns, err := mountNS()
	if err != nil {
		return false
	}
	cmd := exec.Command("/proc/self/exe", probeArg, strconv.FormatUint(ns[0], 10), strconv.FormatUint(ns[1], 10))
	cmd.Env = []string{}
	cmd.SysProcAttr = applyNamespaces(nil)
	return cmd.Run() == nil
})

// nsProbe is the probe's body: confine with nothing granted, and with
// the parent's network namespace given too, build the network for
// probeHosts.
func nsProbe() {
	var p plan
	var ids []uint64
	for _, a := range os.Args[2:] {
		v, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			os.Exit(1)
		}
		ids = append(ids, v)
	}
	if len(ids) != 2 && len(ids) != 4 {
		os.Exit(1)
	}
	p.ParentNS = [2]uint64{ids[0], ids[1]}
	if len(ids) == 4 {
		p.Net, p.ParentNet, p.Hosts = true, [2]uint64{ids[2], ids[3]}, probeHosts
	}
	if err := confine(&p); err != nil {
		os.Exit(1)
	}
	if p.Net {
		fds, err := setupNetwork(&p)
		if err != nil {
			os.Exit(1)
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	os.Exit(0)
}

// mountSource is one path of the private root and the descriptor it is
// bound from.
type mountSource struct {
	path string
	fd   int
	dir  bool
}

// confine builds the private root and pivots into it. It runs in the
// launcher, first, while the launcher still holds the capabilities of its
// own user namespace. It refuses to run in the parent's mount namespace:
// a Cmd whose clone flags were removed fails rather than remounting the
// parent's.
func confine(p *plan) error {
	ns, err := mountNS()
	if err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	if ns == p.ParentNS {
		return errors.New("confine: the launcher runs in its parent's mount namespace (were SysProcAttr's clone flags removed?)")
	}
	wd, _ := os.Getwd()
	var srcs []mountSource
	defer func() {
		for _, s := range srcs {
			unix.Close(s.fd)
		}
	}()
	// System paths are trusted and may be symbolic links (/lib ->
	// usr/lib): pinned where they lead. /proc is bound whole, for
	// /proc/self; Landlock keeps the rest of it, and other processes,
	// out of reach.
	system := []string{"/proc"}
	for _, b := range append(slices.Clone(baseReadOnly), baseReadWrite...) {
		if p.Net && (b == "/etc/hosts" || b == "/etc/resolv.conf") {
			continue // written below: only the granted names resolve
		}
		if !strings.HasPrefix(b, "/proc/") {
			system = append(system, b)
		}
	}
	for _, path := range system {
		fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // missing entries are skipped, as by Landlock
		}
		srcs = append(srcs, mountSource{path: path, fd: fd, dir: isDir(fd)})
	}
	// Grants were checked by the parent in canonical form: pinned without
	// following any link.
	var grants []string
	if p.Path != "" {
		grants = append(grants, p.Path)
	}
	grants = append(append(append(append(grants, p.RO...), p.RW...), p.Exec...), p.Sockets...)
	slices.Sort(grants)
	grants = slices.Compact(grants)
	for _, path := range grants {
		f, dir, err := pin(path)
		if err != nil {
			return fmt.Errorf("confine: grant %s: %w", path, err)
		}
		fd, err := unix.Dup(int(f.Fd()))
		f.Close()
		if err != nil {
			return fmt.Errorf("confine: %w", err)
		}
		srcs = append(srcs, mountSource{path: path, fd: fd, dir: dir})
	}
	for _, s := range p.Sockets {
		i := slices.IndexFunc(srcs, func(m mountSource) bool { return m.path == s })
		var st unix.Stat_t
		if err := unix.Fstat(srcs[i].fd, &st); err != nil {
			return fmt.Errorf("confine: socket %s: %w", s, err)
		}
		if t := st.Mode & unix.S_IFMT; t != unix.S_IFSOCK && t != unix.S_IFDIR {
			return fmt.Errorf("confine: socket grant %s is neither a socket nor a directory", s)
		}
	}
	// Parents before children, so that a grant beneath another is bound
	// on top of it.
	slices.SortStableFunc(srcs, func(a, b mountSource) int { return strings.Compare(a.path, b.path) })

	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("confine: making mounts private: %w", err)
	}
	at := ""
	for _, d := range []string{"/tmp", "/mnt", "/var/tmp", "/run", "/dev"} {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
			at = d
			break
		}
	}
	if at == "" {
		return errors.New("confine: no directory to build the private root on")
	}
	if err := unix.Mount("tmpfs", at, "tmpfs", unix.MS_NODEV|unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return fmt.Errorf("confine: mounting the private root: %w", err)
	}
	root, err := unix.Open(at, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	defer unix.Close(root)
	var rootSt unix.Stat_t
	if err := unix.Fstat(root, &rootSt); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	for _, s := range srcs {
		target, err := mountPoint(root, rootSt.Dev, s.path, s.dir)
		if err != nil {
			return fmt.Errorf("confine: %s: %w", s.path, err)
		}
		err = unix.Mount(fdPath(s.fd), fdPath(target), "", unix.MS_BIND|unix.MS_REC, "")
		unix.Close(target)
		if err != nil {
			return fmt.Errorf("confine: binding %s: %w", s.path, err)
		}
	}
	if err := maskPaths(root, rootSt.Dev, p.Path, p.Masked); err != nil {
		return err
	}
	if p.Net {
		if err := writeRootFile(root, rootSt.Dev, "/etc/hosts", hostsFile(p.Hosts)); err != nil {
			return fmt.Errorf("confine: /etc/hosts: %w", err)
		}
		if err := writeRootFile(root, rootSt.Dev, "/etc/resolv.conf", []byte(resolvConf)); err != nil {
			return fmt.Errorf("confine: /etc/resolv.conf: %w", err)
		}
	}
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("confine: pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("confine: detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	if wd != "" {
		_ = unix.Chdir(wd) // a working directory not granted stays "/"
	}
	return nil
}

// mountPoint opens (O_PATH) the mount point for path beneath root, never
// following a symbolic link, creating what is missing — directories, and
// an empty file for a file — but only on the private root's own tmpfs,
// never in a directory bound from the real file system.
func mountPoint(root int, rootDev uint64, path string, dir bool) (int, error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	cur, err := unix.Dup(root)
	if err != nil {
		return -1, err
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_BENEATH}
	for i, name := range parts {
		last := i == len(parts)-1
		next, err := unix.Openat2(cur, name, &how)
		if errors.Is(err, unix.ENOENT) {
			var st unix.Stat_t
			if err := unix.Fstat(cur, &st); err != nil || st.Dev != rootDev {
				unix.Close(cur)
				return -1, errors.New("missing beneath a bound directory")
			}
			if last && !dir {
				err = mknodFile(cur, name)
			} else {
				err = unix.Mkdirat(cur, name, 0o755)
			}
			if err != nil {
				unix.Close(cur)
				return -1, err
			}
			next, err = unix.Openat2(cur, name, &how)
		}
		unix.Close(cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

// mknodFile creates an empty regular file, the mount point of a file.
func mknodFile(dir int, name string) error {
	fd, err := unix.Openat(dir, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

func isDir(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
