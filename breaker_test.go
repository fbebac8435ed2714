package ironcurtain

import (
	"encoding/json"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestBreakerNeverExceedsThreshold: for any sequence of calls, no window of
// the configured length ever holds more than Threshold admitted calls of one
// key, and a call is refused only when the window is full.
func TestBreakerNeverExceedsThreshold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		threshold := rapid.IntRange(1, 6).Draw(t, "threshold")
		window := time.Duration(rapid.IntRange(1, 100).Draw(t, "window")) * time.Second
		// Gaps in milliseconds, so that the test sees the window's edge.
		now := time.Unix(0, 0)
		b := newBreaker(BreakerConfig{Threshold: threshold, Window: window}, func() time.Time { return now })
		admitted := map[int][]time.Time{}
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 30_000).Draw(t, "gap")) * time.Millisecond)
			k := rapid.IntRange(0, 2).Draw(t, "key")
			key := breakerKey{server: "s", tool: "t", args: uint64(k)}
			inWindow := 0
			for _, at := range admitted[k] {
				if now.Sub(at) < window {
					inWindow++
				}
			}
			if peek := b.check(key, false); peek != (inWindow < threshold) {
				t.Fatalf("peek said %v with %d calls in the window", peek, inWindow)
			}
			ok := b.check(key, true)
			if ok != (inWindow < threshold) {
				t.Fatalf("check said %v with %d calls in the window (threshold %d)", ok, inWindow, threshold)
			}
			if ok {
				admitted[k] = append(admitted[k], now)
			}
		}
	})
}

func TestBreakerSweepsStaleKeys(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(BreakerConfig{Threshold: 2, Window: time.Minute}, func() time.Time { return now })
	for i := range minSweep {
		require.True(t, b.check(breakerKey{args: uint64(i)}, true))
	}
	now = now.Add(time.Minute)
	require.True(t, b.check(breakerKey{args: 1 << 40}, true))
	require.Len(t, b.calls, 1, "keys whose calls left the window are forgotten")
}

// TestHashArgsCanonical: equal arguments hash equal however they were built,
// and the hash tells apart the values that differ only in type or place.
func TestHashArgsCanonical(t *testing.T) {
	seed := maphash.MakeSeed()
	rapid.Check(t, func(t *rapid.T) {
		v := jsonObject().Draw(t, "args")
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var copied map[string]any
		if err := json.Unmarshal(raw, &copied); err != nil {
			t.Fatal(err)
		}
		if hashArgs(seed, v) != hashArgs(seed, copied) {
			t.Fatalf("equal arguments hash differently: %s", raw)
		}
	})
	distinct := []map[string]any{
		{"a": "1"}, {"a": 1.0}, {"a": true}, {"a": nil}, {"a": []any{}}, {"a": map[string]any{}},
		{"b": "1"}, {"a": "1", "b": "1"}, {"a": []any{"x", "y"}}, {"a": []any{"y", "x"}},
		{"a": map[string]any{"x": "y"}}, {"a": map[string]any{"y": "x"}}, {},
	}
	seen := map[uint64]int{}
	for i, d := range distinct {
		h := hashArgs(seed, d)
		if j, dup := seen[h]; dup {
			t.Fatalf("%v and %v hash alike", distinct[j], d)
		}
		seen[h] = i
	}
}

func jsonValue(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		kinds := 4
		if depth > 0 {
			kinds = 6
		}
		switch rapid.IntRange(0, kinds-1).Draw(t, "kind") {
		case 0:
			return nil
		case 1:
			return rapid.Bool().Draw(t, "bool")
		case 2:
			return float64(rapid.IntRange(-1000, 1000).Draw(t, "num")) / 4
		case 3:
			return rapid.String().Draw(t, "str")
		case 4:
			return rapid.SliceOfN(jsonValue(depth-1), 0, 4).Draw(t, "arr")
		}
		m := rapid.MapOfN(rapid.StringN(0, 5, -1), jsonValue(depth-1), 0, 4).Draw(t, "obj")
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	})
}

func jsonObject() *rapid.Generator[map[string]any] {
	return rapid.Custom(func(t *rapid.T) map[string]any {
		m := rapid.MapOfN(rapid.StringN(0, 5, -1), jsonValue(2), 0, 5).Draw(t, "args")
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	})
}

// TestMeasureArguments: the measured size tracks the encoded size closely
// (it does not count escapes), and measuring allocates nothing.
func TestMeasureArguments(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := jsonObject().Draw(t, "args")
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		size, problem, _ := measureArguments(v, 1<<30)
		if problem != argsOK {
			t.Fatalf("problem %d with valid arguments", problem)
		}
		// Escapes make the encoding longer; separators make the estimate a
		// little longer.
		if size > len(raw)+2*strings.Count(string(raw), ",")+64 || size*6+64 < len(raw) {
			t.Fatalf("measured %d for %d encoded bytes: %s", size, len(raw), raw)
		}
	})
	args := map[string]any{"path": "/a/b", "n": 3.5, "list": []any{"x", true, nil}, "o": map[string]any{"k": "v"}}
	require.Zero(t, testing.AllocsPerRun(100, func() { measureArguments(args, DefaultMaxArgumentBytes) }))
	require.Zero(t, testing.AllocsPerRun(100, func() { hashArgs(maphash.MakeSeed(), args) }))
}
