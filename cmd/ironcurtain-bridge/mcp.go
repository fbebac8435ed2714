package main

import (
	"context"
	"io"
	"net"
	"time"
)

// serverGrace is how long the MCP side may take to finish its answers
// after the agent closed standard input.
const serverGrace = 5 * time.Second

// pipeMCP connects stdin and stdout to the MCP socket until the server
// closes the connection, or the agent closes stdin and the server has
// answered what it was sent, or ctx is done.
func pipeMCP(ctx context.Context, socket string, stdin io.Reader, stdout io.Writer) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return err
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	inDone := make(chan struct{})
	go func() {
		defer close(inDone)
		io.Copy(conn, stdin)
		conn.CloseWrite() // tell the server the agent is done
	}()
	outDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(stdout, conn)
		outDone <- err
	}()
	select {
	case err := <-outDone:
		return quiet(ctx, err)
	case <-inDone:
	}
	t := time.NewTimer(serverGrace)
	defer t.Stop()
	select {
	case err := <-outDone:
		return quiet(ctx, err)
	case <-t.C:
		return nil
	}
}

// quiet drops the error of a connection closed because ctx ended.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
