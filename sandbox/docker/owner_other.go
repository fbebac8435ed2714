//go:build !unix

package docker

import "os"

// fileOwner is unknown off Unix.
func fileOwner(os.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

// processGone cannot tell off Unix, so it says no.
func processGone(int) bool { return false }
