package fakeclock

import (
	"testing"
	"time"
)

func TestClockMovesOnlyWhenAdvanced(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := New(start)
	first := c.Now()
	if !first.Equal(start) || !c.Now().Equal(first) {
		t.Fatalf("Now = %v, then %v; want %v both times", first, c.Now(), start)
	}
	c.Advance(time.Minute)
	if want := start.Add(time.Minute); !c.Now().Equal(want) {
		t.Fatalf("Now = %v after Advance, want %v", c.Now(), want)
	}
}
