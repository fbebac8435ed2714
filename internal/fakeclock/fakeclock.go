// Package fakeclock provides a clock that tests move by hand, for code
// that takes its time from a Now function or method.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a time that only [Clock.Advance] changes. It is safe for
// concurrent use; the zero value stands at the zero time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock standing at start.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
