// Package syncbuf provides a byte buffer that several goroutines may write
// and read at once, for tests that capture the output of a process or a
// server while it is still running.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a [bytes.Buffer] whose Write and String hold a lock, so that a
// copier goroutine can write while a test reads. The zero value is an empty
// buffer ready to use; a Buffer must not be copied after first use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer; it never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
