//go:build linux

package git

import (
	"os"
	"syscall"
)

// fileID identifies a file's version: device, inode, size and change
// times. The change time cannot be set back by an unprivileged writer,
// so a write or a rename shows even when size and content are restored.
type fileID struct {
	dev, ino, size uint64
	mtime, ctime   int64
	mtimeN, ctimeN int64
}

func idOf(fi os.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{size: uint64(fi.Size()), mtime: fi.ModTime().UnixNano()}
	}
	return fileID{
		dev: uint64(st.Dev), ino: st.Ino, size: uint64(st.Size),
		mtime: int64(st.Mtim.Sec), mtimeN: int64(st.Mtim.Nsec),
		ctime: int64(st.Ctim.Sec), ctimeN: int64(st.Ctim.Nsec),
	}
}
