//go:build linux

package realpath

import (
	"testing"
)

// TestProcFallbackAgreesWithWalk runs the fast-path property with openat2
// disabled, so the /proc fallback kernels before 5.6 use is checked too.
func TestProcFallbackAgreesWithWalk(t *testing.T) {
	noOpenat2.Store(true)
	t.Cleanup(func() { noOpenat2.Store(false) })
	TestFastPathAgreesWithWalk(t)
}
