package llm

import "net/url"

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
