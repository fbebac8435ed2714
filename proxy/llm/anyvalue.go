package llm

import (
	"errors"
	"strings"
)

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
		return w.elements(func() error { return w.anyValue(class, depth+1) })
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
			raw, esc, err := w.key()
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
			if err := w.colon(); err != nil {
				return err
			}
			if class == aSchema && isSchemaRef(key) {
				// A reference the provider's validator could resolve by
				// fetching it; only local ones ("#/$defs/x") are allowed.
				s, err := w.stringValue()
				if err != nil {
					return err
				}
				if !strings.HasPrefix(s, "#") {
					return w.fail("a schema reference must be local (#...): the provider could fetch any other")
				}
			} else if class == aSchema && key == "$schema" {
				// A meta-schema the validator does not know it could fetch.
				s, err := w.stringValue()
				if err != nil {
					return err
				}
				if !metaSchemas[s] {
					return w.fail("only the JSON Schema meta-schemas of json-schema.org may be named in $schema")
				}
			} else if err := w.anyValue(class, depth+1); err != nil {
				return err
			}
			more, err := w.more('}')
			if err != nil {
				return err
			}
			if !more {
				w.path = w.path[:top]
				return nil
			}
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
