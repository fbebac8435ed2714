package llm

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// buffers are the 32 KiB copy buffers of the ReverseProxy and the
// redactors, reused across requests.
var buffers = &bufferPool{sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b *bufferPool) Put(s []byte) { b.p.Put(&s) }

// mask is what a real key found in a response is replaced with: as long
// as the key, so that a Content-Length stays right.
func mask(n int) string {
	const word = "[REDACTED]"
	if n <= len(word) {
		return strings.Repeat("*", n)
	}
	return word + strings.Repeat("*", n-len(word))
}

// redactor streams a body, replacing every occurrence of a key with a
// mask of the same length. It holds back only the longest tail of what it
// has read that could be the start of the key, so a stream's events are
// not delayed: an event ends with a newline, and no key contains one.
type redactor struct {
	rc      io.ReadCloser
	key     []byte
	mask    []byte
	buf     []byte // read but not yet returned; buf[:ready] is final
	ready   int
	eof     bool
	readErr error
	scratch []byte
}

func newRedactor(rc io.ReadCloser, key string) io.ReadCloser {
	if key == "" {
		return rc
	}
	return &redactor{rc: rc, key: []byte(key), mask: []byte(mask(len(key)))}
}

func (r *redactor) Read(p []byte) (int, error) {
	for r.ready == 0 {
		if r.eof {
			if len(r.buf) > 0 {
				// What was held back cannot be a whole key now.
				r.ready = len(r.buf)
				break
			}
			return 0, r.readErr
		}
		if r.scratch == nil {
			r.scratch = buffers.Get()
		}
		n, err := r.rc.Read(r.scratch)
		r.buf = append(r.buf, r.scratch[:n]...)
		if err != nil {
			r.eof, r.readErr = true, err
		}
		r.scan()
	}
	n := copy(p, r.buf[:r.ready])
	r.buf = r.buf[n:]
	r.ready -= n
	if len(r.buf) == 0 {
		r.buf = nil
	}
	return n, nil
}

// scan masks every whole key in buf and marks as ready everything but the
// longest suffix that is a proper prefix of the key. Like
// bytes.ReplaceAll, it never looks at a mask it wrote again: the held
// suffix starts after the last key masked, so a key made of mask
// characters is masked once.
func (r *redactor) scan() {
	end := r.ready
	for i := r.ready; ; {
		j := bytes.Index(r.buf[i:], r.key)
		if j < 0 {
			break
		}
		copy(r.buf[i+j:], r.mask)
		i += j + len(r.key)
		end = i
	}
	hold := 0
	for k := min(len(r.key)-1, len(r.buf)-end); k > 0; k-- {
		if bytes.HasSuffix(r.buf, r.key[:k]) {
			hold = k
			break
		}
	}
	r.ready = len(r.buf) - hold
}

func (r *redactor) Close() error {
	if r.scratch != nil {
		buffers.Put(r.scratch)
		r.scratch = nil
	}
	return r.rc.Close()
}
