package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// The stdio and Unix-socket transport: newline-delimited JSON-RPC, one MCP
// session per stream.
//
// mcp-go's StdioServer is not used: it keeps its session in a package
// variable (so one process can serve one stream only, never a socket with
// several clients), reads lines of any length, and logs to os.Stderr. This
// transport hands each message to MCPServer.HandleMessage itself.

// maxInFlight bounds the requests one session has running at once; the
// reader waits for a slot, which pushes back on the client.
const maxInFlight = 64

// ServeStdio serves one MCP session over newline-delimited JSON-RPC read
// from in and written to out, typically os.Stdin and os.Stdout. Nothing but
// JSON-RPC messages is ever written to out.
//
// Requests are served concurrently; a request can be cancelled with
// notifications/cancelled. A line that is not JSON is answered with a parse
// error, one longer than MaxMessageBytes with an invalid-request error for
// its id; the session goes on.
//
// ServeStdio returns nil when in ends, after the requests in flight have
// been answered (or cancelled, if they take ten seconds more); ctx.Err()
// when ctx is done; or the error that made reading or writing fail. A
// client that hangs up is not an error. ServeStdio does not close in or
// out; a read blocked in in may outlive the call when ctx ends first.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	return s.serveStream(ctx, in, out, "stdio")
}

// serveStream serves one session on a stream; kind prefixes the session ID.
func (s *Server) serveStream(ctx context.Context, in io.Reader, out io.Writer, kind string) error {
	sess := newStreamSession(fmt.Sprintf("%s-%d", kind, s.sessions.Add(1)))
	if err := s.mcp.RegisterSession(ctx, sess); err != nil {
		return err
	}
	defer s.mcp.UnregisterSession(context.WithoutCancel(ctx), sess.id)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := &frameWriter{w: out, fail: cancel}
	defer w.close()
	st := &streamState{srv: s, sess: sess, w: w, ctx: s.mcp.WithContext(ctx, sess), work: make(chan func())}

	go func() {
		for {
			select {
			case n := <-sess.notif:
				w.write(sess.tag(n))
			case <-ctx.Done():
				return
			}
		}
	}()

	readDone := make(chan error, 1)
	go func() { readDone <- st.read(newFrameReader(in, s.cfg.MaxMessageBytes)) }()

	var err error
	select {
	case err = <-readDone:
		st.stopListens() // the client is gone; long polls end now
	case <-ctx.Done():
	}
	st.stop(cancel)
	if cause := context.Cause(ctx); cause != nil {
		if err == nil || errors.Is(cause, errWrite) {
			err = cause
		}
	}
	if errors.Is(err, io.EOF) || hungUp(err) {
		err = nil
	}
	return err
}

// hungUp reports whether a write failed because the client closed its end:
// the normal way for a session to end, not a failure.
func hungUp(err error) bool {
	return errors.Is(err, errWrite) && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed))
}

// errWrite marks a failure to write to the client.
var errWrite = errors.New("proxy: writing to the client")

// streamState is the dispatch state of one stream session.
type streamState struct {
	srv  *Server
	sess *streamSession
	w    *frameWriter
	ctx  context.Context
	work chan func() // to idle workers

	mu      sync.Mutex
	stopped bool
	workers int
	wg      sync.WaitGroup // requests in flight
	listens map[*context.CancelFunc]struct{}
}

// read reads and dispatches messages until the stream ends.
func (st *streamState) read(fr *frameReader) error {
	for {
		line, id, err := fr.next()
		if errors.Is(err, errLineTooLong) {
			st.w.writeError(id, mcp.INVALID_REQUEST, "message too large")
			continue
		}
		if err != nil {
			return err
		}
		if st.ctx.Err() != nil {
			return nil
		}
		st.dispatch(bytes.Clone(line))
	}
}

// dispatch classifies one message and serves it.
func (st *streamState) dispatch(msg []byte) {
	var head struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
	}
	if err := json.Unmarshal(msg, &head); err != nil || msg[0] != '{' {
		if !json.Valid(msg) {
			st.w.writeError(nil, mcp.PARSE_ERROR, "Parse error")
		} else {
			st.w.writeError(nil, mcp.INVALID_REQUEST, "Invalid Request")
		}
		return
	}
	isNull := len(head.ID) == 0 || string(head.ID) == "null"
	switch {
	case head.Method == nil:
		return // a response: this server sends no requests
	case isNull:
		// A notification. Served in order, so that a cancellation is seen
		// after the request it cancels; it has no answer.
		st.handle(st.ctx, msg)
		return
	case *head.Method == string(mcp.MethodInitialize):
		st.w.write(st.handle(st.ctx, msg)) // in order: everything else follows it
		return
	}
	ctx := st.ctx
	var cancel context.CancelFunc
	if *head.Method == string(mcp.MethodSubscriptionsListen) {
		ctx, cancel = context.WithCancel(ctx)
	}
	st.mu.Lock()
	if st.stopped {
		st.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return
	}
	if cancel != nil {
		if st.listens == nil {
			st.listens = map[*context.CancelFunc]struct{}{}
		}
		st.listens[&cancel] = struct{}{}
		st.sess.listenID.Store(&head.ID)
	}
	st.wg.Add(1)
	st.mu.Unlock()
	st.run(func() {
		defer st.wg.Done()
		resp := st.handle(ctx, msg)
		if cancel != nil {
			st.mu.Lock()
			delete(st.listens, &cancel)
			st.mu.Unlock()
			st.sess.listenID.CompareAndSwap(&head.ID, nil)
			cancel()
		}
		if resp != nil {
			st.w.write(resp)
		} else {
			st.w.writeError(head.ID, mcp.INTERNAL_ERROR, "no response")
		}
	})
}

