package git_test

import (
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/toolservertest"
	"github.com/stretchr/testify/require"
)

// TestContract runs the ToolServer contract against the server.
func TestContract(t *testing.T) {
	toolservertest.Run(t, func(t *testing.T) ironcurtain.ToolServer {
		srv, err := git.New(git.Options{Roots: []string{t.TempDir()}})
		require.NoError(t, err)
		return srv
	})
}
