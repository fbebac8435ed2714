package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/approve/signal"
)

// signalFlags locate signal-cli's daemon and the person's number, for
// --approver signal (run and chat).
type signalFlags struct {
	signalNumber, signalSocket, signalTCP, signalAccount string
}

func (f *signalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.signalNumber, "signal-number", "", "with --approver signal: the only number that may answer, and the one asked (+15551234567)")
	fs.StringVar(&f.signalSocket, "signal-socket", "", "with --approver signal: signal-cli daemon's Unix socket (signal-cli -a ACCOUNT daemon --socket PATH)")
	fs.StringVar(&f.signalTCP, "signal-tcp", "", "with --approver signal: signal-cli daemon's loopback host:port (daemon --tcp), instead of --signal-socket")
	fs.StringVar(&f.signalAccount, "signal-account", "", "with --approver signal: the account, when signal-cli's daemon serves several")
}

// start starts a Signal approver answering b's escalations, until ctx is
// done. onMessage, when set, receives the person's messages that are not
// answers (see signal.Options.OnMessage); what is ignored and why is
// logged to logTo.
func (f signalFlags) start(ctx context.Context, b *approve.Broker, onMessage func(string), logTo io.Writer) (*signal.Approver, error) {
	o := signal.Options{Network: "unix", Address: f.signalSocket, Number: f.signalNumber, Account: f.signalAccount,
		OnMessage: onMessage, Logger: slog.New(slog.NewTextHandler(logTo, nil))}
	if f.signalTCP != "" {
		if f.signalSocket != "" {
			return nil, errors.New("--approver signal: give --signal-socket or --signal-tcp, not both")
		}
		o.Network, o.Address = "tcp", f.signalTCP
	}
	a, err := signal.New(b, o)
	if err != nil {
		return nil, fmt.Errorf("--approver signal: %w (give --signal-number and --signal-socket or --signal-tcp)", err)
	}
	go func() { _ = a.Run(ctx) }()
	return a, nil
}
