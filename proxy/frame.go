package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Newline-delimited JSON-RPC framing with a size cap, shared by the stdio and
// Unix-socket server side and by the upstream stdio client side.
//
// A line longer than the cap is never held in memory: it is discarded as it
// is read, and only the request id is picked out of it on the way, so that
// the peer can be told which of its messages was refused.

// errLineTooLong reports a discarded line; see [frameReader.next].
var errLineTooLong = errors.New("proxy: message too large")

// frameReader reads newline-delimited messages of at most max bytes.
// It is not safe for concurrent use.
type frameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next non-blank line without its line ending. The line is
// valid until the next call. A line longer than the cap is consumed and
// discarded; next then returns errLineTooLong and the raw JSON id found at
// the top level of the discarded line, or nil when it had none. Any other
// error (io.EOF included) ends the stream; a final line without a newline is
// returned before io.EOF.
func (f *frameReader) next() (line []byte, id json.RawMessage, err error) {
	for {
		f.buf = f.buf[:0]
		var scan *idScanner
		for {
			chunk, err := f.r.ReadSlice('\n')
			if scan == nil && len(f.buf)+len(chunk) > f.max+2 { // +2: "\r\n"
				scan = &idScanner{}
				scan.feed(f.buf)
				f.buf = f.buf[:0]
			}
			if scan != nil {
				scan.feed(chunk)
			} else {
				f.buf = append(f.buf, chunk...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if scan != nil {
				if err != nil && err != io.EOF {
					return nil, nil, err
				}
				return nil, scan.result(), errLineTooLong
			}
			if err != nil && !(err == io.EOF && len(bytes.TrimSpace(f.buf)) > 0) {
				return nil, nil, err
			}
			break
		}
		line := bytes.TrimRight(f.buf, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if len(line) > f.max {
			return nil, idOf(line), errLineTooLong
		}
		return line, nil, nil
	}
}

// idOf returns the top-level "id" member of a JSON object, raw, or nil.
func idOf(msg []byte) json.RawMessage {
	s := &idScanner{}
	s.feed(msg)
	return s.result()
}

// idScanner finds the top-level "id" member of a JSON object fed to it in
// pieces, without buffering the object. It tolerates any input: on malformed
// JSON it finds nothing or a value that result rejects.
type idScanner struct {
	depth     int
	inString  bool
	escaped   bool
	wantKey   bool // at depth 1, the next string is a member name
	key       []byte
	keyLong   bool
	capturing bool // at depth 1, inside the value of an "id" member
	value     []byte
	found     json.RawMessage
}

const (
	maxIDKey   = 8
	maxIDValue = 256
)

func (s *idScanner) feed(p []byte) {
	for _, c := range p {
		s.step(c)
	}
}

func (s *idScanner) step(c byte) {
	if s.capturing {
		if len(s.value) <= maxIDValue {
			s.value = append(s.value, c)
		}
	}
	if s.inString {
		switch {
		case s.escaped:
			s.escaped = false
			if s.depth == 1 && s.wantKey {
				s.keyLong = true // escaped member names are never taken for "id"
			}
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
			if s.depth == 1 && s.wantKey {
				s.wantKey = false
			}
		default:
			if s.depth == 1 && s.wantKey {
				if len(s.key) < maxIDKey {
					s.key = append(s.key, c)
				} else {
					s.keyLong = true
				}
			}
		}
		return
	}
	switch c {
	case '"':
		s.inString = true
		if s.depth == 1 && s.wantKey {
			s.key, s.keyLong = s.key[:0], false
		}
	case '{', '[':
		s.depth++
		if s.depth == 1 && c == '{' {
			s.wantKey = true
		}
	case '}', ']':
		if s.depth == 1 {
			s.endValue()
		}
		s.depth--
	case ':':
		if s.depth == 1 && !s.capturing {
			if string(s.key) == "id" && !s.keyLong {
				s.capturing = true
				s.value = s.value[:0]
			}
			s.key = s.key[:0]
		}
	case ',':
		if s.depth == 1 {
			s.endValue()
			s.wantKey = true
		}
	}
}

// endValue closes the value being captured, if any. The closing delimiter
// was appended by step and is dropped here.
func (s *idScanner) endValue() {
	if !s.capturing {
		return
	}
	s.capturing = false
	if len(s.value) == 0 || len(s.value) > maxIDValue {
		return
	}
	v := bytes.TrimSpace(s.value[:len(s.value)-1])
	if validID(v) {
		s.found = append(json.RawMessage(nil), v...)
	}
}

func (s *idScanner) result() json.RawMessage { return s.found }

// validID reports whether v is a JSON string or number: the id forms
// JSON-RPC allows besides null.
func validID(v []byte) bool {
	if len(v) == 0 || !json.Valid(v) {
		return false
	}
	return v[0] == '"' || v[0] == '-' || (v[0] >= '0' && v[0] <= '9')
}
