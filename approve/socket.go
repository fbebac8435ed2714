package approve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// MaxSocketLine bounds one request line on the escalation socket.
const MaxSocketLine = 64 << 10

// SocketRequest is one line a front end sends on the escalation socket
// ([Broker.Serve]):
//
//	{"op":"pending"}
//	{"op":"decide","id":"…","decision":"approve","scope":"scoped","ttl":"1h","digest":"…"}
//	{"op":"grants"}
//	{"op":"revoke","id":"…"}
//	{"op":"subscribe"}
//
// Unknown fields are an error.
type SocketRequest struct {
	Op string `json:"op"`
	// ID names the escalation (decide) or the grant (revoke).
	ID       string   `json:"id,omitempty"`
	Decision string   `json:"decision,omitempty"`
	Scope    string   `json:"scope,omitempty"`
	TTL      Duration `json:"ttl,omitzero"`
	Digest   string   `json:"digest,omitempty"`
}

// SocketReply answers one request, in order: Reply names the request's op,
// OK whether it was done, Error why not. Events pushed after "subscribe"
// are [Event] lines, told apart by their "event" field.
type SocketReply struct {
	Reply   string      `json:"reply"`
	OK      bool        `json:"ok"`
	Error   string      `json:"error,omitempty"`
	Pending []Pending   `json:"pending,omitempty"`
	Grants  []GrantInfo `json:"grants,omitempty"`
	Revoked bool        `json:"revoked,omitempty"`
}

// ParseSocketRequest decodes one request line strictly: one JSON object,
// known fields only, a known op.
func ParseSocketRequest(line []byte) (SocketRequest, error) {
	var r SocketRequest
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return SocketRequest{}, fmt.Errorf("approve: bad request: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return SocketRequest{}, errors.New("approve: bad request: data after the object")
	}
	switch r.Op {
	case "pending", "grants", "subscribe":
	case "decide", "revoke":
		if r.ID == "" {
			return SocketRequest{}, fmt.Errorf("approve: bad request: %s needs an id", r.Op)
		}
	default:
		return SocketRequest{}, fmt.Errorf("approve: bad request: unknown op %q (want pending, decide, grants, revoke or subscribe)", r.Op)
	}
	return r, nil
}

// Serve speaks the escalation socket protocol on every connection ln
// accepts, until ln is closed; then it closes the connections and returns
// the error Accept returned. Each line a front end sends is a
// [SocketRequest] and gets one [SocketReply]; after "subscribe" the
// broker's events are pushed on the same connection as [Event] lines. A
// line longer than MaxSocketLine ends the connection. Decisions made here
// are by "socket".
//
// Whoever can connect can approve: listen on a socket only its owner can
// reach, as internal/unixsock makes (mode 0600, created in a private
// directory).
func (b *Broker) Serve(ln net.Listener) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	defer func() {
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.serveConn(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

// serveConn answers one front end until it hangs up.
func (b *Broker) serveConn(c net.Conn) {
	defer c.Close()
	var wmu sync.Mutex
	enc := json.NewEncoder(c)
	write := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return enc.Encode(v)
	}
	var sub *Subscription
	var subDone chan struct{}
	defer func() {
		if sub != nil {
			sub.Close()
			<-subDone
		}
	}()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), MaxSocketLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rep := b.answer(line, &sub)
		if err := write(rep); err != nil {
			return
		}
		if rep.Reply == "subscribe" && rep.OK && subDone == nil {
			subDone = make(chan struct{})
			go func(s *Subscription) {
				defer close(subDone)
				for e := range s.C {
					if write(e) != nil {
						c.Close()
						return
					}
				}
				if err := s.Err(); err != nil {
					_ = write(SocketReply{Reply: "subscribe", Error: err.Error()})
					c.Close()
				}
			}(sub)
		}
	}
}

// answer handles one request line; a "subscribe" sets *sub.
func (b *Broker) answer(line []byte, sub **Subscription) SocketReply {
	r, err := ParseSocketRequest(line)
	if err != nil {
		return SocketReply{Reply: "error", Error: err.Error()}
	}
	rep := SocketReply{Reply: r.Op}
	switch r.Op {
	case "pending":
		rep.Pending = b.Pending()
	case "grants":
		rep.Grants = b.Grants()
	case "decide":
		err = b.Decide("socket", BrokerDecision{ID: r.ID, Decision: r.Decision, Scope: r.Scope, TTL: r.TTL, Digest: r.Digest})
	case "revoke":
		rep.Revoked, err = b.Revoke(r.ID)
	case "subscribe":
		if *sub != nil {
			err = errors.New("approve: already subscribed")
		} else {
			*sub = b.Subscribe()
		}
	}
	if err != nil {
		rep.Error = err.Error()
	} else {
		rep.OK = true
	}
	return rep
}
