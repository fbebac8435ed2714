package codemode

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// jnode is a decoded JSON value that keeps the order of object keys, so
// that declarations list properties in the order the schema gives them.
type jnode struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys  []string
	vals  []*jnode // object values, parallel to keys
	items []*jnode // array elements
	str   string   // string value, or number text
	b     bool
	index map[string]int // key positions, for large objects
}

// maxJSONDepth bounds the nesting parseJSON accepts.
const maxJSONDepth = 64

var errJSONDepth = errors.New("JSON nested too deeply")

// parseJSON decodes one JSON value. On duplicate keys the last wins, as
// with encoding/json.
func parseJSON(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.set(k, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &jnode{kind: 'a'}
			for dec.More() {
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, errors.New("unexpected delimiter")
	case string:
		return &jnode{kind: 's', str: t}, nil
	case json.Number:
		return &jnode{kind: 'n', str: t.String()}, nil
	case bool:
		return &jnode{kind: 'b', b: t}, nil
	case nil:
		return &jnode{kind: 'z'}, nil
	}
	return nil, errors.New("unexpected JSON token")
}

func (n *jnode) set(k string, v *jnode) {
	if i, ok := n.find(k); ok {
		n.vals[i] = v
		return
	}
	if n.index != nil {
		n.index[k] = len(n.keys)
	}
	n.keys = append(n.keys, k)
	n.vals = append(n.vals, v)
	if n.index == nil && len(n.keys) > 16 {
		n.index = make(map[string]int, len(n.keys))
		for i, have := range n.keys {
			n.index[have] = i
		}
	}
}

func (n *jnode) find(k string) (int, bool) {
	if n.index != nil {
		i, ok := n.index[k]
		return i, ok
	}
	for i, have := range n.keys {
		if have == k {
			return i, true
		}
	}
	return 0, false
}

// get returns the value of key k of an object, or nil.
func (n *jnode) get(k string) *jnode {
	if n == nil || n.kind != 'o' {
		return nil
	}
	if i, ok := n.find(k); ok {
		return n.vals[i]
	}
	return nil
}

// text returns a string node's value, or "".
func (n *jnode) text() string {
	if n == nil || n.kind != 's' {
		return ""
	}
	return n.str
}
