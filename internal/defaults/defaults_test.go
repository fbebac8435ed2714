package defaults

import (
	"testing"
	"time"
)

func TestPositive(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{{0, time.Second}, {-1, time.Second}, {time.Minute, time.Minute}} {
		got := tt.in
		Positive(&got, time.Second)
		if got != tt.want {
			t.Errorf("Positive(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	f := 0.5
	Positive(&f, 2)
	if f != 0.5 {
		t.Errorf("Positive(0.5) = %v", f)
	}
}
