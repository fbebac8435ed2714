package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/defaults"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Defaults for the zero values of StdioConfig and HTTPConfig.
const (
	DefaultCallTimeout      = 2 * time.Minute
	DefaultStartTimeout     = 30 * time.Second
	DefaultMaxResponseBytes = 16 << 20
)

// upstreamProtocol is the protocol version spoken to upstreams. The
// 2026-07-28 revision costs about twice the CPU per call in mcp-go and needs
// per-request _meta on the raw requests this package sends; nothing the
// proxy does needs its stateless features.
const upstreamProtocol = mcp.ProtocolVersion20251125

// Client is an upstream MCP server — a subprocess speaking over stdio, or a
// streamable-HTTP endpoint — as an [ironcurtain.ToolServer]. Register it with
// a Gate under a server name; the Gate judges every call before it reaches
// the upstream.
//
// Tools answers from a cached list, fetched raw (schemas kept byte for byte)
// when the connection starts and again whenever the upstream sends
// notifications/tools/list_changed; [Client.OnToolsChanged] reports changes.
//
// Every call has a deadline (CallTimeout). An upstream that hangs makes the
// call fail with an error satisfying errors.Is(err, context.DeadlineExceeded);
// one that crashes makes in-flight and later calls fail at once with an error
// satisfying errors.Is(err, ErrUpstreamDown), after up to MaxRestarts
// restarts. Responses larger than MaxResponseBytes fail with an error
// satisfying errors.Is(err, ironcurtain.ErrLimit); malformed ones with
// ErrBadResponse. None of these end the process.
//
// A Client is safe for concurrent use. Close is idempotent.
type Client struct {
	name string
	opts clientOptions
	dial func(ctx context.Context, c *Client) (*conn, error)

	dialMu sync.Mutex // serialises restarts

	mu        sync.Mutex
	cur       *conn
	tools     []ironcurtain.Tool
	restarts  int
	closed    bool
	listeners map[int]func()
	nextID    int

	done chan struct{}
	wg   sync.WaitGroup
}

type clientOptions struct {
	callTimeout  time.Duration
	startTimeout time.Duration
	maxRestarts  int
	maxResponse  int
	log          *slog.Logger
}

func (o *clientOptions) fill() {
	defaults.Positive(&o.callTimeout, DefaultCallTimeout)
	defaults.Positive(&o.startTimeout, DefaultStartTimeout)
	defaults.Positive(&o.maxResponse, DefaultMaxResponseBytes)
	if o.log == nil {
		o.log = discardLogger
	}
}

var discardLogger = slog.New(slog.DiscardHandler)

// errEncoding marks request parameters that cannot be encoded as JSON: the
// caller's mistake, never the connection's.
var errEncoding = errors.New("proxy: cannot encode request")

// newClient connects for the first time; the Client's lifetime does not
// depend on ctx, which bounds only the start.
func newClient(ctx context.Context, name string, opts clientOptions, dial func(context.Context, *Client) (*conn, error)) (*Client, error) {
	opts.fill()
	c := &Client{name: name, opts: opts, dial: dial, listeners: map[int]func(){}, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(ctx, opts.startTimeout)
	defer cancel()
	cn, tools, err := c.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream %s: %w", name, err)
	}
	c.cur, c.tools = cn, tools
	c.watch(cn)
	return c, nil
}

// connect dials, initialises and lists the tools.
func (c *Client) connect(ctx context.Context) (*conn, []ironcurtain.Tool, error) {
	cn, err := c.dial(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if err := cn.start(ctx); err != nil {
		cn.close()
		return nil, nil, c.startError(cn, err)
	}
	tools, err := cn.listTools(ctx, c.name, c.opts.log)
	if err != nil {
		cn.close()
		return nil, nil, c.startError(cn, err)
	}
	return cn, tools, nil
}

// startError prefers the reason a process died over the transport error it
// caused.
func (c *Client) startError(cn *conn, err error) error {
	if cn.proc != nil {
		if perr := cn.proc.exitError(); perr != nil {
			return fmt.Errorf("%w (%v)", err, perr)
		}
	}
	return err
}

// watch follows list_changed notifications on cn until it dies or the
// Client closes.
func (c *Client) watch(cn *conn) {
	c.wg.Go(func() {
		for {
			select {
			case <-cn.relist:
				ctx, cancel := context.WithTimeout(context.Background(), c.opts.startTimeout)
				tools, err := cn.listTools(ctx, c.name, c.opts.log)
				cancel()
				if err != nil {
					c.opts.log.Warn("proxy: re-listing tools failed", "server", c.name, "err", err)
					continue
				}
				c.setTools(cn, tools)
			case <-cn.dead:
				return
			case <-c.done:
				return
			}
		}
	})
}

// setTools installs a new list fetched on cn and tells the listeners if it
// differs from the old one.
func (c *Client) setTools(cn *conn, tools []ironcurtain.Tool) {
	c.mu.Lock()
	if c.closed || c.cur != cn || sameTools(c.tools, tools) {
		c.mu.Unlock()
		return
	}
	c.tools = tools
	fs := make([]func(), 0, len(c.listeners))
	for _, f := range c.listeners {
		fs = append(fs, f)
	}
	c.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Name returns the name the Client reports in errors and logs.
func (c *Client) Name() string { return c.name }

// Tools returns the upstream's tools as last listed, also while the upstream
// is down (calls to them then fail). The caller may modify the slice but not
// the schema bytes. After Close it returns ironcurtain.ErrClosed.
func (c *Client) Tools(context.Context) ([]ironcurtain.Tool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ironcurtain.ErrClosed
	}
	return slices.Clone(c.tools), nil
}

// OnToolsChanged registers f to be called after the upstream's tool list
// changed (a list_changed notification, or a restart with different tools).
// It implements [ToolsNotifier].
func (c *Client) OnToolsChanged(f func()) (stop func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	c.listeners[id] = f
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.listeners, id)
	}
}

