//go:build unix

package audit_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// mkfifoOrSkip makes a FIFO at p and runs f on it.
func mkfifoOrSkip(t *testing.T, p string, f func(string)) {
	t.Helper()
	require.NoError(t, syscall.Mkfifo(p, 0o600))
	f(p)
}
