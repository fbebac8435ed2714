package web

import (
	"context"
	"crypto/tls"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// ServerName is the name the web tool server is registered under.
const ServerName = "fetch"

// Tool names, as policies and prompts know them.
const (
	// ToolFetch fetches a URL.
	ToolFetch = "http_fetch"
	// ToolSearch asks the configured search provider.
	ToolSearch = "web_search"
)

// Server is the built-in web tool server: http_fetch and web_search. It
// implements [ironcurtain.ToolServer] and io.Closer, and is safe for
// concurrent use.
type Server struct {
	cfg       *config
	set       *toolset.Set
	guard     *guard
	transport *http.Transport
	client    *http.Client
	conv      *converter.Converter
	search    *searcher // nil when no provider is configured
	closed    atomic.Bool
	closeOnce sync.Once
}

var _ ironcurtain.ToolServer = (*Server)(nil)

// New validates opts and returns a Server. It opens no connection.
func New(opts Options) (*Server, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, guard: newGuard(cfg), conv: newMarkdownConverter()}
	s.transport = &http.Transport{
		Proxy:                  nil, // never a proxy from the environment: it would dial for us, unchecked
		DialContext:            s.guard.dialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.rootCAs},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	s.client = &http.Client{
		Transport: s.transport,
		// Redirects are followed by fetchURL, hop by hop, with every check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if cfg.search != nil {
		s.search = newSearcher(cfg.search, cfg.vault)
	}
	s.set = toolset.New(
		toolset.Typed(fetchToolDef, s.fetch),
		toolset.Typed(searchToolDef, s.webSearch),
	)
	return s, nil
}

// Tools lists http_fetch and web_search. The caller may modify the result.
func (s *Server) Tools(ctx context.Context) ([]ironcurtain.Tool, error) {
	if s.closed.Load() {
		return nil, ironcurtain.ErrClosed
	}
	return s.set.Tools(ctx)
}

// Call runs one tool. Refusals (SSRF, scheme, port, redirect policy), HTTP
// failures and bad arguments are tool errors (Result.IsError) the agent can
// act on; a non-2xx status is a normal result that shows the status. Call
// returns an error only when the call could not run: an unknown tool
// (ironcurtain.ErrUnknownTool), ctx done (ctx.Err()), or a closed Server
// (ironcurtain.ErrClosed).
func (s *Server) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if s.closed.Load() {
		return ironcurtain.Result{}, ironcurtain.ErrClosed
	}
	return s.set.Call(ctx, call)
}

// Close releases idle connections. Calls after Close fail with
// ironcurtain.ErrClosed; Close is idempotent and always returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.transport.CloseIdleConnections()
		if s.search != nil {
			s.search.close()
		}
	})
	return nil
}

var fetchToolDef = ironcurtain.Tool{
	Name:  ToolFetch,
	Title: "Fetch a web page",
	Description: "Fetch a URL with HTTP GET and return its status, key headers and content. " +
		"HTML is returned as Markdown of the main content (default), as plain text, or as raw HTML; " +
		"other text types (JSON, XML, plain text) as they are; binary types are refused. " +
		"Internal and private network addresses are refused, redirects are followed (at most 5) " +
		"and each hop is checked again. Credential headers are not sent.",
	OutputSchema: toolset.SchemaOf[fetchOutput](),
	Annotations:  ironcurtain.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: true},
}

var searchToolDef = ironcurtain.Tool{
	Name:         ToolSearch,
	Title:        "Search the web",
	Description:  "Search the web and return a numbered list of results, each with a title, a URL and a snippet.",
	OutputSchema: toolset.SchemaOf[searchOutput](),
	Annotations:  ironcurtain.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: true},
}