// Err returns why the current connection to the upstream ended, or nil
// while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil || !cn.isDead() {
		return nil
	}
	return cn.deadErr
}

// Call runs one tool on the upstream. call.Server is ignored. A JSON-RPC
// error from the upstream is returned as an *RPCError; a tool-level failure
// is a Result with IsError.
func (c *Client) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	cn, err := c.live(ctx)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	args := call.Arguments
	if args == nil {
		args = map[string]any{}
	}
	cctx, cancel := context.WithTimeout(ctx, c.opts.callTimeout)
	defer cancel()
	raw, err := cn.request(cctx, c.name, string(mcp.MethodToolsCall), struct {
		Name      string         `json:"name"`
		Arguments map[string]any `json:"arguments"`
	}{call.Tool, args})
	if err != nil {
		return ironcurtain.Result{}, c.callError(ctx, cctx, cn, call.Tool, err)
	}
	res, err := decodeResult(raw)
	if err != nil {
		return ironcurtain.Result{}, fmt.Errorf("proxy: upstream %s: tool %s: %w", c.name, call.Tool, err)
	}
	return res, nil
}

// callError classifies a failed request: the caller gave up, the call timed
// out, the upstream went away, or the upstream answered badly.
func (c *Client) callError(ctx, cctx context.Context, cn *conn, tool string, err error) error {
	var rpc *RPCError
	switch {
	case errors.As(err, &rpc), errors.Is(err, ironcurtain.ErrLimit), errors.Is(err, ErrBadResponse),
		errors.Is(err, errEncoding):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("proxy: upstream %s: tool %s: %w", c.name, tool, ctx.Err())
	case cctx.Err() != nil:
		return fmt.Errorf("proxy: upstream %s: tool %s: no answer within %v: %w", c.name, tool, c.opts.callTimeout, context.DeadlineExceeded)
	}
	if cn.proc != nil {
		// A stdio transport fails only when the pipe or the process is gone.
		cn.proc.waitBriefly()
		cn.markDead(cn.proc.lostError(err))
		cn.close()
		return c.downError(cn)
	}
	if errors.Is(err, transport.ErrSessionTerminated) {
		cn.markDead(err)
	}
	return fmt.Errorf("proxy: upstream %s: tool %s: %w: %w", c.name, tool, ErrUpstreamDown, err)
}

func (c *Client) downError(cn *conn) error {
	return fmt.Errorf("proxy: upstream %s: %w: %w", c.name, ErrUpstreamDown, cn.deadErr)
}

// live returns a working connection, restarting the upstream if it died and
// restarts remain.
func (c *Client) live(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ironcurtain.ErrClosed
	}
	cn := c.cur
	c.mu.Unlock()
	if !cn.isDead() {
		return cn, nil
	}
	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ironcurtain.ErrClosed
	}
	if c.cur != cn && !c.cur.isDead() { // restarted while we waited
		cn = c.cur
		c.mu.Unlock()
		return cn, nil
	}
	cn = c.cur
	if c.restarts >= c.opts.maxRestarts {
		c.mu.Unlock()
		return nil, c.downError(cn)
	}
	c.restarts++
	n := c.restarts
	c.mu.Unlock()

	c.opts.log.Warn("proxy: restarting upstream", "server", c.name, "restart", n, "cause", cn.deadErr)
	sctx, cancel := context.WithTimeout(ctx, c.opts.startTimeout)
	defer cancel()
	ncn, tools, err := c.connect(sctx)
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream %s: %w: restart failed: %w", c.name, ErrUpstreamDown, err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ncn.close()
		return nil, ironcurtain.ErrClosed
	}
	c.cur = ncn
	c.mu.Unlock()
	c.watch(ncn)
	c.setTools(ncn, tools)
	return ncn, nil
}

// Close ends the connection and stops the upstream process, waiting briefly
// for it to exit before killing it. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	c.mu.Unlock()
	// A restart in progress holds dialMu; once it is done, it has seen closed
	// and kept no new connection, so the current one is the last.
	c.dialMu.Lock()
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	c.dialMu.Unlock()
	cn.close()
	c.wg.Wait()
	return nil
}

var _ io.Closer = (*Client)(nil)
var _ ironcurtain.ToolServer = (*Client)(nil)
var _ ToolsNotifier = (*Client)(nil)
