package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/client/transport"
)

// HTTPConfig describes an upstream MCP server reached over streamable HTTP.
type HTTPConfig struct {
	// Name is the server's name in errors and logs; by default the URL's host.
	Name string
	// URL is the MCP endpoint, for example "http://127.0.0.1:8080/mcp".
	URL string
	// Headers are sent with every request (an Authorization header, say).
	Headers map[string]string
	// HTTPClient makes the requests; nil means a client of its own. Its
	// Transport is wrapped to enforce MaxResponseBytes; its Timeout, if any,
	// also bounds the notification stream, so leave it zero.
	HTTPClient *http.Client
	// CallTimeout bounds each tool call; zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds the MCP handshake and the first tools/list; zero
	// means DefaultStartTimeout.
	StartTimeout time.Duration
	// MaxRestarts is how many times a session the server ended is started
	// again, on the next call. Zero means never.
	MaxRestarts int
	// MaxResponseBytes caps the body of each answer to a request; a larger
	// answer fails its call. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Logger receives transport events and skipped tool definitions; nil
	// means silent.
	Logger *slog.Logger
}

// HTTP connects to an upstream MCP server over streamable HTTP and lists its
// tools. ctx bounds the start only. The session listens for server
// notifications on the standalone GET stream, so list_changed is followed.
func HTTP(ctx context.Context, cfg HTTPConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy: HTTP upstream: invalid URL %q", cfg.URL)
	}
	name := cfg.Name
	if name == "" {
		name = u.Host
	}
	headers := maps.Clone(cfg.Headers)
	opts := clientOptions{
		callTimeout: cfg.CallTimeout, startTimeout: cfg.StartTimeout, maxRestarts: cfg.MaxRestarts,
		maxResponse: cfg.MaxResponseBytes, log: cfg.Logger,
	}
	dial := func(ctx context.Context, c *Client) (*conn, error) {
		hc := &http.Client{}
		if cfg.HTTPClient != nil {
			*hc = *cfg.HTTPClient
		}
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		hc.Transport = &cappedTransport{base: base, max: int64(c.opts.maxResponse)}
		tr, err := transport.NewStreamableHTTP(u.String(),
			transport.WithHTTPHeaders(headers),
			transport.WithHTTPBasicClient(hc),
			// Servers on protocol versions before 2026-07-28 send
			// list_changed only on the standalone GET stream, and most
			// servers are on those versions; without it, a tool list that
			// changes would go unseen.
			transport.WithContinuousListening(), //lint:ignore SA1019 legacy servers need the GET stream
			transport.WithHTTPLogger(c.opts.log),
		)
		if err != nil {
			return nil, err
		}
		return newConn(tr), nil
	}
	return newClient(ctx, name, opts, dial)
}

// cappedTransport fails the reading of any response body to a POST beyond
// max bytes. The GET notification stream is long-lived and left alone.
type cappedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return resp, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("proxy: response of %d bytes: %w", resp.ContentLength, ironcurtain.ErrLimit)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

var errBodyTooLarge = fmt.Errorf("proxy: response body too large: %w", ironcurtain.ErrLimit)

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the cap from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return b.rc.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
