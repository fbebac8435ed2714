// Package testwait waits in tests for a value that another goroutine is
// to send, failing the test instead of hanging when it never comes.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long [Recv] waits: long enough for a loaded CI machine,
// short enough that a lost value fails the test rather than its deadline.
const Timeout = 10 * time.Second

// Recv returns the next value from c, or fails t with "no " and what when
// none arrives within [Timeout].
func Recv[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(Timeout):
		t.Fatalf("no %s within %v", what, Timeout)
	}
	panic("unreachable") // t.Fatalf does not return
}