// run hands a request to an idle worker, or starts one, up to maxInFlight;
// beyond that it waits, which pushes back on the client. Workers outlive
// their requests so that their grown stacks are reused: a fresh goroutine
// per request spends much of its time growing its stack through
// encoding/json.
func (st *streamState) run(job func()) {
	select {
	case st.work <- job:
		return
	default:
	}
	st.mu.Lock()
	if st.workers < maxInFlight {
		st.workers++
		st.mu.Unlock()
		go st.worker(job)
		return
	}
	st.mu.Unlock()
	select {
	case st.work <- job:
	case <-st.ctx.Done():
		job() // handle sees the cancelled context and answers at once
	}
}

func (st *streamState) worker(job func()) {
	for {
		job()
		select {
		case job = <-st.work:
		case <-st.ctx.Done():
			return
		}
	}
}

// handle runs one message through the MCP server, turning a panic into an
// internal error.
func (st *streamState) handle(ctx context.Context, msg []byte) (resp mcp.JSONRPCMessage) {
	defer func() {
		if p := recover(); p != nil {
			st.srv.log.Error("proxy: panic handling a message", "panic", p)
			resp = mcp.JSONRPCError{
				JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(idValue(idOf(msg))),
				Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, "internal error", nil),
			}
		}
	}()
	return st.srv.mcp.HandleMessage(ctx, msg)
}

// stopListens ends the subscriptions/listen requests in flight.
func (st *streamState) stopListens() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for c := range st.listens {
		(*c)()
	}
}

// Once the input has ended, requests in flight get drainTimeout to finish
// and be answered, then their contexts are cancelled; after abandonTimeout
// more the session ends anyway, leaving behind only goroutines stuck
// writing to a client that stopped reading.
const (
	drainTimeout   = 10 * time.Second
	abandonTimeout = 2 * time.Second
)

var errDrained = errors.New("proxy: session over")

// stop refuses new requests and waits for those in flight, as above.
func (st *streamState) stop(cancel context.CancelCauseFunc) {
	st.mu.Lock()
	st.stopped = true
	st.mu.Unlock()
	idle := make(chan struct{})
	go func() {
		st.wg.Wait()
		close(idle)
	}()
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-idle:
		return
	case <-st.ctx.Done():
	case <-t.C:
	}
	cancel(errDrained)
	t.Reset(abandonTimeout)
	select {
	case <-idle:
	case <-t.C:
		st.srv.log.Warn("proxy: session ended with requests still writing")
	}
}

// idValue decodes a raw JSON-RPC id for mcp.NewRequestId: a string, an
// int64, a float64, or nil.
func idValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil {
			return i
		}
		if f, err := n.Float64(); err == nil {
			return f
		}
	}
	return nil
}

// frameWriter writes whole JSON-RPC messages, one per line, serially.
type frameWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	closed bool
	failed bool
	fail   context.CancelCauseFunc
}

// write encodes and writes one message. A message that cannot be encoded
// is replaced by an internal error for its id; a write error ends the
// session.
func (w *frameWriter) write(msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		var id any
		switch m := msg.(type) {
		case mcp.JSONRPCResponse:
			id = m.ID.Value()
		case *mcp.JSONRPCResponse:
			id = m.ID.Value()
		}
		b, _ = json.Marshal(mcp.JSONRPCError{
			JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id),
			Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, "response cannot be encoded", nil),
		})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.failed {
		return
	}
	w.buf = append(append(w.buf[:0], b...), '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		w.failed = true
		w.fail(fmt.Errorf("%w: %w", errWrite, err))
	}
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
}

// writeError writes a JSON-RPC error for a raw id (nil for null).
func (w *frameWriter) writeError(id json.RawMessage, code int, message string) {
	w.write(mcp.JSONRPCError{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(idValue(id)),
		Error: mcp.NewJSONRPCErrorDetails(code, message, nil),
	})
}

// close makes later writes no-ops.
func (w *frameWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
