// Package signaltest is a scripted stand-in for signal-cli's JSON-RPC
// daemon, for tests of Signal front ends: it listens on a Unix socket,
// records each "send" call (answering it with a timestamp) and injects
// "receive" notifications as if a person had written.
package signaltest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// StandIn is the scripted daemon. Its methods are safe for concurrent use.
type StandIn struct {
	t     testing.TB
	ln    net.Listener
	sends chan map[string]any
	// Conns receives each connection accepted.
	Conns chan net.Conn

	mu   sync.Mutex
	conn net.Conn
	ts   int64
}

// New starts a stand-in on a socket in a temporary directory of t's; it
// stops when t ends.
func New(t testing.TB) *StandIn {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("signaltest: %v", err)
	}
	s := &StandIn{t: t, ln: ln, sends: make(chan map[string]any, 64), Conns: make(chan net.Conn, 4), ts: 1000}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = c
			s.mu.Unlock()
			s.Conns <- c
			go s.read(c)
		}
	}()
	return s
}

// Addr is the socket's path.
func (s *StandIn) Addr() string { return s.ln.Addr().String() }

func (s *StandIn) read(c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct {
			ID     int64          `json:"id"`
			Method string         `json:"method"`
			Params map[string]any `json:"params"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.Method != "send" {
			continue
		}
		s.mu.Lock()
		s.ts++
		ts := s.ts
		s.mu.Unlock()
		m.Params["_ts"] = float64(ts)
		fmt.Fprintf(c, `{"jsonrpc":"2.0","result":{"timestamp":%d},"id":%d}`+"\n", ts, m.ID)
		s.sends <- m.Params
	}
}

// Receive delivers a message from the number from, quoting the message
// sent at timestamp quote when it is not zero.
func (s *StandIn) Receive(from, text string, quote int64) {
	dm := map[string]any{"message": text, "timestamp": 1}
	if quote != 0 {
		dm["quote"] = map[string]any{"id": quote}
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "receive", "params": map[string]any{
		"envelope": map[string]any{"source": from, "sourceNumber": from, "dataMessage": dm}}})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		s.t.Fatal("signaltest: nobody is connected")
	}
	if _, err := s.conn.Write(append(b, '\n')); err != nil {
		s.t.Fatalf("signaltest: %v", err)
	}
}

// Drop closes the current connection, as a daemon that went away.
func (s *StandIn) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// NextSend returns the parameters of the next "send" call (recipient,
// message, and _ts, the timestamp it was answered with), failing t after
// 10 s without one.
func (s *StandIn) NextSend() map[string]any {
	s.t.Helper()
	select {
	case m := <-s.sends:
		return m
	case <-time.After(10 * time.Second):
		s.t.Fatal("signaltest: nothing was sent")
	}
	return nil
}

// Sent returns the "send" calls made and not yet taken, without waiting.
func (s *StandIn) Sent() []map[string]any {
	var out []map[string]any
	for {
		select {
		case m := <-s.sends:
			out = append(out, m)
		default:
			return out
		}
	}
}
