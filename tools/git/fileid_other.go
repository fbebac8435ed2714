//go:build !linux

package git

import "os"

// fileID identifies a file's version by size and modification time.
type fileID struct {
	size  int64
	mtime int64
}

func idOf(fi os.FileInfo) fileID {
	return fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}
