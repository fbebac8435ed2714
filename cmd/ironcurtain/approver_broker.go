package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/approve/web"
	"github.com/ironcurtain-go/ironcurtain/internal/unixsock"
)

// brokerApprover is an approver whose escalations a person answers on the
// terminal, on the web approval page, on the escalation socket, or on
// several of them (the first answer wins). Its Broker is the Chain's Human; once the grant store exists,
// Attach it so that the front ends list and revoke its grants.
//
// serve uses it for "approver": "web" and "socket"; ironcurtain run and
// chat can too:
//
//	ba, err := startBrokerApprover(brokerApproverConfig{Web: true, GrantTTL: ttl}, stderr)
//	opts.Human = ba.Broker
//	st, err := stack.New(ctx, opts)
//	ba.Attach(st.Grants)
//	defer ba.Close()
type brokerApprover struct {
	Broker *approve.Broker
	term   *approve.Terminal
	stop   context.CancelFunc // ends the terminal's front end
	termed chan error
	page   *web.Server
	sock   net.Listener
	served chan error
}

// brokerApproverConfig says which front ends to start.
type brokerApproverConfig struct {
	// Web starts the approval page on WebAddr (a loopback address; "" is
	// 127.0.0.1 on a free port) and prints its URL, with its token, to
	// the writer startBrokerApprover is given.
	Web     bool
	WebAddr string
	// Socket, when set, serves the escalation socket (JSON lines, mode
	// 0600) at this path.
	Socket string
	// Terminal shows the escalations on the controlling terminal too (and
	// offers grants lasting GrantTTL there).
	Terminal bool
	// GrantTTL caps the grants a front end may ask for; zero means the
	// grant store's own cap.
	GrantTTL time.Duration
}

// startBrokerApprover starts the broker and its front ends.
func startBrokerApprover(cfg brokerApproverConfig, stderr io.Writer) (_ *brokerApprover, err error) {
	if !cfg.Web && cfg.Socket == "" && !cfg.Terminal {
		return nil, errors.New("approver: neither the terminal, the web page nor the escalation socket is configured")
	}
	ba := &brokerApprover{Broker: approve.NewBroker(approve.BrokerOptions{MaxTTL: cfg.GrantTTL})}
	defer func() {
		if err != nil {
			ba.Close()
		}
	}()
	if cfg.Socket != "" {
		if ba.sock, err = unixsock.Listen(cfg.Socket); err != nil {
			return nil, fmt.Errorf("escalation socket: %w", err)
		}
		ba.served = make(chan error, 1)
		go func() { ba.served <- ba.Broker.Serve(ba.sock) }()
		fmt.Fprintf(stderr, "ironcurtain: escalations are served on %s (JSON lines)\n", cfg.Socket)
	}
	if cfg.Web {
		if ba.page, err = web.New(ba.Broker, web.Options{Addr: cfg.WebAddr}); err != nil {
			return nil, fmt.Errorf("web approver: %w", err)
		}
		fmt.Fprintf(stderr, "ironcurtain: approve escalations at %s\n", ba.page.URL())
	}
	if cfg.Terminal {
		ba.term = &approve.Terminal{GrantTTL: cfg.GrantTTL}
		ctx, stop := context.WithCancel(context.Background())
		ba.stop, ba.termed = stop, make(chan error, 1)
		go func() {
			err := ba.term.Serve(ctx, ba.Broker)
			if ctx.Err() == nil {
				fmt.Fprintf(stderr, "ironcurtain: the terminal answers no escalations: %v\n", err)
			}
			ba.termed <- err
		}()
	}
	return ba, nil
}

// Attach lets the front ends list and revoke the grants of g.
func (ba *brokerApprover) Attach(g *approve.Grants) {
	if g != nil {
		ba.Broker.SetGrants(g)
	}
}

// Close stops the front ends. Escalations still pending are denied when
// their deadlines pass.
func (ba *brokerApprover) Close() {
	if ba.term != nil {
		ba.stop()
		<-ba.termed
		ba.term.Close()
	}
	if ba.page != nil {
		ba.page.Close()
	}
	if ba.sock != nil {
		ba.sock.Close()
		<-ba.served
	}
}
