//go:build linux

package jail

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// abiConfigs[v] handles every access right of Landlock ABI v. They are
// used strictly, never with BestEffort: the parent chose v from what the
// kernel reported, and a kernel that cannot enforce it makes the launcher
// fail rather than run the program with less.
var abiConfigs = [maxABI + 1]landlock.Config{
	{}, landlock.V1, landlock.V2, landlock.V3, landlock.V4,
	landlock.V5, landlock.V6, landlock.V7, landlock.V8,
}

// Access rights granted, before intersecting with the ABI's.
const (
	fileRO = landlock.AccessFSSet(ll.AccessFSExecute | ll.AccessFSReadFile)
	dirRO  = fileRO | landlock.AccessFSSet(ll.AccessFSReadDir)
	// noExec is removed from every grant but the program and the plan's
	// Exec entries when the plan limits execution.
	noExec = ^landlock.AccessFSSet(ll.AccessFSExecute)
	fileRW = fileRO | landlock.AccessFSSet(ll.AccessFSWriteFile|ll.AccessFSTruncate)
	// dirRW is everything but making device nodes (with CAP_MKNOD a
	// block device made in a writable directory would expose the raw
	// disk) and ioctl on devices.
	dirRW = dirRO | fileRW | landlock.AccessFSSet(ll.AccessFSRemoveDir|ll.AccessFSRemoveFile|
		ll.AccessFSMakeDir|ll.AccessFSMakeReg|ll.AccessFSMakeSock|ll.AccessFSMakeFifo|
		ll.AccessFSMakeSym|ll.AccessFSRefer)
)

// applyLandlock restricts every thread of the process to p's grants, the
// base set and the program itself, with p.ABI's rights. With p.ExecOnly
// only the program and p.Exec keep the execute right.
func applyLandlock(p *plan) error {
	if p.ABI == 0 {
		return nil
	}
	// The library checks access rights, not versions, and ABI 8 has the
	// rights of 7: compare versions so the plan is applied exactly.
	if v, err := ll.LandlockGetABIVersion(); err != nil {
		return fmt.Errorf("landlock: %w", err)
	} else if v < p.ABI {
		return fmt.Errorf("landlock: the plan needs ABI %d, the kernel offers %d", p.ABI, v)
	}
	cfg := abiConfigs[p.ABI]
	handled := cfg.HandledAccessFS
	// Rights of every grant that is not an executable of the plan.
	other := handled
	if p.ExecOnly {
		other &= noExec
	}
	var rules []landlock.Rule
	// System paths are trusted and may be symbolic links (/lib ->
	// usr/lib, /proc/self); missing ones are skipped.
	base := func(paths []string, file, dir landlock.AccessFSSet) {
		for _, path := range paths {
			fi, err := os.Stat(path)
			if err != nil {
				continue
			}
			rights := file
			if fi.IsDir() {
				rights = dir
			}
			rules = append(rules, landlock.PathAccess(rights&other, path))
		}
	}
	base(baseReadOnly, fileRO, dirRO)
	base(baseReadWrite, fileRW, fileRW)
	// The program and the policy's grants were checked by the parent in
	// canonical form. Each is pinned here without following any symbolic
	// link, and its rule is attached to what was pinned, through
	// /proc/self/fd: a path swapped for a link (to ~/.ssh, say) since the
	// check fails instead of granting where the link leads.
	var pinned []*os.File
	defer func() {
		for _, f := range pinned {
			f.Close()
		}
	}()
	grant := func(paths []string, file, dir, mask landlock.AccessFSSet) error {
		for _, path := range paths {
			f, isDir, err := pin(path)
			if err != nil {
				return fmt.Errorf("grant %s: %w", path, err)
			}
			pinned = append(pinned, f)
			rights := file
			if isDir {
				rights = dir
			}
			rules = append(rules, landlock.PathAccess(rights&mask, "/proc/self/fd/"+strconv.Itoa(int(f.Fd()))))
		}
		return nil
	}
	if err := grant([]string{p.Path}, fileRO, fileRO, handled); err != nil {
		return err
	}
	if err := grant(p.RO, fileRO, dirRO, other); err != nil {
		return err
	}
	if err := grant(p.RW, fileRW, dirRW, other); err != nil {
		return err
	}
	// Landlock rights add up over the rules of a path's ancestors: an
	// executable beneath a read-only grant gets execute from its own rule.
	if err := grant(p.Exec, fileRO, dirRO, handled); err != nil {
		return err
	}
	if cfg.HandledAccessNet != 0 {
		for _, port := range p.Connect {
			rules = append(rules, landlock.ConnectTCP(port))
		}
		for _, port := range p.Bind {
			rules = append(rules, landlock.BindTCP(port))
		}
	} else if p.network() && !p.AnyPort {
		return fmt.Errorf("TCP port rules need Landlock ABI %d", netABI)
	}
	if err := cfg.Restrict(rules...); err != nil {
		return fmt.Errorf("landlock: %w", err)
	}
	return nil
}

// pin opens path for reference only (O_PATH), refusing to follow any
// symbolic link on the way, and reports whether it is a directory.
func pin(path string) (*os.File, bool, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(unix.AT_FDCWD, path, &how)
	if errors.Is(err, unix.ELOOP) {
		return nil, false, errors.New("a symbolic link appeared in the path since it was checked")
	}
	if err != nil {
		return nil, false, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, false, err
	}
	return os.NewFile(uintptr(fd), path), st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}
