//go:build !unix

package audit

import "os"

// lockFile does nothing where advisory locks are not available: one process
// per log is then the operator's responsibility.
func lockFile(*os.File) error { return nil }
