package codemode

import (
	"strconv"
	"sync"
	"unicode/utf8"
)

// output collects a run's console lines under a byte cap. Lines come from
// the console (one per call) and from anything the engine writes to its
// standard output or error, split at newlines. It is safe for concurrent
// use: the run's goroutine writes, and the watchdog may read.
type output struct {
	mu      sync.Mutex
	limit   int
	used    int
	lines   []string
	cut     bool
	partial []byte // engine output after its last newline
}

func newOutput(limit int) *output { return &output{limit: limit} }

// line adds one line.
func (o *output) line(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.add(s)
}

func (o *output) add(s string) {
	if o.cut {
		return
	}
	if room := o.limit - o.used; len(s) > room {
		o.cut = true
		s = truncateUTF8(s, room)
		if s == "" {
			return
		}
	}
	o.used += len(s)
	o.lines = append(o.lines, s)
}

// Write takes the engine's raw output. It never fails, so that the guest
// never sees an error from its standard output.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	for len(p) > 0 && !o.cut {
		i := indexNL(p)
		if i < 0 {
			o.partial = append(o.partial, p...)
			if len(o.partial) > o.limit {
				o.add(string(o.partial))
				o.partial = nil
			}
			break
		}
		o.add(string(append(o.partial, p[:i]...)))
		o.partial, p = nil, p[i+1:]
	}
	return n, nil
}

func indexNL(p []byte) int {
	for i, c := range p {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// snapshot returns the lines so far, with a last line saying so when some
// were dropped.
func (o *output) snapshot() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.add(string(o.partial))
		o.partial = nil
	}
	out := append([]string(nil), o.lines...)
	if o.cut {
		out = append(out, "[output truncated: the script printed more than "+strconv.Itoa(o.limit)+" bytes]")
	}
	return out
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
