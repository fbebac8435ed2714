package llm

import "fmt"

// Building the rule tables. The tables are built once, at package
// initialisation; a mistake in one is a programmer's and panics.

// Leaf rules.
var (
	prose     = &node{str: sProse}
	token     = &node{str: sToken}
	number    = &node{num: true}
	boolean   = &node{bool: true}
	anyProse  = &node{any: aProse}
	anyToken  = &node{any: aToken}
	schema    = &node{any: aSchema}
	tokens    = arrayOf(token)
	tokenList = &node{str: sToken, elem: token} // a string or an array of them
	urlField  = &node{str: sURL}
	dataURL   = &node{str: sData}
	inline    = &node{str: sInline}
	fileURI   = &node{str: sFileURI}
)

func arrayOf(n *node) *node { return &node{elem: n} }

// fld is one field of an object rule.
type fld struct {
	names   []string // the spellings that name it (Gemini takes two)
	n       *node
	refused string // set: the field is refused for this reason
}

// f is a field spelled one way.
func f(name string, n *node) fld { return fld{names: []string{name}, n: n} }

// refusedField is a field refused for a reason of its own.
func refusedField(name, reason string) fld { return fld{names: []string{name}, refused: reason} }

// vrt is one variant of a tagged object: the tag's value and the fields
// besides the tag.
type vrt struct {
	value  string
	fields []fld
}

// obj is an object rule without variants.
func obj(fields ...fld) *node {
	o := newObj()
	for _, fd := range fields {
		o.add(fd)
	}
	return &node{obj: o}
}

// tagged is an object rule whose tag field tells variants apart. A
// variant with the value "" is the object without a tag. refusedTags
// alternates tag values and the reasons they are refused for.
func tagged(tag, reason string, variants []vrt, refusedTags ...string) *node {
	o := newObj()
	o.tag, o.tagReason = tag, reason
	o.variants = map[string]*variant{}
	tagBit := o.add(f(tag, token))
	for _, v := range variants {
		for _, fd := range v.fields {
			o.add(fd)
		}
	}
	for _, v := range variants {
		vv := &variant{mask: 1 << tagBit}
		for _, fd := range v.fields {
			if fd.refused != "" {
				continue
			}
			fe := o.fields[fd.names[0]]
			vv.mask |= 1 << fe.bit
			if fd.n == token && fe.n != token {
				vv.token |= 1 << fe.bit
				fe.tokenIn = true
			}
		}
		if o.variants[v.value] != nil {
			panic("llm: rules: variant " + v.value + " twice")
		}
		o.variants[v.value] = vv
	}
	if len(refusedTags)%2 != 0 {
		panic("llm: rules: refusedTags holds a value without a reason")
	}
	for i := 0; i < len(refusedTags); i += 2 {
		o.refusedTag[refusedTags[i]] = refusedTags[i+1]
	}
	return &node{obj: o}
}

func newObj() *objNode {
	return &objNode{fields: map[string]*fieldDef{}, refused: map[string]string{}, refusedTag: map[string]string{}}
}

// add adds a field, or merges it with the field of that name another
// variant has, and returns its bit.
func (o *objNode) add(fd fld) uint8 {
	if fd.refused != "" {
		for _, name := range fd.names {
			o.refused[name] = fd.refused
		}
		return 0
	}
	if old := o.fields[fd.names[0]]; old != nil {
		switch {
		case old.n == fd.n:
		case old.n == token && fd.n == prose:
			old.n = prose // read as prose here, as a token in the other variant
		case old.n == prose && fd.n == token:
		default:
			panic(fmt.Sprintf("llm: rules: field %s has two rules", fd.names[0]))
		}
		return old.bit
	}
	if len(o.names) == 64 {
		panic("llm: rules: more than 64 fields in one object")
	}
	def := &fieldDef{bit: uint8(len(o.names)), n: fd.n}
	o.names = append(o.names, fd.names[0])
	for _, name := range fd.names {
		if o.fields[name] != nil {
			panic("llm: rules: field " + name + " twice")
		}
		o.fields[name] = def
	}
	return def.bit
}

// endpointRules maps the paths of a provider's endpoints that take a body
// to the rule for the body. A path pattern may hold a '*' segment as in
// [Endpoint].
type endpointRules []struct {
	pattern compiledEndpoint
	root    *node
}

func rulesFor(pairs map[string]*node) endpointRules {
	var er endpointRules
	for path, root := range pairs {
		ce, err := compileEndpoint(Endpoint{Method: "POST", Path: path})
		if err != nil {
			panic(err)
		}
		er = append(er, struct {
			pattern compiledEndpoint
			root    *node
		}{ce, root})
	}
	return er
}

// filter returns the BodyFilter that checks bodies against the rules.
func (er endpointRules) filter(provider string) BodyFilter {
	return func(path string, body []byte) (Filtered, error) {
		if !cleanPath(path) {
			return Filtered{}, fmt.Errorf("the %s endpoint %s takes no body", provider, path)
		}
		for _, e := range er {
			if e.pattern.match(path) {
				fetches, err := checkBody(e.root, body)
				if err != nil {
					return Filtered{}, err
				}
				return Filtered{Body: body, Fetches: fetches}, nil
			}
		}
		return Filtered{}, fmt.Errorf("the %s endpoint %s takes no body", provider, path)
	}
}
