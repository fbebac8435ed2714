package docker

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits of one ownership pass, so that a tree the agent made cannot make
// a call slow without bound. Past them the pass stops; entries not reached
// keep their owner.
const (
	chownMaxEntries = 200000
	chownMaxDepth   = 128
)

// chowner gives what the host-side tools create in the workspace to the
// agent's user: the tools run as this process (root), the agent does not,
// and a directory git or the filesystem server made would otherwise be
// one the agent cannot write in.
//
// An entry is given to the agent's user only when it is owned by the host
// user, was born (statx birth time) after the call began, and lies in the
// workspace on a path that passes no symbolic link: every step is an
// openat with O_NOFOLLOW relative to the previous directory, and the
// owner is changed through the descriptor of the very inode that was
// checked, so a path the agent swaps for a link while the pass runs
// leads nowhere. Nothing is read or opened for I/O (O_PATH), so a FIFO
// never blocks the pass. An entry that was there before the call (a file
// the operator left, a protected path) keeps its owner; on a file system
// without birth times nothing is changed.
type chowner struct {
	uid, gid int
	hostUID  int
	roots    []string // the workspace's spellings, longest first
}

// ownerMark is when a call began, by the clock file times are taken from.
type ownerMark struct{ sec, nsec int64 }

// mark reads the coarse real-time clock, which the kernel stamps new
// inodes from (a finer clock could run ahead of their birth times).
func (c *chowner) mark() ownerMark {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return ownerMark{sec: 1<<62 - 1} // no mark: nothing is new
	}
	return ownerMark{sec: ts.Sec, nsec: ts.Nsec}
}

// adopt runs the ownership pass over the targets of a call: host paths,
// or paths relative to the workspace.
func (c *chowner) adopt(m ownerMark, targets []string) {
	p := chownPass{c: c, m: m, left: chownMaxEntries}
	seen := map[string]bool{}
	for _, t := range targets {
		root, rel, ok := c.split(t)
		if !ok || seen[root+"\x00"+rel] {
			continue
		}
		seen[root+"\x00"+rel] = true
		p.target(root, rel)
	}
}

// split returns the workspace spelling t lies in and t relative to it,
// lexically; ok is false for a path outside the workspace.
func (c *chowner) split(t string) (root, rel string, ok bool) {
	if strings.IndexByte(t, 0) >= 0 || len(c.roots) == 0 {
		return "", "", false
	}
	if !filepath.IsAbs(t) {
		root, rel = c.roots[len(c.roots)-1], t
	} else {
		for _, r := range c.roots {
			if rest, found := strings.CutPrefix(t, r); found && (rest == "" || rest[0] == '/') {
				root, rel = r, strings.TrimPrefix(rest, "/")
				break
			}
		}
		if root == "" {
			return "", "", false
		}
	}
	rel = filepath.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", "", false
	}
	return root, rel, true
}

type chownPass struct {
	c    *chowner
	m    ownerMark
	left int
}

// target walks from the workspace to rel, one component at a time. A new
// directory on the way is adopted with all it holds; the target itself,
// when it is a directory that was there, is searched for new entries.
func (p *chownPass) target(root, rel string) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	var parts []string
	if rel != "." {
		parts = strings.Split(rel, "/")
	}
	for _, name := range parts {
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return
		}
		fd = next
		isDir, isNew := p.visit(fd)
		if !isDir {
			unix.Close(fd)
			return
		}
		if isNew {
			p.tree(fd, 0)
			unix.Close(fd)
			return
		}
	}
	p.tree(fd, 0)
	unix.Close(fd)
}

// visit adopts the entry fd refers to if it is new and the host's, and
// says whether it is a directory and whether it is new.
func (p *chownPass) visit(fd int) (isDir, isNew bool) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW,
		unix.STATX_TYPE|unix.STATX_UID|unix.STATX_BTIME, &st); err != nil {
		return false, false
	}
	isDir = st.Mode&unix.S_IFMT == unix.S_IFDIR
	isNew = st.Mask&unix.STATX_BTIME != 0 &&
		(st.Btime.Sec > p.m.sec || (st.Btime.Sec == p.m.sec && int64(st.Btime.Nsec) >= p.m.nsec))
	if isNew && int(st.Uid) == p.c.hostUID {
		_ = unix.Fchownat(fd, "", p.c.uid, p.c.gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	}
	return isDir, isNew
}

// tree visits every entry beneath the directory dir (an O_PATH
// descriptor), without following links.
func (p *chownPass) tree(dir, depth int) {
	if depth >= chownMaxDepth {
		return
	}
	rfd, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(rfd), "dir")
	defer f.Close()
	for p.left > 0 {
		names, err := f.Readdirnames(512)
		for _, name := range names {
			if p.left <= 0 {
				return
			}
			p.left--
			fd, err := unix.Openat(rfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			if isDir, _ := p.visit(fd); isDir {
				p.tree(fd, depth+1)
			}
			unix.Close(fd)
		}
		if err != nil {
			return
		}
	}
}
