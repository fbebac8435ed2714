package proxy

// ToolsNotifier is an optional interface of an [ironcurtain.Backend] or a
// ToolServer whose tool list can change, such as a [Client] whose upstream
// announced a new list. OnToolsChanged registers f to be called, on a
// goroutine of the notifier's choosing, after each change; the returned
// function unregisters it. f must not block for long.
//
// A [Server] whose Backend implements ToolsNotifier refreshes its exported
// list on every change, and MCP clients receive notifications/tools/list_changed.
type ToolsNotifier interface {
	OnToolsChanged(f func()) (stop func())
}
