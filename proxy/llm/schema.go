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

// Body rules: what a request body may hold, per endpoint, as a tree of
// nodes. A body is checked in one pass over its bytes, without decoding it:
// each object member is looked up in its node's table of fields, each
// string is judged by its class. A field that is not in the table is
// refused, so a feature a provider adds later stays closed until someone
// adds it here.
//
// Every string is one of three things. Prose is what the model reads —
// message text, tool descriptions, tool inputs and results — which the
// provider never dereferences, so it may mention any URL. A URL field
// names content the provider would fetch (an image by URL, a file by URL);
// it becomes a [Fetch] that the proxy's EgressPolicy must allow. Every
// other string — model names, ids, enums, signatures, base64 data — is a
// token, which may not hold a URL ("://") at all.

// FieldError refuses a request body because of one field: Path is its
// JSON path ("messages[0].content[1].source.url"), Reason why.
type FieldError struct {
	Path   string
	Reason string
}

// Error returns the path and the reason.
func (e *FieldError) Error() string { return e.Path + ": " + e.Reason }

// Fetch is a URL a request body asks the provider to fetch: an image,
// a document or a file named by URL. Field is its JSON path.
type Fetch struct {
	Field string
	URL   *url.URL
}

// strClass says what a string in a field is.
type strClass uint8

const (
	sNone    strClass = iota // no string allowed
	sProse                   // anything: text the model reads
	sToken                   // no "://" in it
	sURL                     // a URL the provider fetches: a Fetch
	sData                    // a data: URL inline, otherwise a Fetch
	sInline                  // inline data (base64 or a data: URL), never a URL
	sFileURI                 // a Gemini Files API file, otherwise a Fetch
)

// anyClass is a field that takes any JSON value.
type anyClass uint8

const (
	aNone   anyClass = iota
	aProse           // strings are prose (tool inputs, function results)
	aToken           // strings are tokens (metadata, logit_bias)
	aSchema          // a JSON Schema: strings are prose, "$ref" is local
)

// node is the rule for one value: the JSON types it takes and how.
type node struct {
	str  strClass
	num  bool
	bool bool
	elem *node    // an array of these
	obj  *objNode // an object
	any  anyClass
}

// objNode is the rule for an object: its fields, and, when a tag ("type")
// tells variants apart, which fields each variant takes. The fields are
// the union of the variants'; a member is checked against its field's
// rule as it is read, and against its variant when the object ends, so
// that the tag may come anywhere among the members.
type objNode struct {
	fields   map[string]*fieldDef
	names    []string // by bit
	tag      string
	variants map[string]*variant // by tag value; "" for an absent tag
	// refused gives the reason for fields and tag values refused on
	// purpose; others get the generic reason.
	refused    map[string]string
	refusedTag map[string]string
	tagReason  string // for a tag value neither allowed nor in refusedTag
}

type fieldDef struct {
	bit     uint8
	n       *node
	tokenIn bool // some variant reads this field as a token
}

type variant struct {
	mask  uint64 // the fields it takes
	token uint64 // of those, the ones it reads as tokens
}

// The reasons a body is refused for.
const (
	reasonUnknownField = "this field is not allowed: the proxy refuses fields it does not know, so that a provider feature it has not vetted stays closed"
	reasonWrongType    = "this field does not take a value of that JSON type"
	reasonTokenURL     = "a URL is not allowed in this field; only message text may mention URLs, and only content the policy allows may be fetched by URL"
	reasonInline       = "inline data that names a URL is not allowed; send the content as base64 or by file id"
	reasonURLShape     = "content by URL must name a plain http or https URL in canonical form, which the policy can judge"
	reasonDupKey       = "the object repeats this field"
)

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

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

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

