package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The walk of a body along its rules: one pass over the bytes, with a
// path kept for refusals and fetches.

// maxFetches bounds the URLs one body may ask the provider to fetch: each
// is judged by the policy and recorded in the audit log.
const maxFetches = 32

// walker checks one body against the rules.
type walker struct {
	b       []byte
	i       int
	path    []pathSeg
	fetches []Fetch
}

// pathSeg is one step of a JSON path: a field (name, or raw key bytes to
// decode when needed) or an index.
type pathSeg struct {
	name string
	raw  []byte
	idx  int
}

var errNotObject = errors.New("the request body is not a JSON object")

// checkBody checks body against root and returns the URLs it asks the
// provider to fetch. A refusal for a field is a *FieldError.
func checkBody(root *node, body []byte) ([]Fetch, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("the request body is not valid UTF-8")
	}
	w := &walker{b: body}
	w.ws()
	if w.i >= len(body) || body[w.i] != '{' {
		return nil, errNotObject
	}
	if err := w.value(root, 0); err != nil {
		return nil, err
	}
	w.ws()
	if w.i != len(body) {
		return nil, errors.New("the request body holds more than one JSON value")
	}
	return w.fetches, nil
}

func (w *walker) ws() { w.i = skipSpace(w.b, w.i) }

func (w *walker) pathString() string {
	var sb strings.Builder
	for _, s := range w.path {
		switch {
		case s.name != "":
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.name)
		case s.raw != nil:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			var k string
			if json.Unmarshal(s.raw, &k) != nil {
				k = string(s.raw)
			}
			sb.WriteString(k)
		default:
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(s.idx))
			sb.WriteByte(']')
		}
	}
	return sb.String()
}

func (w *walker) fail(reason string) error {
	return &FieldError{Path: w.pathString(), Reason: reason}
}

// skip reads a value checked for syntax only, as the scanner does.
func (w *walker) skip(depth int) error {
	s := jsonScanner{b: w.b, i: w.i}
	err := s.value(depth)
	w.i = s.i
	return err
}

// str reads a string and returns its raw bytes (with quotes) and whether
// it has escapes.
func (w *walker) str() ([]byte, bool, error) {
	s := jsonScanner{b: w.b, i: w.i}
	start := s.i
	esc, err := s.skipString()
	w.i = s.i
	if err != nil {
		return nil, false, err
	}
	return w.b[start:s.i], esc, nil
}

// decode returns the text of a raw JSON string.
func decode(raw []byte, esc bool) string {
	if !esc {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "\x00"
	}
	return s
}

// hasURL reports whether a raw JSON string holds "://" once decoded.
func hasURL(raw []byte, esc bool) bool {
	if !esc {
		return bytes.Contains(raw, []byte("://"))
	}
	return strings.Contains(decode(raw, esc), "://")
}

func (w *walker) value(n *node, depth int) error {
	if depth > maxDepth {
		return errors.New("the request body nests too deeply")
	}
	w.ws()
	if w.i >= len(w.b) {
		return errNotJSON
	}
	if n.any != aNone {
		return w.anyValue(n.any, depth)
	}
	switch c := w.b[w.i]; {
	case c == '{':
		if n.obj == nil {
			return w.fail(reasonWrongType)
		}
		return w.object(n.obj, depth)
	case c == '[':
		if n.elem == nil {
			return w.fail(reasonWrongType)
		}
		return w.array(n.elem, depth)
	case c == '"':
		if n.str == sNone {
			return w.fail(reasonWrongType)
		}
		raw, esc, err := w.str()
		if err != nil {
			return err
		}
		return w.judgeString(n.str, raw, esc)
	case c == 'n':
		return w.skip(depth) // null carries nothing
	case c == 't' || c == 'f':
		if !n.bool {
			return w.fail(reasonWrongType)
		}
		return w.skip(depth)
	default:
		if !n.num {
			return w.fail(reasonWrongType)
		}
		return w.skip(depth)
	}
}

// judgeString applies a string class to a string just read.
func (w *walker) judgeString(class strClass, raw []byte, esc bool) error {
	switch class {
	case sProse:
		return nil
	case sToken:
		if hasURL(raw, esc) {
			return w.fail(reasonTokenURL)
		}
		return nil
	case sInline:
		s := decode(raw, esc)
		if strings.Contains(s, "://") || strings.Contains(s, ":") && !hasPrefixFold(s, "data:") {
			return w.fail(reasonInline)
		}
		return nil
	case sData:
		s := decode(raw, esc)
		if hasPrefixFold(s, "data:") {
			if strings.Contains(s, "://") {
				return w.fail(reasonInline)
			}
			return nil
		}
		return w.fetch(s)
	case sFileURI:
		s := decode(raw, esc)
		if isGeminiFile(s) {
			return nil
		}
		return w.fetch(s)
	case sURL:
		return w.fetch(decode(raw, esc))
	}
	return w.fail(reasonWrongType)
}

// fetch records a URL the provider would fetch, if it is one the policy
// can judge as the provider will read it.
func (w *walker) fetch(s string) error {
	u, ok := canonicalURL(s)
	if !ok {
		return w.fail(reasonURLShape)
	}
	if len(w.fetches) == maxFetches {
		return w.fail("a request may name at most " + strconv.Itoa(maxFetches) + " URLs for the provider to fetch")
	}
	w.fetches = append(w.fetches, Fetch{Field: w.pathString(), URL: u})
	return nil
}

