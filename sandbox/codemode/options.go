package codemode

import (
	"errors"
	"fmt"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Defaults of Options.
const (
	DefaultMemoryLimit    = 64 << 20
	DefaultTimeout        = 30 * time.Second
	DefaultMaxOutputBytes = 64 << 10
	DefaultMaxResultBytes = 256 << 10
	DefaultMaxToolCalls   = 100
)

// Bounds of Options.MemoryLimit: enough for the engine to start, and no
// more than 32-bit WebAssembly can address.
const (
	MinMemoryLimit = 2 << 20
	MaxMemoryLimit = 4<<30 - 64<<10
)

// Options configures a [Sandbox]. The zero value is valid: no tools, and
// every limit at its default.
type Options struct {
	// Backend carries out the scripts' tool calls. Nil means no tools: the
	// script can compute and print, nothing else.
	Backend ironcurtain.Backend
	// MemoryLimit caps the engine's whole memory (the WebAssembly linear
	// memory: heap, strings, typed arrays, stack), in bytes, rounded up to
	// 64 KiB pages. Zero means DefaultMemoryLimit; it must lie between
	// MinMemoryLimit and MaxMemoryLimit. Reaching it ends the run with
	// ironcurtain.ErrLimit.
	MemoryLimit int64
	// Timeout bounds the time a script runs, not counting the time it
	// waits for tool calls (those are bounded by the Backend, e.g. the
	// Gate's CallTimeout and EscalationTimeout, so that a person asked to
	// approve a call is not raced by the script's clock). Zero means
	// DefaultTimeout. The ctx given to Run bounds everything.
	Timeout time.Duration
	// MaxOutputBytes caps the console output kept, in bytes. Output past
	// it is dropped, and a last line says so; it is not an error. Zero
	// means DefaultMaxOutputBytes.
	MaxOutputBytes int
	// MaxResultBytes caps the script's result, as JSON. A larger result
	// ends the run with ironcurtain.ErrLimit. Zero means
	// DefaultMaxResultBytes.
	MaxResultBytes int
	// MaxToolCalls caps the tool calls of one run. The call past it is not
	// made and ends the run with ironcurtain.ErrLimit. Zero means
	// DefaultMaxToolCalls.
	MaxToolCalls int
	// Session names the session in tool calls, for the audit log, when
	// the Job does not.
	Session string
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.MemoryLimit < 0 || o.Timeout < 0 || o.MaxOutputBytes < 0 || o.MaxResultBytes < 0 || o.MaxToolCalls < 0 {
		return o, errors.New("codemode: Options limits must not be negative")
	}
	if o.MemoryLimit == 0 {
		o.MemoryLimit = DefaultMemoryLimit
	}
	o.MemoryLimit = (o.MemoryLimit + pageSize - 1) / pageSize * pageSize
	if o.MemoryLimit < MinMemoryLimit || o.MemoryLimit > MaxMemoryLimit {
		return o, fmt.Errorf("codemode: MemoryLimit %d is outside [%d, %d]", o.MemoryLimit, MinMemoryLimit, MaxMemoryLimit)
	}
	o.Timeout = or(o.Timeout, DefaultTimeout)
	o.MaxOutputBytes = or(o.MaxOutputBytes, DefaultMaxOutputBytes)
	o.MaxResultBytes = or(o.MaxResultBytes, DefaultMaxResultBytes)
	o.MaxToolCalls = or(o.MaxToolCalls, DefaultMaxToolCalls)
	return o, nil
}

func or[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