// scanner returns a jsonScanner at the walker's position, for values
// checked for syntax only.
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
		if err := w.value(elem, depth+1); err != nil {
			return err
		}
		w.ws()
		if w.i >= len(w.b) {
			return errNotJSON
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			w.path = w.path[:top]
			return nil
		default:
			return errNotJSON
		}
	}
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
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != '"' {
				return errNotJSON
			}
			raw, esc, err := w.str()
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
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != ':' {
				return errNotJSON
			}
			w.i++
			w.ws()
			switch {
			case o.tag != "" && name == o.tag:
				if w.i >= len(w.b) || w.b[w.i] != '"' {
					return w.fail(reasonWrongType)
				}
				raw, esc, err := w.str()
				if err != nil {
					return err
				}
				tagValue, tagSeen = decode(raw, esc), true
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
			w.ws()
			if w.i >= len(w.b) {
				return errNotJSON
			}
			if w.b[w.i] == ',' {
				w.i++
				continue
			}
			if w.b[w.i] != '}' {
				return errNotJSON
			}
			w.i++
			break
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

// anyValue checks a value a field takes whatever its shape: its syntax,
// no repeated keys, and the class of its strings.
func (w *walker) anyValue(class anyClass, depth int) error {
	if class == aProse {
		return w.skip(depth)
	}
	if depth > maxDepth {
		return errors.New("the request body nests too deeply")
	}
	w.ws()
	if w.i >= len(w.b) {
		return errNotJSON
	}
	switch w.b[w.i] {
	case '"':
		raw, esc, err := w.str()
		if err != nil {
			return err
		}
		if class == aToken && hasURL(raw, esc) {
			return w.fail(reasonTokenURL)
		}
		return nil
	case '[':
		w.i++
		w.ws()
		if w.i < len(w.b) && w.b[w.i] == ']' {
			w.i++
			return nil
		}
		w.path = append(w.path, pathSeg{})
		top := len(w.path) - 1
		for idx := 0; ; idx++ {
			w.path[top] = pathSeg{idx: idx}
			if err := w.anyValue(class, depth+1); err != nil {
				return err
			}
			w.ws()
			if w.i >= len(w.b) {
				return errNotJSON
			}
			switch w.b[w.i] {
			case ',':
				w.i++
			case ']':
				w.i++
				w.path = w.path[:top]
				return nil
			default:
				return errNotJSON
			}
		}
	case '{':
		w.i++
		w.path = append(w.path, pathSeg{})
		top := len(w.path) - 1
		var keys keySet
		w.ws()
		if w.i < len(w.b) && w.b[w.i] == '}' {
			w.i++
			w.path = w.path[:top]
			return nil
		}
		for {
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != '"' {
				return errNotJSON
			}
			raw, esc, err := w.str()
			if err != nil {
				return err
			}
			key := decode(raw, esc)
			w.path[top] = pathSeg{name: key}
			if key == "" {
				w.path[top] = pathSeg{raw: raw}
			}
			if keys.add(key) {
				return w.fail(reasonDupKey)
			}
			if class == aToken && strings.Contains(key, "://") {
				return w.fail(reasonTokenURL)
			}
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != ':' {
				return errNotJSON
			}
			w.i++
			w.ws()
			if class == aSchema && isSchemaRef(key) {
				// A reference the provider's validator could resolve by
				// fetching it; only local ones ("#/$defs/x") are allowed.
				if w.i >= len(w.b) || w.b[w.i] != '"' {
					return w.fail(reasonWrongType)
				}
				raw, esc, err := w.str()
				if err != nil {
					return err
				}
				if s := decode(raw, esc); !strings.HasPrefix(s, "#") {
					return w.fail("a schema reference must be local (#...): the provider could fetch any other")
				}
			} else if class == aSchema && key == "$schema" {
				// A meta-schema the validator does not know it could fetch.
				if w.i >= len(w.b) || w.b[w.i] != '"' {
					return w.fail(reasonWrongType)
				}
				raw, esc, err := w.str()
				if err != nil {
					return err
				}
				if !metaSchemas[decode(raw, esc)] {
					return w.fail("only the JSON Schema meta-schemas of json-schema.org may be named in $schema")
				}
			} else if err := w.anyValue(class, depth+1); err != nil {
				return err
			}
			w.ws()
			if w.i >= len(w.b) {
				return errNotJSON
			}
			if w.b[w.i] == ',' {
				w.i++
				continue
			}
			if w.b[w.i] != '}' {
				return errNotJSON
			}
			w.i++
			w.path = w.path[:top]
			return nil
		}
	}
	return w.skip(depth)
}

// metaSchemas are the published JSON Schema meta-schemas.
var metaSchemas = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range []string{
		"http://json-schema.org/schema", "http://json-schema.org/draft-04/schema", "http://json-schema.org/draft-06/schema",
		"http://json-schema.org/draft-07/schema", "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema",
	} {
		m[s], m[s+"#"] = true, true
	}
	return m
}()

func isSchemaRef(k string) bool {
	switch k {
	case "$ref", "$dynamicRef", "$recursiveRef":
		return true
	}
	return false
}

// keySet finds two keys of an object equal but for case: a list while it
// is short, a map once it is not.
type keySet struct {
	list []string
	set  map[string]struct{}
}

// add adds k and reports whether it was there already.
func (ks *keySet) add(k string) bool {
	folded := strings.ToLower(k)
	if ks.set != nil {
		if _, dup := ks.set[folded]; dup {
			return true
		}
		ks.set[folded] = struct{}{}
		return false
	}
	for _, e := range ks.list {
		if e == folded {
			return true
		}
	}
	ks.list = append(ks.list, folded)
	if len(ks.list) > 16 {
		ks.set = make(map[string]struct{}, 2*len(ks.list))
		for _, e := range ks.list {
			ks.set[e] = struct{}{}
		}
	}
	return false
}
