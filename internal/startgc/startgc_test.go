package startgc

import (
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gcPercent reads the collector's setting without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestPausedThenRestored: the collector is off with the heap ceiling
// during the window (the test starts well within it) and back to its
// settings after it.
func TestPausedThenRestored(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the package leaves the collector alone")
	}
	select {
	case <-resumed:
		t.Skip("the test binary took longer than the window to start")
	default:
	}
	require.Equal(t, -1, gcPercent())
	require.Equal(t, int64(HeapLimit), debug.SetMemoryLimit(-1))
	select {
	case <-resumed:
	case <-time.After(10 * Window):
		t.Fatal("the collector was not restored")
	}
	require.Equal(t, 100, gcPercent())
	require.Greater(t, debug.SetMemoryLimit(-1), int64(HeapLimit))
}
