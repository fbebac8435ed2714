package testnet

import (
	"io"
	"net"
	"testing"
)

// Each connection is handled and then closed, and Serve stops when the
// listener does.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	Serve(ln, func(c net.Conn) { _, _ = c.Write([]byte("hi")) })
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c) // ends only if the server closed the connection
		c.Close()
		if err != nil || string(b) != "hi" {
			t.Fatalf("read %q, %v; want \"hi\" and the end", b, err)
		}
	}
}
