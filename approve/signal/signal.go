package signal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain/approve"
)

// maxMessage caps the text of one escalation message; the digest, above the
// arguments, is never cut.
const maxMessage = 4000

// maxLine bounds one JSON-RPC line from signal-cli.
const maxLine = 1 << 20

// Options configures an [Approver].
type Options struct {
	// Network and Address locate signal-cli's daemon: "unix" and a socket
	// path (signal-cli daemon --socket PATH), or "tcp" and a loopback
	// host:port (--tcp).
	Network, Address string
	// Account, when set, is passed as "account" on every call
	// (signal-cli's multi-account mode).
	Account string
	// Number is the only number that may answer, and the one escalations are
	// sent to (E.164, "+15551234567").
	Number string
	// Backoff is the first wait before reconnecting; it doubles up to 30 s.
	// Zero means 500 ms.
	Backoff time.Duration
	// Logger receives ignored messages and transport errors; nil is silent.
	Logger *slog.Logger
	// OnMessage, when set, receives the text of each message from Number
	// that is not a reply to an escalation (ParseReply does not understand
	// it): a task or a follow-up, say. It is called on Run's goroutine, so
	// it must not block. Messages from other numbers never reach it. Unset,
	// such a message is answered "Not understood".
	OnMessage func(text string)
}

// maxQueued bounds the messages [Approver.Send] holds while signal-cli is
// not connected or slow; past it a message is dropped (and logged).
const maxQueued = 64

// Approver answers a Broker's escalations from a person's phone. Run it in
// one goroutine; it is not otherwise used concurrently.
type Approver struct {
	b   *approve.Broker
	o   Options
	log *slog.Logger

	codes map[string]string // code → escalation id
	ids   map[string]string // escalation id → code
	sent  map[string]bool   // escalation id → sent on this connection
	ts    map[int64]string  // sent message timestamp → escalation id
	reqs  map[int64]string  // JSON-RPC id of a send → escalation id
	next  int64
	out   chan string // queued by Send
}

// New returns an approver for b. Number and Address are required; a TCP
// address must be a loopback one.
func New(b *approve.Broker, o Options) (*Approver, error) {
	if b == nil || o.Number == "" || o.Address == "" {
		return nil, errors.New("signal: a broker, a number and an address are required")
	}
	switch o.Network {
	case "unix":
	case "tcp":
		host, _, err := net.SplitHostPort(o.Address)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("signal: %q is not a loopback address", o.Address)
		}
	default:
		return nil, fmt.Errorf("signal: network %q (want unix or tcp)", o.Network)
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Approver{b: b, o: o, log: log, codes: map[string]string{}, ids: map[string]string{}, out: make(chan string, maxQueued)}, nil
}

// Send queues text to be sent to Number. It never blocks: while signal-cli
// is out of reach messages wait, up to a bound past which they are
// dropped; it reports whether text was queued. It is safe for concurrent
// use.
func (a *Approver) Send(text string) bool {
	select {
	case a.out <- text:
		return true
	default:
		a.log.Warn("signal: too many messages queued; one was dropped")
		return false
	}
}

