// Package startgc holds the garbage collector back while a command starts.
//
// Start-up of the ironcurtain command makes a few megabytes of short-lived
// garbage — package initialisation (the MCP library compiles JSON-Schema
// meta-schemas), the QuickJS module's compiled code read from its cache
// and checked, policy files, schemas — that the collector would otherwise
// chase several times before the first tool call: about a sixth of the
// CPU time of a trivial `ironcurtain exec`. Importing this package (for
// its effect, from a main package only) turns the proportional collector
// off from package initialisation on, with a heap ceiling, and restores
// both settings after a short window. An operator's GOGC or GOMEMLIMIT is
// left alone.
//
// Packages are initialised in import-path order among those whose imports
// are ready, so this one runs before most of the module's dependencies;
// if that order changes, start-up is only slower, never different.
package startgc

import (
	"os"
	"runtime/debug"
	"time"
)

const (
	// Window is how long after the start the collector waits.
	Window = 300 * time.Millisecond
	// HeapLimit bounds memory meanwhile: reaching it runs the collector
	// as usual, so a start-up that allocates more than expected costs
	// time, never memory without bound.
	HeapLimit = 256 << 20
)

// resumed is closed when the settings are restored (or were never
// changed).
var resumed = make(chan struct{})

func init() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		close(resumed)
		return
	}
	limit := debug.SetMemoryLimit(HeapLimit)
	percent := debug.SetGCPercent(-1)
	time.AfterFunc(Window, func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
		close(resumed)
	})
}
