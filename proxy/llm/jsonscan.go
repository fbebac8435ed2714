package llm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A small strict JSON scanner for request bodies. It validates a document
// (RFC 8259), refuses an object with two keys equal but for case — parsers
// disagree on which of two equal keys counts, and some ignore case, so such
// a body could mean one thing to the filter and another to the upstream —
// and returns where each top-level member lies, so that a filter can
// rewrite one member without decoding and encoding the whole conversation.
// It reads 500 KB in a few milliseconds; encoding/json's Decoder.Token
// took ten times as long.

// maxDepth bounds nesting.
const maxDepth = 512

// member is one member of the top-level object: its key (decoded) and
// where its key and value lie in the body.
type member struct {
	key              string
	keyStart, valEnd int
	valStart         int
}

var errNotJSON = errors.New("the request body is not valid JSON")

// scanJSON checks body and returns the top-level members when it is an
// object (nil for any other value).
func scanJSON(body []byte) ([]member, error) {
	if !utf8.Valid(body) {
		// JSON is UTF-8 (RFC 8259); parsers that repair bad bytes differ
		// in how, and two keys could become one.
		return nil, errors.New("the request body is not valid UTF-8")
	}
	s := &jsonScanner{b: body}
	s.ws()
	var top []member
	var err error
	if s.i < len(s.b) && s.b[s.i] == '{' {
		top, err = s.object(0, true)
	} else {
		err = s.value(0)
	}
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, errors.New("the request body holds more than one JSON value")
	}
	return top, nil
}

// checkJSON reports whether body is one valid JSON value with no repeated
// keys.
func checkJSON(body []byte) error {
	_, err := scanJSON(body)
	return err
}

type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() { s.i = skipSpace(s.b, s.i) }

// skipSpace returns the index of the first byte at or after i in b that is
// not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (s *jsonScanner) value(depth int) error {
	if depth > maxDepth {
		return errors.New("the request body nests too deeply")
	}
	s.ws()
	if s.i >= len(s.b) {
		return errNotJSON
	}
	switch c := s.b[s.i]; {
	case c == '{':
		_, err := s.object(depth, false)
		return err
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.skipString()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return errNotJSON
}

// object reads an object; with top set it records its members.
func (s *jsonScanner) object(depth int, top bool) ([]member, error) {
	s.i++ // {
	var members []member
	var keyBuf [17][]byte
	keys := keyBuf[:0] // folded; views into the body where no decoding was needed
	var keySet map[string]struct{}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return members, nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return nil, errNotJSON
		}
		keyStart := s.i
		folded, err := s.foldedKey()
		if err != nil {
			return nil, err
		}
		keyEnd := s.i
		dup := false
		if keySet != nil {
			_, dup = keySet[string(folded)]
			keySet[string(folded)] = struct{}{}
		} else {
			for _, k := range keys {
				dup = dup || bytes.Equal(k, folded)
			}
			keys = append(keys, folded)
			if len(keys) > 16 {
				keySet = make(map[string]struct{}, 2*len(keys))
				for _, k := range keys {
					keySet[string(k)] = struct{}{}
				}
			}
		}
		if dup {
			key, _ := decodeKey(s.b[keyStart:keyEnd]) // scanned already
			return nil, fmt.Errorf("the request body repeats the key %q in one object", key)
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return nil, errNotJSON
		}
		s.i++
		s.ws()
		valStart := s.i
		if err := s.value(depth + 1); err != nil {
			return nil, err
		}
		if top {
			key, _ := decodeKey(s.b[keyStart:keyEnd]) // scanned already
			members = append(members, member{key: key, keyStart: keyStart, valStart: valStart, valEnd: s.i})
		}
		s.ws()
		if s.i >= len(s.b) {
			return nil, errNotJSON
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return members, nil
		default:
			return nil, errNotJSON
		}
	}
}

func (s *jsonScanner) array(depth int) error {
	s.i++ // [
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return errNotJSON
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errNotJSON
		}
	}
}

// special marks the bytes a string's fast path stops at.
var special = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// special8 reports whether any of the eight bytes packed in w is a
// control character, '"' or '\\' (exactly, with no false negatives: see
// "Determine if a word has a byte less than n", Bit Twiddling Hacks).
func special8(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(lo*'"'), w^(lo*'\\')
	return ((w-lo*0x20)&^w|(quote-lo)&^quote|(backslash-lo)&^backslash)&hi != 0
}

// skipString reads a string and reports whether it had escapes.
func (s *jsonScanner) skipString() (bool, error) {
	s.i++ // "
	escaped := false
	b := s.b
	for s.i < len(b) {
		// Eight bytes at a time while none of them ends the fast path:
		// prose and base64 are long runs of plain bytes.
		for s.i+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(b) {
			break
		}
		c := b[s.i]
		if !special[c] {
			s.i++
			continue
		}
		switch c {
		case '"':
			s.i++
			return escaped, nil
		case '\\':
			escaped = true
			if s.i+1 >= len(b) {
				return true, errNotJSON
			}
			switch b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(b) || !isHex4(b[s.i+2:s.i+6]) {
					return true, errNotJSON
				}
				s.i += 6
			default:
				return true, errNotJSON
			}
		default: // a control character
			return escaped, errNotJSON
		}
	}
	return escaped, errNotJSON
}

// key reads a string and returns it decoded.
// foldedKey scans the key at s.i and returns it lower-cased, decoded. A
// key that needs neither (no escape, no upper-case letter, ASCII) is
// returned as a view into the body, without allocating.
func (s *jsonScanner) foldedKey() ([]byte, error) {
	start := s.i
	escaped, err := s.skipString()
	if err != nil {
		return nil, err
	}
	raw := s.b[start+1 : s.i-1]
	if !escaped && !bytes.ContainsFunc(raw, func(r rune) bool { return r >= utf8.RuneSelf || 'A' <= r && r <= 'Z' }) {
		return raw, nil
	}
	key, err := decodeKey(s.b[start:s.i])
	if err != nil {
		return nil, err
	}
	return []byte(strings.ToLower(key)), nil
}

// decodeKey decodes a scanned JSON string, quotes included.
func decodeKey(raw []byte) (string, error) {
	if !bytes.ContainsRune(raw, '\\') {
		return string(raw[1 : len(raw)-1]), nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", errNotJSON
	}
	return out, nil
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// skipDigits returns the index of the first byte at or after i in b that
// is not a decimal digit.
func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func (s *jsonScanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return errNotJSON
	}
	if i < len(b) && b[i] == '.' {
		d := i + 1
		if i = skipDigits(b, d); i == d {
			return errNotJSON // a fraction needs a digit
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		if i = skipDigits(b, d); i == d {
			return errNotJSON // so does an exponent
		}
	}
	s.i = i
	return nil
}

func (s *jsonScanner) literal(lit string) error {
	if !strings.HasPrefix(string(s.b[s.i:min(len(s.b), s.i+len(lit))]), lit) {
		return errNotJSON
	}
	s.i += len(lit)
	return nil
}
