//go:build !unix

package audit

import "os"

// openFlags open the log for appending.
const openFlags = os.O_RDWR | os.O_CREATE | os.O_APPEND

// fileID is the identity of a file, as os.SameFile compares it.
type fileID struct{ fi os.FileInfo }

func (a fileID) same(b fileID) bool { return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi) }

// fileState is what the checks before each record compare.
type fileState struct {
	id      fileID
	links   uint64 // 0: the system does not say
	size    int64
	regular bool
}

func stateOfInfo(fi os.FileInfo) fileState {
	return fileState{id: fileID{fi}, size: fi.Size(), regular: fi.Mode().IsRegular()}
}

// fdState is the state of the open log.
func fdState(f *os.File) (fileState, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileState{}, err
	}
	return stateOfInfo(fi), nil
}

// pathState is the state of a path, following symlinks.
func pathState(p string) (fileState, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return fileState{}, err
	}
	return stateOfInfo(fi), nil
}
