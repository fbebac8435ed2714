package proxy

import (
	"context"

	"github.com/ironcurtain-go/ironcurtain"
)

// Backend is what a [Server] exports: a catalogue of tools across servers
// and a Caller for them. An *ironcurtain.Gate is a Backend, so every call
// that reaches the proxy passes the policy, the approvers and the audit log.
//
// Tools lists every tool with the name of its server; the Server exports
// each as "server__tool". Call carries out one call; a refused call is an
// error satisfying errors.Is(err, ironcurtain.ErrDenied), preferably a
// *ironcurtain.DeniedError so that the agent is shown its reason. Both must
// be safe for concurrent use and honour ctx.
type Backend interface {
	ironcurtain.Caller
	Tools(ctx context.Context) ([]ironcurtain.ServerTool, error)
}

// ToolsNotifier is an optional interface of a Backend or a ToolServer whose
// tool list can change, such as a [Client] whose upstream announced a new
// list. OnToolsChanged registers f to be called, on a goroutine of the
// notifier's choosing, after each change; the returned function unregisters
// it. f must not block for long.
//
// A [Server] whose Backend implements ToolsNotifier refreshes its exported
// list on every change, and MCP clients receive notifications/tools/list_changed.
type ToolsNotifier interface {
	OnToolsChanged(f func()) (stop func())
}
