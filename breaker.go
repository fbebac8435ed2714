package ironcurtain

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"time"
)

// Circuit breaker defaults.
const (
	DefaultBreakerThreshold = 20
	DefaultBreakerWindow    = time.Minute
)

// BreakerConfig configures a Gate's circuit breaker: a call identical to
// Threshold calls already let through within the last Window — same server,
// same tool, same canonical arguments — is denied. It stops an agent stuck in
// a loop. Calls that are denied are not counted.
type BreakerConfig struct {
	// Threshold is how many identical calls a window admits. Zero means
	// DefaultBreakerThreshold.
	Threshold int
	// Window is the length of the sliding window. Zero means
	// DefaultBreakerWindow.
	Window time.Duration
}

// breaker counts identical calls in a sliding window. Identity is server,
// tool and a seeded hash of the canonical arguments that does not depend on
// key order; the seed is random per Gate, so an agent cannot aim for
// collisions, and a collision could only deny a call, never admit one.
type breaker struct {
	threshold int
	window    time.Duration
	seed      maphash.Seed
	now       func() time.Time // read under mu, so recorded times are in order

	mu      sync.Mutex
	calls   map[breakerKey]*callTimes
	sweepAt int
}

type breakerKey struct {
	server, tool string
	args         uint64
}

// callTimes holds the times of the last threshold admitted calls, oldest
// first from head.
type callTimes struct {
	at   []time.Time
	head int
}

// minSweep is the number of keys below which stale ones are not swept.
const minSweep = 1024

func newBreaker(cfg BreakerConfig, now func() time.Time) *breaker {
	return &breaker{
		threshold: cfg.Threshold,
		window:    cfg.Window,
		now:       now,
		seed:      maphash.MakeSeed(),
		calls:     map[breakerKey]*callTimes{},
		sweepAt:   minSweep,
	}
}

func (b *breaker) key(server, tool string, args map[string]any) breakerKey {
	return breakerKey{server, tool, hashArgs(b.seed, args)}
}

// check reports whether a call with key k may run now, and records it if
// record is set and it may.
func (b *breaker) check(k breakerKey, record bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	ct := b.calls[k]
	if ct != nil && len(ct.at) == b.threshold && now.Sub(ct.at[ct.head]) < b.window {
		return false
	}
	if !record {
		return true
	}
	if ct == nil {
		b.sweep(now)
		ct = &callTimes{at: make([]time.Time, 0, min(b.threshold, 4))}
		b.calls[k] = ct
	}
	if len(ct.at) < b.threshold {
		ct.at = append(ct.at, now)
	} else {
		ct.at[ct.head] = now
		ct.head = (ct.head + 1) % b.threshold
	}
	return true
}

// sweep forgets keys whose newest call left the window, once the map has
// doubled since the last sweep: amortised constant time per call.
func (b *breaker) sweep(now time.Time) {
	if len(b.calls) < b.sweepAt {
		return
	}
	for k, ct := range b.calls {
		newest := ct.at[(ct.head+len(ct.at)-1)%len(ct.at)]
		if now.Sub(newest) >= b.window {
			delete(b.calls, k)
		}
	}
	b.sweepAt = max(minSweep, 2*len(b.calls))
}

func (b *breaker) reason() string {
	return fmt.Sprintf("this call was already made %d times with the same arguments within %s; try a different approach", b.threshold, b.window)
}

// Type tags keep values of different JSON types apart in hashArgs.
const (
	tagNull uint64 = iota + 0x51ed27a9c1b3f5e1
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagArray
	tagObject
)

// hashArgs hashes decoded JSON arguments so that equal arguments hash equal
// whatever the order of their keys: object members are combined by addition.
func hashArgs(seed maphash.Seed, args map[string]any) uint64 {
	return hashValue(seed, args)
}

func hashValue(seed maphash.Seed, v any) uint64 {
	switch x := v.(type) {
	case nil:
		return tagNull
	case bool:
		if x {
			return tagTrue
		}
		return tagFalse
	case float64:
		return mix(tagNumber ^ maphash.Comparable(seed, x))
	case string:
		return mix(tagString ^ maphash.String(seed, x))
	case []any:
		h := tagArray
		for _, e := range x {
			h = mix(h*0x9e3779b97f4a7c15 + hashValue(seed, e))
		}
		return h
	case map[string]any:
		var sum uint64
		for k, e := range x {
			sum += mix(maphash.String(seed, k) ^ bits.RotateLeft64(hashValue(seed, e), 29))
		}
		return mix(tagObject ^ sum ^ uint64(len(x)))
	}
	return 0 // not reached: arguments are checked before they are hashed
}

// mix is the SplitMix64 finaliser.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
