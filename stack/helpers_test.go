package stack_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// policyFiles writes a compiled policy with the given content and returns
// files naming it (annotations default to the built-in ones).
func policyFiles(t *testing.T, content string) policy.Files {
	t.Helper()
	p := filepath.Join(t.TempDir(), "compiled-policy.json")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return policy.Files{Policy: p}
}
