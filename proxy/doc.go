// Package proxy is the MCP proxy of IronCurtain: many tool servers in, one
// MCP server out, and every call through the Gate.
//
// Upstreams are in-process [ironcurtain.ToolServer]s (the built-in
// filesystem, git and fetch servers) and external MCP servers, which a
// [Client] turns into ToolServers: [Stdio] runs one as a subprocess with
// exactly the environment its configuration names, [HTTP] reaches one over
// streamable HTTP. The Gate composes them; a [Server] exports the Gate's
// tools as "server__tool" over stdio ([Server.ServeStdio]), a Unix socket of
// mode 0600 ([Server.ServeUnix]) and streamable HTTP on loopback
// ([Server.ListenHTTP], [Server.Handler]).
//
//	ctx := context.Background()
//	gh, err := proxy.Stdio(ctx, proxy.StdioConfig{
//		Name:    "github",
//		Command: "github-mcp-server",
//		Args:    []string{"stdio"},
//		Env:     map[string]string{"GITHUB_PERSONAL_ACCESS_TOKEN": token},
//	})
//	if err != nil { ... }
//	defer gh.Close()
//	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
//		Servers: map[string]ironcurtain.ToolServer{"github": gh, "filesystem": fsServer},
//		Policy:  engine, Approver: approver, Audit: auditLog,
//	})
//	if err != nil { ... }
//	srv, err := proxy.NewServer(ctx, gate, proxy.ServerConfig{})
//	if err != nil { ... }
//	defer srv.Close()
//	err = srv.ServeStdio(ctx, os.Stdin, os.Stdout)
//
// # What passes through
//
// Tool definitions keep their input and output schemas byte for byte:
// mcp-go's client would decode a schema into a struct and lose keywords
// such as oneOf, so a Client sends tools/list itself and keeps the raw
// bytes, and a Server exports them raw. Result content of the text, image
// and audio kinds is decoded; every other kind (embedded resources, resource
// links) passes through verbatim. notifications/tools/list_changed from an
// upstream makes the Client list again and tell its [ToolsNotifier]
// listeners; a Server whose backend is a ToolsNotifier, or that watches the
// Clients (ServerConfig.Watch), updates its list, and clients receive the
// notification in turn.
//
// # What the agent sees
//
// A denial reaches the client as a tool result with isError set and the text
// "DENIED: <reason>" or "ESCALATION DENIED: <reason>", so that the model is
// steered, not just blocked. Any other failure is a generic error result
// ("ERROR: the tool call timed out", "ERROR: the tool server is not
// running", ...) that names the kind of failure and none of its detail: the
// texts are those of [ironcurtain.AgentResult].
//
// # Failures
//
// Upstream answers are hostile input. Each call has a deadline; an upstream
// that hangs fails the call, one that crashes fails the calls in flight at
// once and later calls fast (after an optional number of restarts), one that
// answers garbage or too much fails the call. The proxy stays up. Incoming
// messages are capped in size (8 MiB by default); a larger one is answered
// with a JSON-RPC error without being held in memory.
//
// # Protocol
//
// The Server speaks every protocol version mcp-go does, 2026-07-28 included.
// Upstream connections are pinned to 2025-11-25, which costs half the CPU per
// call in mcp-go and needs no per-request metadata.
package proxy
