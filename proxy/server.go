package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// DefaultMaxMessageBytes caps one incoming JSON-RPC message when
// ServerConfig.MaxMessageBytes is zero.
const DefaultMaxMessageBytes = 8 << 20

// ServerConfig configures a [Server]. The zero value is valid.
type ServerConfig struct {
	// Name and Version identify the server to MCP clients; by default
	// "ironcurtain" and "devel".
	Name, Version string
	// Instructions are optional guidance for the model, sent at start-up.
	Instructions string
	// Session names the agent session in every ToolCall; empty means the
	// MCP session's ID.
	Session string
	// MaxMessageBytes caps one incoming JSON-RPC message: a line on stdio
	// or a Unix socket, the body of an HTTP request. A larger message is
	// answered with a JSON-RPC error and never held in memory whole. Zero
	// means DefaultMaxMessageBytes.
	MaxMessageBytes int
	// AllowNonLoopback lets ListenHTTP and ServeHTTPListener serve on an
	// address other than loopback. Anyone who can reach the address can
	// then call tools as the agent.
	AllowNonLoopback bool
	// BearerToken, when set, must be presented by every HTTP request as
	// "Authorization: Bearer <token>"; other requests get 401. A loopback
	// port is open to every user of the machine, a Unix socket of mode 0600
	// only to its owner: without a token, prefer the socket.
	BearerToken ironcurtain.Secret
	// Watch are further sources of tool-list changes to follow, such as the
	// Clients registered with a Gate that does not itself announce changes.
	Watch []ToolsNotifier
	// RefreshTimeout bounds one re-listing of the backend's tools after a
	// change; zero means 30 seconds.
	RefreshTimeout time.Duration
	// Logger receives operational events: refresh failures, tools that
	// cannot be exported, the internal errors behind generic error results.
	// Nil means silent.
	Logger *slog.Logger
}

// Server serves a [ironcurtain.Backend]'s tools as one MCP server, over stdio, Unix
// sockets and streamable HTTP at once if wanted. Each tool is exported as
// "server__tool" with its input schema passed through byte for byte.
//
// Every tools/call goes to Backend.Call. What the client receives follows
// the Gate's rules for what an agent may see: a denial is a tool result
// with isError set and the text "DENIED: <reason>" (or "ESCALATION DENIED:
// <reason>"), never a JSON-RPC error; any other failure is a generic error
// result that names the kind of failure but none of its detail. A tool name
// the server does not export is a JSON-RPC invalid-params error.
//
// A Server is safe for concurrent use; its Serve methods may run at the same
// time, each serving any number of sessions. Close is idempotent.
type Server struct {
	backend ironcurtain.Backend
	cfg     ServerConfig
	log     *slog.Logger
	mcp     *server.MCPServer

	refreshMu sync.Mutex
	exported  map[string]string // name → encoded definition

	sessions atomic.Uint64

	httpOnce sync.Once
	httpSrv  *server.StreamableHTTPServer

	refresh    chan struct{}
	done       chan struct{}
	closeOnce  sync.Once
	stopNotify func()
	wg         sync.WaitGroup
}

// NewServer lists the backend's tools and returns a Server ready to serve
// them. If the backend implements [ToolsNotifier], or cfg.Watch names
// notifiers, the exported list follows their changes and connected clients
// receive notifications/tools/list_changed; otherwise call Refresh after a
// change.
func NewServer(ctx context.Context, backend ironcurtain.Backend, cfg ServerConfig) (*Server, error) {
	if cfg.Name == "" {
		cfg.Name = "ironcurtain"
	}
	if cfg.Version == "" {
		cfg.Version = "devel"
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.RefreshTimeout <= 0 {
		cfg.RefreshTimeout = 30 * time.Second
	}
	s := &Server{
		backend:  backend,
		cfg:      cfg,
		log:      cfg.Logger,
		exported: map[string]string{},
		refresh:  make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = discardLogger
	}
	opts := []server.ServerOption{server.WithToolCapabilities(true)}
	if cfg.Instructions != "" {
		opts = append(opts, server.WithInstructions(cfg.Instructions))
	}
	s.mcp = server.NewMCPServer(cfg.Name, cfg.Version, opts...)
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	watch := slices.Clone(cfg.Watch)
	if n, ok := backend.(ToolsNotifier); ok {
		watch = append(watch, n)
	}
	if len(watch) > 0 {
		changed := func() {
			select {
			case s.refresh <- struct{}{}:
			default:
			}
		}
		stops := make([]func(), 0, len(watch))
		for _, n := range watch {
			stops = append(stops, n.OnToolsChanged(changed))
		}
		s.stopNotify = func() {
			for _, stop := range stops {
				stop()
			}
		}
		s.wg.Go(s.refreshLoop)
	}
	return s, nil
}

// refreshLoop re-lists the backend's tools after each change it announces.
func (s *Server) refreshLoop() {
	for {
		select {
		case <-s.refresh:
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RefreshTimeout)
			if err := s.Refresh(ctx); err != nil {
				s.log.Warn("proxy: refreshing the tool list failed", "err", err)
			}
			cancel()
		case <-s.done:
			return
		}
	}
}

