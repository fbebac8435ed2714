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

	mu         sync.Mutex
	clientInfo mcp.Implementation
	clientCaps mcp.ClientCapabilities
	filter     mcp.SubscriptionFilter
	filtering  bool
}

func newStreamSession(id string) *streamSession {
	return &streamSession{id: id, notif: make(chan mcp.JSONRPCNotification, 100)}
}

func (s *streamSession) SessionID() string                                   { return s.id }
func (s *streamSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return s.notif }
func (s *streamSession) Initialize()                                         { s.initialized.Store(true) }
func (s *streamSession) Initialized() bool                                   { return s.initialized.Load() }

func (s *streamSession) GetClientInfo() mcp.Implementation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientInfo
}

func (s *streamSession) SetClientInfo(v mcp.Implementation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientInfo = v
}

func (s *streamSession) GetClientCapabilities() mcp.ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientCaps
}

func (s *streamSession) SetClientCapabilities(v mcp.ClientCapabilities) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientCaps = v
}

func (s *streamSession) SetSubscriptionFilter(f mcp.SubscriptionFilter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter, s.filtering = f, !f.IsEmpty()
}

func (s *streamSession) SubscriptionFilter() (mcp.SubscriptionFilter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filter, s.filtering
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