// Run serves until ctx is done, reconnecting to signal-cli after any
// transport error. While disconnected nothing is approved; escalations
// expire as the Broker's deadline says. It returns ctx's error.
func (a *Approver) Run(ctx context.Context) error {
	wait := a.o.Backoff
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, a.o.Network, a.o.Address)
		if err == nil {
			err = a.serve(ctx, c)
			_ = c.Close()
			wait = a.o.Backoff
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.log.Warn("signal: connection to signal-cli lost", "err", err, "retry", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

type rpcMsg struct {
	ID     *int64          `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

type envelope struct {
	Envelope struct {
		Source       string `json:"source"`
		SourceNumber string `json:"sourceNumber"`
		DataMessage  *struct {
			Message string `json:"message"`
			Quote   *struct {
				ID int64 `json:"id"`
			} `json:"quote"`
		} `json:"dataMessage"`
	} `json:"envelope"`
}

func (a *Approver) serve(ctx context.Context, c net.Conn) error {
	ctx, cancel := context.WithCancel(ctx) // also ends the reader below
	defer cancel()
	sub := a.b.Subscribe()
	defer sub.Close()
	a.sent, a.ts, a.reqs = map[string]bool{}, map[int64]string{}, map[int64]string{}
	lines := make(chan []byte)
	rerr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c)
		sc.Buffer(make([]byte, 0, 4096), maxLine)
		for sc.Scan() {
			select {
			case lines <- append([]byte(nil), sc.Bytes()...):
			case <-ctx.Done():
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = errors.New("signal: signal-cli closed the connection")
		}
		rerr <- err
	}()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	// Known codes survive a reconnect; anything pending is (re)sent.
	for _, p := range a.b.Pending() {
		if err := a.announce(c, p); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-rerr:
			return err
		case e, ok := <-sub.C:
			if !ok {
				return fmt.Errorf("signal: broker subscription ended: %w", sub.Err())
			}
			switch e.Kind {
			case "escalation":
				if err := a.announce(c, *e.Escalation); err != nil {
					return err
				}
			case "resolved":
				a.forget(e.ID)
			}
		case l := <-lines:
			if err := a.handle(c, l); err != nil {
				return err
			}
		case text := <-a.out:
			if _, err := a.send(c, text); err != nil {
				return err
			}
		}
	}
}

func (a *Approver) forget(id string) {
	delete(a.codes, a.ids[id])
	delete(a.ids, id)
	delete(a.sent, id)
	for ts, v := range a.ts {
		if v == id {
			delete(a.ts, ts)
		}
	}
}

func (a *Approver) announce(c net.Conn, p approve.Pending) error {
	if a.sent[p.ID] {
		return nil
	}
	code, ok := a.ids[p.ID]
	if !ok {
		for {
			code = newCode()
			if _, dup := a.codes[code]; !dup {
				break
			}
		}
		a.codes[code], a.ids[p.ID] = p.ID, code
	}
	rpcID, err := a.send(c, Message(p, code))
	if err != nil {
		return err
	}
	a.sent[p.ID], a.reqs[rpcID] = true, p.ID
	return nil
}

func (a *Approver) send(c net.Conn, text string) (int64, error) {
	a.next++
	params := map[string]any{"recipient": []string{a.o.Number}, "message": text}
	if a.o.Account != "" {
		params["account"] = a.o.Account
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "send", "params": params, "id": a.next})
	if err != nil {
		return 0, err
	}
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write(append(b, '\n'))
	return a.next, err
}

func (a *Approver) handle(c net.Conn, line []byte) error {
	var m rpcMsg
	if err := json.Unmarshal(line, &m); err != nil {
		a.log.Warn("signal: unreadable line from signal-cli", "err", err)
		return nil
	}
	if m.ID != nil && m.Method == "" { // the answer to a send
		id, ok := a.reqs[*m.ID]
		delete(a.reqs, *m.ID)
		var r struct {
			Timestamp int64 `json:"timestamp"`
		}
		if ok && json.Unmarshal(m.Result, &r) == nil && r.Timestamp != 0 && a.ids[id] != "" {
			a.ts[r.Timestamp] = id
		}
		if len(m.Error) > 0 {
			a.log.Warn("signal: send failed", "err", string(m.Error))
		}
		return nil
	}
	if m.Method != "receive" {
		return nil
	}
	var env envelope
	if err := json.Unmarshal(m.Params, &env); err != nil || env.Envelope.DataMessage == nil {
		return nil
	}
	if env.Envelope.SourceNumber != a.o.Number {
		a.log.Warn("signal: ignored a message from another number", "from", env.Envelope.SourceNumber)
		return nil
	}
	dm := env.Envelope.DataMessage
	r, err := ParseReply(dm.Message)
	if err != nil && a.o.OnMessage != nil && strings.TrimSpace(dm.Message) != "" {
		a.o.OnMessage(dm.Message)
		return nil
	}
	id := ""
	if err == nil {
		switch {
		case r.Code != "":
			id = a.codes[r.Code]
		case dm.Quote != nil:
			id = a.ts[dm.Quote.ID]
		}
	}
	if id == "" {
		_, err := a.send(c, "Not understood, or no pending request has that code. Reply \"approve CODE\", \"deny CODE\" or \"approve CODE for 1h\".")
		return err
	}
	d := approve.BrokerDecision{ID: id, Decision: "deny"}
	if r.Approve {
		d.Decision = "approve"
		for _, p := range a.b.Pending() {
			if p.ID == id {
				d.Digest = p.Presentation.Digest
				if r.TTL > 0 {
					switch {
					case p.Exact:
						d.Scope = approve.ScopeExact
					case p.Scoped != "":
						d.Scope = approve.ScopeScoped
					}
					d.TTL = approve.Duration(r.TTL)
				}
			}
		}
	}
	if err := a.b.Decide("signal", d); err != nil {
		_, serr := a.send(c, "Not done: "+err.Error())
		return serr
	}
	return nil
}

// Message is the text sent for p with its code: the presentation (already
// escaped by approve.Present, so no argument can add a line), cut to a
// bound, then how to answer.
func Message(p approve.Pending, code string) string {
	body := p.Presentation.Text()
	if len(body) > maxMessage {
		body = strings.ToValidUTF8(body[:maxMessage], "") + "\n… (cut; the digest above names the full arguments)\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "IronCurtain asks for approval [%s]\n\n%s\n", code, body)
	if !p.Deadline.IsZero() {
		fmt.Fprintf(&b, "No answer by %s is a denial.\n", p.Deadline.UTC().Format(time.TimeOnly+" MST"))
	}
	fmt.Fprintf(&b, "Reply \"approve %s\", \"deny %s\"", code, code)
	if p.Exact || p.Scoped != "" {
		fmt.Fprintf(&b, " or \"approve %s for 1h\"", code)
	}
	b.WriteString(".\n")
	return b.String()
}
