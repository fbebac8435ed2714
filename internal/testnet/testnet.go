// Package testnet runs the small servers tests listen with.
package testnet

import "net"

// Serve accepts connections on ln until it is closed, in a goroutine of
// its own, and calls handle for each connection in a goroutine of its
// own, closing the connection when handle returns. It returns at once;
// handle nil just closes each connection.
func Serve(ln net.Listener, handle func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if handle != nil {
					handle(c)
				}
			}()
		}
	}()
}
