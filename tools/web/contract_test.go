package web_test

import (
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/toolservertest"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
	"github.com/stretchr/testify/require"
)

// TestContract runs the ToolServer contract against the server, with no
// network it may reach.
func TestContract(t *testing.T) {
	toolservertest.Run(t, func(t *testing.T) ironcurtain.ToolServer {
		srv, err := web.New(web.Options{})
		require.NoError(t, err)
		return srv
	})
}
