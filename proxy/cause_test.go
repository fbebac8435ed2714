package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// TestToolErrorCauseNotServed: an MCP client of the proxy in front of a
// Gate sees a tool error's public message only, in the whole result it is
// sent; the cause is in the call's record in the audit log.
func TestToolErrorCauseNotServed(t *testing.T) {
	const hidden = "lstat /srv/host-secret/repo/.git: permission denied"
	tools := toolset.New(toolset.Tool{
		Def: ironcurtain.Tool{Name: "status", InputSchema: json.RawMessage(`{"type":"object"}`)},
		Handle: func(context.Context, map[string]any) (ironcurtain.Result, error) {
			return ironcurtain.Result{}, toolset.Wrapf(errors.New(hidden), "cannot use the repository")
		},
	})
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(context.Background(), logPath, audit.Options{NoSync: true})
	require.NoError(t, err)
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"git": tools},
		Policy:  tablePolicy{},
		Audit:   log,
	})
	require.NoError(t, err)
	t.Cleanup(func() { gate.Close() })
	cs := connectSDKStdio(t, newTestServer(t, gate, ServerConfig{}), nil, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})

	res, err := cs.CallTool(testContext(t), &sdk.CallToolParams{Name: "git__status"})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Equal(t, "cannot use the repository", sdkText(t, res))
	wire, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(wire), "host-secret")
	require.NotContains(t, string(wire), "lstat")

	require.NoError(t, gate.Close())
	require.NoError(t, log.Close())
	written, err := os.ReadFile(logPath)
	require.NoError(t, err)
	require.Contains(t, string(written), `"error":"cannot use the repository (`+hidden+`)"`)
}