// canonicalURL parses s as an absolute http(s) URL with a host and no
// user info, which Go prints back byte for byte: a URL that parsers could
// read differently (backslashes, spaces, odd escapes) is not one.
func canonicalURL(s string) (*url.URL, bool) {
	if len(s) > 8192 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '\\' {
			return nil, false
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" || u.String() != s {
		return nil, false
	}
	return u, true
}

// geminiFilePrefix is where the Gemini Files API keeps uploaded files; a
// fileUri there names a file, like a file id, and is not fetched from
// elsewhere.
const geminiFilePrefix = "https://generativelanguage.googleapis.com/v1beta/files/"

func isGeminiFile(s string) bool {
	rest, ok := strings.CutPrefix(s, geminiFilePrefix)
	return ok && rest != "" && len(rest) <= 128 && !strings.ContainsFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-')
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func (w *walker) array(elem *node, depth int) error {
	return w.elements(func() error { return w.value(elem, depth+1) })
}

// elements walks the array at w.i, calling each for every element with
// the path naming its index.
func (w *walker) elements(each func() error) error {
	w.i++ // [
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return nil
	}
	w.path = append(w.path, pathSeg{})
	top := len(w.path) - 1
	for idx := 0; ; idx++ {
		w.path[top] = pathSeg{idx: idx}
		if err := each(); err != nil {
			return err
		}
		more, err := w.more(']')
		if err != nil {
			return err
		}
		if !more {
			w.path = w.path[:top]
			return nil
		}
	}
}

// more reads what follows a member of an object or an element of an
// array: a comma, after which more come (true), or the closing bracket,
// which it consumes (false). Anything else is not JSON.
func (w *walker) more(closing byte) (bool, error) {
	w.ws()
	if w.i >= len(w.b) {
		return false, errNotJSON
	}
	switch w.b[w.i] {
	case ',':
		w.i++
		return true, nil
	case closing:
		w.i++
		return false, nil
	}
	return false, errNotJSON
}

// key reads the quoted name of an object's member at w.i, after any white
// space; anything else there is not JSON.
func (w *walker) key() ([]byte, bool, error) {
	w.ws()
	if w.i >= len(w.b) || w.b[w.i] != '"' {
		return nil, false, errNotJSON
	}
	return w.str()
}

// colon reads the colon between a member's name and its value, and the
// white space around it.
func (w *walker) colon() error {
	w.ws()
	if w.i >= len(w.b) || w.b[w.i] != ':' {
		return errNotJSON
	}
	w.i++
	w.ws()
	return nil
}

// stringValue reads the string at w.i, decoded; anything else there is
// the wrong type.
func (w *walker) stringValue() (string, error) {
	if w.i >= len(w.b) || w.b[w.i] != '"' {
		return "", w.fail(reasonWrongType)
	}
	raw, esc, err := w.str()
	if err != nil {
		return "", err
	}
	return decode(raw, esc), nil
}

func (w *walker) object(o *objNode, depth int) error {
	w.i++ // {
	var seen, urls uint64
	tagValue, tagSeen := "", false
	w.path = append(w.path, pathSeg{})
	top := len(w.path) - 1
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
	} else {
		for {
			raw, esc, err := w.key()
			if err != nil {
				return err
			}
			var f *fieldDef
			var name string
			if esc {
				name = decode(raw, esc)
				f = o.fields[name]
			} else {
				f = o.fields[string(raw[1:len(raw)-1])]
			}
			w.path[top] = pathSeg{raw: raw}
			if f != nil {
				name = o.names[f.bit]
			} else {
				reason := reasonUnknownField
				if r, ok := o.refused[decode(raw, esc)]; ok {
					reason = r
				}
				return w.fail(reason)
			}
			if seen&(1<<f.bit) != 0 {
				return w.fail(reasonDupKey)
			}
			seen |= 1 << f.bit
			if err := w.colon(); err != nil {
				return err
			}
			switch {
			case o.tag != "" && name == o.tag:
				if tagValue, err = w.stringValue(); err != nil {
					return err
				}
				tagSeen = true
				if o.variants[tagValue] == nil {
					if r, ok := o.refusedTag[tagValue]; ok {
						return w.fail(r)
					}
					return w.fail(o.tagReason)
				}
			case f.tokenIn && w.i < len(w.b) && w.b[w.i] == '"':
				raw, esc, err := w.str()
				if err != nil {
					return err
				}
				if err := w.judgeString(f.n.str, raw, esc); err != nil {
					return err
				}
				if hasURL(raw, esc) {
					urls |= 1 << f.bit
				}
			default:
				if err := w.value(f.n, depth+1); err != nil {
					return err
				}
			}
			more, err := w.more('}')
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	if o.variants != nil {
		if !tagSeen {
			tagValue = ""
		}
		v := o.variants[tagValue]
		if v == nil {
			w.path[top] = pathSeg{name: o.tag}
			return w.fail(o.tagReason)
		}
		if extra := seen &^ v.mask; extra != 0 {
			w.path[top] = pathSeg{name: o.names[lowBit(extra)]}
			return w.fail(reasonUnknownField)
		}
		if bad := urls & v.token; bad != 0 {
			w.path[top] = pathSeg{name: o.names[lowBit(bad)]}
			return w.fail(reasonTokenURL)
		}
	}
	w.path = w.path[:top]
	return nil
}

func lowBit(m uint64) int {
	for i := range 64 {
		if m&(1<<i) != 0 {
			return i
		}
	}
	return 0
}
