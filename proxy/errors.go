package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Sentinel errors. Check them with errors.Is.
var (
	// ErrUpstreamDown marks a call to an upstream server whose process
	// exited or whose connection was lost, and that was not restarted. The
	// error also wraps the cause (the exit status, the transport error).
	ErrUpstreamDown = errors.New("proxy: upstream not running")
	// ErrBadResponse marks an upstream answer that is not a well-formed MCP
	// message of the expected shape.
	ErrBadResponse = errors.New("proxy: malformed response from upstream")
	// ErrNotLoopback is returned by ListenHTTP for an address that is not a
	// loopback address, unless ServerConfig.AllowNonLoopback is set.
	ErrNotLoopback = errors.New("proxy: refusing to listen on a non-loopback address")
)

// RPCError is a JSON-RPC error an upstream server answered a request with,
// for example an unknown tool or invalid parameters. Its text comes from the
// upstream and is for the operator, not the agent.
type RPCError struct {
	// Server is the name the upstream is registered under.
	Server string
	// Method is the JSON-RPC method of the request.
	Method string
	// Code and Message are the JSON-RPC error's code and message.
	Code    int
	Message string
	// Data is the error's optional data, raw.
	Data json.RawMessage
}

// Error describes the error for the operator.
func (e *RPCError) Error() string {
	return fmt.Sprintf("proxy: upstream %s: %s: JSON-RPC error %d: %s", e.Server, e.Method, e.Code, e.Message)
}