// Refresh lists the backend's tools again and updates the exported list;
// clients are notified if it changed. If the backend lists nothing and
// fails, the previous list stays; a partial list with an error (a server
// that could not be listed) is exported, and the error logged.
// Tools that cannot be exported (a server name containing "__", a schema
// that is not a JSON object) are left out and logged.
func (s *Server) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	list, err := s.backend.Tools(ctx)
	if err != nil {
		if len(list) == 0 {
			return fmt.Errorf("proxy: listing tools: %w", err)
		}
		// A Gate lists what it can and reports the servers it could not.
		s.log.Warn("proxy: some tools could not be listed", "err", err)
	}
	tools := make([]server.ServerTool, 0, len(list))
	defs := make(map[string]string, len(list))
	for _, st := range list {
		t, err := exportTool(st)
		if err != nil {
			s.log.Warn("proxy: tool not exported", "err", err)
			continue
		}
		if _, dup := defs[t.Name]; dup {
			s.log.Warn("proxy: tool not exported: duplicate name", "tool", t.Name)
			continue
		}
		enc, err := json.Marshal(t)
		if err != nil {
			s.log.Warn("proxy: tool not exported", "tool", t.Name, "err", err)
			continue
		}
		defs[t.Name] = string(enc)
		tools = append(tools, server.ServerTool{Tool: t, Handler: s.handler(st.Server, st.Tool.Name)})
	}
	if maps.Equal(defs, s.exported) {
		return nil
	}
	s.mcp.SetTools(tools...)
	s.exported = defs
	return nil
}

// handler returns the tools/call handler of one exported tool.
func (s *Server) handler(srv, tool string) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (out *mcp.CallToolResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("proxy: panic serving a tool call", "server", srv, "tool", tool, "panic", p)
				out, err = mcp.NewToolResultError("ERROR: the tool call failed"), nil
			}
		}()
		var args map[string]any
		switch a := req.Params.Arguments.(type) {
		case nil:
			args = map[string]any{}
		case map[string]any:
			args = a
		default:
			return mcp.NewToolResultError("DENIED: the arguments must be a JSON object"), nil
		}
		call := ironcurtain.ToolCall{Session: s.session(ctx), Server: srv, Tool: tool, Arguments: args}
		res, err := s.backend.Call(ctx, call)
		if err != nil {
			s.log.Debug("proxy: call not carried out", "server", srv, "tool", tool, "err", err)
		}
		enc, encErr := encodeResult(agentResult(res, err))
		if encErr != nil {
			s.log.Error("proxy: result cannot be sent", "server", srv, "tool", tool, "err", encErr)
			return mcp.NewToolResultError("ERROR: the tool returned a result that cannot be sent"), nil
		}
		return enc, nil
	}
}

// session is the ToolCall.Session of a call in ctx.
func (s *Server) session(ctx context.Context) string {
	if s.cfg.Session != "" {
		return s.cfg.Session
	}
	if cs := server.ClientSessionFromContext(ctx); cs != nil {
		return cs.SessionID()
	}
	return ""
}

// Handler returns the streamable-HTTP MCP endpoint as an http.Handler, to be
// mounted at a path of the caller's choosing. Request bodies over
// MaxMessageBytes are refused with 413, and requests without the
// configured bearer token with 401. Requests that arrive on a loopback
// connection with a Host header that is not loopback are refused with 403,
// against DNS rebinding. Sessions are kept by the Mcp-Session-Id header, and
// a client that opens the GET stream receives tools/list_changed.
func (s *Server) Handler() http.Handler {
	s.httpOnce.Do(func() {
		s.httpSrv = server.NewStreamableHTTPServer(s.mcp, server.WithStreamableHTTPLogger(s.log))
	})
	limit := int64(s.cfg.MaxMessageBytes)
	token := s.cfg.BearerToken
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !token.IsZero() {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || !token.Equal(ironcurtain.NewSecret(got)) {
				w.Header().Set("WWW-Authenticate", "Bearer")
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if r.ContentLength > limit {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		s.httpSrv.ServeHTTP(w, r)
	})
}

// Close stops following the backend's changes. Sessions being served end
// when their Serve call's context is done. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopNotify != nil {
			s.stopNotify()
		}
		close(s.done)
		s.wg.Wait()
	})
	return nil
}
