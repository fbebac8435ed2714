package proxy

import (
	"encoding/json"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// streamSession is the mcp-go session of one stream.
type streamSession struct {
	id          string
	notif       chan mcp.JSONRPCNotification
	initialized atomic.Bool
	listenID    atomic.Pointer[json.RawMessage]

	clientInfo guarded[mcp.Implementation]
	clientCaps guarded[mcp.ClientCapabilities]
	filter     guarded[subscriptionFilter]
}

// subscriptionFilter is a stream's filter and whether it filters at all.
type subscriptionFilter struct {
	f         mcp.SubscriptionFilter
	filtering bool
}

// guarded is a value read and written whole under its own lock.
type guarded[T any] struct {
	mu sync.Mutex
	v  T
}

func (g *guarded[T]) get() T {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.v
}

func (g *guarded[T]) set(v T) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.v = v
}

func newStreamSession(id string) *streamSession {
	return &streamSession{id: id, notif: make(chan mcp.JSONRPCNotification, 100)}
}

func (s *streamSession) SessionID() string                                   { return s.id }
func (s *streamSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return s.notif }
func (s *streamSession) Initialize()                                         { s.initialized.Store(true) }
func (s *streamSession) Initialized() bool                                   { return s.initialized.Load() }

func (s *streamSession) GetClientInfo() mcp.Implementation              { return s.clientInfo.get() }
func (s *streamSession) SetClientInfo(v mcp.Implementation)             { s.clientInfo.set(v) }
func (s *streamSession) GetClientCapabilities() mcp.ClientCapabilities  { return s.clientCaps.get() }
func (s *streamSession) SetClientCapabilities(v mcp.ClientCapabilities) { s.clientCaps.set(v) }

func (s *streamSession) SetSubscriptionFilter(f mcp.SubscriptionFilter) {
	s.filter.set(subscriptionFilter{f, !f.IsEmpty()})
}

func (s *streamSession) SubscriptionFilter() (mcp.SubscriptionFilter, bool) {
	sf := s.filter.get()
	return sf.f, sf.filtering
}

// tag marks a notification with the subscriptions/listen request whose
// stream carries it, as protocol 2026-07-28 asks, when one is open.
func (s *streamSession) tag(n mcp.JSONRPCNotification) mcp.JSONRPCNotification {
	id := s.listenID.Load()
	if id == nil {
		return n
	}
	meta := make(map[string]any, len(n.Params.Meta)+1)
	maps.Copy(meta, n.Params.Meta)
	meta[mcp.MetaKeySubscriptionID] = *id
	n.Params.Meta = meta
	return n
}

var (
	_ server.SessionWithClientInfo         = (*streamSession)(nil)
	_ server.SessionWithSubscriptionFilter = (*streamSession)(nil)
)
