package docker

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// output keeps the last max lines of the agent's output, each cut to
// maxLine bytes, and counts the lines it dropped.
type output struct {
	mu      sync.Mutex
	max     int
	maxLine int
	ring    []string
	next    int
	full    bool
	dropped int
	partial []byte
}

func newOutput(max, maxLine int) *output {
	return &output{max: max, maxLine: maxLine, ring: make([]string, max)}
}

// writer returns an io.Writer that feeds the output; stdout and stderr
// share it, so their lines interleave as they arrive.
func (o *output) writer() io.Writer { return outputWriter{o} }

type outputWriter struct{ o *output }

func (w outputWriter) Write(p []byte) (int, error) {
	o := w.o
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			o.partial = appendCapped(o.partial, p, o.maxLine)
			break
		}
		o.partial = appendCapped(o.partial, p[:i], o.maxLine)
		o.add(string(o.partial))
		o.partial = o.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func appendCapped(dst, p []byte, limit int) []byte {
	if room := limit - len(dst); room < len(p) {
		p = p[:max(room, 0)]
	}
	return append(dst, p...)
}

func (o *output) add(line string) {
	if o.full {
		o.dropped++
	}
	o.ring[o.next] = line
	o.next++
	if o.next == o.max {
		o.next, o.full = 0, true
	}
}

// flush keeps a last line without a newline.
func (o *output) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.add(string(o.partial))
		o.partial = nil
	}
}

// lines returns the kept lines in order, after a note of how many earlier
// lines were dropped.
func (o *output) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	if o.dropped > 0 {
		out = append(out, fmt.Sprintf("[%d earlier lines dropped]", o.dropped))
	}
	if o.full {
		out = append(out, o.ring[o.next:]...)
	}
	return append(out, o.ring[:o.next]...)
}
