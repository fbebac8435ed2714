package testwait

import (
	"testing"
)

func TestRecvReturnsTheValueSent(t *testing.T) {
	c := make(chan int, 1)
	c <- 7
	if got := Recv(t, c, "number"); got != 7 {
		t.Fatalf("Recv = %d, want 7", got)
	}
}
