//go:build linux

package jail

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Masked paths. Landlock cannot deny a path beneath a granted directory,
// so the launcher of a jail with Policy.Masked, in its private mount
// namespace (see confine_linux.go), covers each masked path with an
// empty, read-only node of mode 0 from its own tmpfs: an empty file over
// a file, an empty directory over a directory. The program then cannot
// read or list it (mode 0, and no capability to override it), write it
// (read-only), nor rename, delete or replace it: a mount point in the
// caller's own namespace is busy (EBUSY), and a hard link to it would
// cross mounts (EXDEV). Each directory between the grant and the masked
// path is made a mount point of its own too, so that no ancestor can be
// renamed to carry the masked path out from under a later jail's mask. A
// masked path that does not exist has its deepest existing ancestor made
// read-only instead, so that it cannot be created.
//
// Every step resolves from the private root by descriptor, refusing any
// symbolic link (openat2 RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH) and
// mounting by descriptor (open_tree, mount_setattr, move_mount): a path
// swapped for a link between the parent's check and the launcher fails
// the launch, and what is mounted over is exactly what was resolved.

// Names of the mask sources on the private root, removed before the
// program runs.
const (
	maskFile = ".ironcurtain-mask-file"
	maskDir  = ".ironcurtain-mask-dir"
)

// hardLinks is the link count of a file.
func hardLinks(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// maskPaths covers each of masked (canonical, sorted) beneath root, the
// private root before pivot_root; rootDev is the device of its tmpfs.
func maskPaths(root int, rootDev uint64, path string, masked []string) error {
	if len(masked) == 0 {
		return nil
	}
	for _, m := range masked {
		if path == m || strings.HasPrefix(path, m+"/") {
			return fmt.Errorf("confine: the program %s lies in the masked path %s", path, m)
		}
	}
	if err := unix.Mkdirat(root, maskDir, 0); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	defer unix.Unlinkat(root, maskDir, unix.AT_REMOVEDIR)
	if err := mknodFile(root, maskFile); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	defer unix.Unlinkat(root, maskFile, 0)
	if err := unix.Fchmodat(root, maskFile, 0, 0); err != nil {
		return fmt.Errorf("confine: %w", err)
	}
	for _, m := range masked {
		if err := maskOne(root, rootDev, m); err != nil {
			return fmt.Errorf("confine: masking %s: %w", m, err)
		}
	}
	return nil
}

// beneath resolves one name under dir without following any link.
var beneath = unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
	Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_BENEATH}

// maskOne walks to m from root one name at a time, pinning the ancestors
// on the real file system, and covers m (or, when m does not exist, makes
// its deepest existing ancestor read-only).
func maskOne(root int, rootDev uint64, m string) error {
	parts := strings.Split(strings.TrimPrefix(m, "/"), "/")
	cur, err := unix.Dup(root)
	if err != nil {
		return err
	}
	defer func() { unix.Close(cur) }()
	for i, name := range parts {
		next, err := unix.Openat2(cur, name, &beneath)
		switch {
		case errors.Is(err, unix.ENOENT):
			return attach(cur, cur, unix.AT_RECURSIVE, unix.MOUNT_ATTR_RDONLY)
		case errors.Is(err, unix.ENOTDIR):
			return nil // a file stands where a directory would: m cannot exist
		case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV):
			return errors.New("a symbolic link appeared in the path since it was checked")
		case err != nil:
			return err
		}
		if i == len(parts)-1 {
			defer unix.Close(next)
			return cover(root, next)
		}
		if next, err = pinDir(cur, name, next, rootDev); err != nil {
			return err
		}
		unix.Close(cur)
		cur = next
	}
	return nil
}

// pinDir makes the directory fd (name in parent) a mount point of its own
// unless it is one or lies on the private root's tmpfs, and returns a
// descriptor of the directory as it now resolves: the new mount's root.
func pinDir(parent int, name string, fd int, rootDev uint64) (int, error) {
	var before unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_INO, &before); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if mountRoot(before) || unix.Mkdev(before.Dev_major, before.Dev_minor) == rootDev {
		return fd, nil
	}
	err := attach(fd, fd, unix.AT_RECURSIVE, 0)
	unix.Close(fd)
	if err != nil {
		return -1, err
	}
	fd, err = unix.Openat2(parent, name, &beneath)
	if err != nil {
		return -1, err
	}
	var after unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_INO, &after); err != nil || !mountRoot(after) || after.Ino != before.Ino {
		unix.Close(fd)
		return -1, errors.New("the directory changed while it was pinned")
	}
	return fd, nil
}

func mountRoot(st unix.Statx_t) bool {
	return st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0
}

// cover mounts the empty file or directory of the private root,
// read-only, over target.
func cover(root, target int) error {
	var st unix.Stat_t
	if err := unix.Fstat(target, &st); err != nil {
		return err
	}
	src := maskFile
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return errors.New("a symbolic link appeared in the path since it was checked")
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		src = maskDir
	} else if st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink > 1 {
		return fmt.Errorf("it has %d hard links: a grant could reach it under another name", st.Nlink)
	}
	s, err := unix.Openat2(root, src, &beneath)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	return attach(s, target, 0,
		unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
}

// attach clones the tree at src (with its submounts when flags has
// AT_RECURSIVE), sets attrs on the clone and mounts it on target.
func attach(src, target int, flags uint, attrs uint64) error {
	t, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|flags)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(t)
	if attrs != 0 {
		a := unix.MountAttr{Attr_set: attrs}
		if err := unix.MountSetattr(t, "", unix.AT_EMPTY_PATH|flags, &a); err != nil {
			return fmt.Errorf("mount_setattr: %w", err)
		}
	}
	if err := unix.MoveMount(t, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}
