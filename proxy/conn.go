package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// conn is one connection to the upstream: one process, or one HTTP session.
type conn struct {
	mc     *client.Client
	tr     transport.Interface
	proc   *process // nil over HTTP
	ids    atomic.Int64
	relist chan struct{}

	deadOnce sync.Once
	dead     chan struct{}
	deadErr  error // set before dead is closed
}

func newConn(tr transport.Interface) *conn {
	return &conn{
		mc:     client.NewClient(tr, client.WithProtocolVersion(upstreamProtocol)),
		tr:     tr,
		relist: make(chan struct{}, 1),
		dead:   make(chan struct{}),
	}
}

// markDead records why the connection ended; the first reason wins.
func (cn *conn) markDead(err error) {
	cn.deadOnce.Do(func() {
		cn.deadErr = err
		close(cn.dead)
	})
}

func (cn *conn) isDead() bool {
	select {
	case <-cn.dead:
		return true
	default:
		return false
	}
}

// close ends the connection and, for a process, waits for it to exit.
func (cn *conn) close() {
	cn.markDead(ironcurtain.ErrClosed)
	_ = cn.tr.Close()
	if cn.proc != nil {
		cn.proc.stop()
	}
}

// start initialises the MCP session (the legacy handshake) and installs the
// list_changed hook.
func (cn *conn) start(ctx context.Context) error {
	cn.mc.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationToolsListChanged {
			select {
			case cn.relist <- struct{}{}:
			default:
			}
		}
	})
	// The transport keeps this context for requests the upstream sends us;
	// it must outlive the start-up deadline.
	if err := cn.mc.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = upstreamProtocol
	req.Params.ClientInfo = mcp.Implementation{Name: "ironcurtain-proxy", Version: "1"}
	if _, err := cn.mc.Initialize(ctx, req); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	return nil
}

// request sends one raw JSON-RPC request and returns its raw result.
func (cn *conn) request(ctx context.Context, server, method string, params any) (json.RawMessage, error) {
	// Marshal here, so that a value that cannot be encoded is the caller's
	// error and never mistaken for a broken connection.
	body, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errEncoding, method, err)
	}
	id := mcp.NewRequestId("ic-" + strconv.FormatInt(cn.ids.Add(1), 10))
	resp, err := cn.tr.SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: id, Method: method, Params: json.RawMessage(body),
	})
	if err != nil {
		if ctx.Err() != nil {
			cn.cancelRequest(id, ctx.Err())
		}
		return nil, err
	}
	if e := resp.Error; e != nil {
		if e.Code == codeTooLarge {
			return nil, fmt.Errorf("proxy: upstream %s: %s: response too large: %w", server, method, ironcurtain.ErrLimit)
		}
		rpc := &RPCError{Server: server, Method: method, Code: e.Code, Message: e.Message}
		if e.Data != nil {
			rpc.Data, _ = json.Marshal(e.Data)
		}
		return nil, rpc
	}
	if len(resp.Result) == 0 || string(resp.Result) == "null" {
		return nil, fmt.Errorf("%w: %s: no result", ErrBadResponse, method)
	}
	return resp.Result, nil
}

// cancelRequest tells the upstream to stop working on a request we gave up
// on. Best effort, off the caller's path.
func (cn *conn) cancelRequest(id mcp.RequestId, reason error) {
	n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
		Method: string(mcp.MethodNotificationCancelled),
		Params: mcp.NotificationParams{AdditionalFields: map[string]any{"requestId": id, "reason": reason.Error()}},
	}}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cn.tr.SendNotification(ctx, n)
	}()
}

// listTools fetches the full tool list raw, following nextCursor. Tools that
// do not decode, or repeat a name, are skipped and logged: one bad definition
// must not take the others away.
func (cn *conn) listTools(ctx context.Context, server string, log *slog.Logger) ([]ironcurtain.Tool, error) {
	var tools []ironcurtain.Tool
	seen := map[string]bool{}
	cursors := map[string]bool{"": true}
	cursor := ""
	for page := 0; ; page++ {
		if page == maxListPages {
			return nil, fmt.Errorf("%w: tools/list: more than %d pages", ErrBadResponse, maxListPages)
		}
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		raw, err := cn.request(ctx, server, string(mcp.MethodToolsList), params)
		if err != nil {
			var rpc *RPCError
			if errors.As(err, &rpc) && rpc.Code == mcp.METHOD_NOT_FOUND && page == 0 {
				return nil, nil // a server without tools
			}
			return nil, err
		}
		p, err := decodeToolsPage(raw)
		if err != nil {
			return nil, err
		}
		for _, def := range p.Tools {
			t, err := decodeTool(def)
			if err == nil && seen[t.Name] {
				err = fmt.Errorf("duplicate tool %q", t.Name)
			}
			if err != nil {
				log.Warn("proxy: skipping an upstream tool", "server", server, "err", err)
				continue
			}
			seen[t.Name] = true
			tools = append(tools, t)
			if len(tools) > maxTools {
				return nil, fmt.Errorf("%w: tools/list: more than %d tools", ErrBadResponse, maxTools)
			}
		}
		if p.NextCursor == "" {
			return tools, nil
		}
		if cursors[p.NextCursor] {
			return nil, fmt.Errorf("%w: tools/list: cursor %q repeated", ErrBadResponse, p.NextCursor)
		}
		cursors[p.NextCursor] = true
		cursor = p.NextCursor
	}
}
