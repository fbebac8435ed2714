package fs_test

import (
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
	"github.com/ironcurtain-go/ironcurtain/tools/toolservertest"
	"github.com/stretchr/testify/require"
)

// TestContract runs the ToolServer contract against the server.
func TestContract(t *testing.T) {
	toolservertest.Run(t, func(t *testing.T) ironcurtain.ToolServer {
		srv, err := fs.New(fs.Options{Roots: []string{t.TempDir()}})
		require.NoError(t, err)
		return srv
	})
}
