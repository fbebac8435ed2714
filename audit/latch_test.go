package audit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestWriteErrorLatches: after one failed write, every Record fails with the
// same error, even if the file would accept writes again.
func TestWriteErrorLatches(t *testing.T) {
	l, err := Open(context.Background(), filepath.Join(t.TempDir(), "audit.jsonl"), Options{NoSync: true})
	require.NoError(t, err)
	good := l.f
	require.NoError(t, good.Close()) // writes now fail
	err1 := l.Record(context.Background(), ironcurtain.AuditEntry{CallID: "a"})
	require.Error(t, err1)
	l.f = nil // a later write would panic if attempted
	err2 := l.Record(context.Background(), ironcurtain.AuditEntry{CallID: "b"})
	require.Equal(t, err1, err2)
}
