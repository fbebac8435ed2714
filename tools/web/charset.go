package web

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// contentKind is what http_fetch does with a media type.
type contentKind int

const (
	kindBinary  contentKind = iota // refused
	kindHTML                       // converted by format
	kindText                       // returned as text
	kindUnknown                    // read, then sniffed
)

// mediaType returns the lower-case media type of a Content-Type value, or
// "" when there is none.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// textualApplicationTypes are application/* types that are text.
var textualApplicationTypes = map[string]bool{
	"application/json": true, "application/xml": true, "application/javascript": true,
	"application/ecmascript": true, "application/x-javascript": true, "application/x-ndjson": true,
	"application/yaml": true, "application/x-yaml": true, "application/toml": true,
	"application/x-www-form-urlencoded": true, "application/graphql": true, "application/sql": true,
	"application/x-sh": true, "application/x-tex": true, "application/rtf": true,
}

// classify sorts a declared media type. An absent type, and
// application/octet-stream (which servers send for any file they cannot
// name), are kindUnknown: the body is read under the cap and sniffed.
func classify(mt string) contentKind {
	switch {
	case mt == "" || mt == "application/octet-stream":
		return kindUnknown
	case mt == "text/html" || mt == "application/xhtml+xml":
		return kindHTML
	case strings.HasPrefix(mt, "text/"),
		textualApplicationTypes[mt],
		strings.HasSuffix(mt, "+json"),
		strings.HasSuffix(mt, "+xml"):
		return kindText
	}
	return kindBinary
}

// sniff classifies a body whose type was not declared.
func sniff(body []byte) (string, contentKind) {
	mt := mediaType(http.DetectContentType(body))
	k := classify(mt)
	if k == kindUnknown {
		k = kindBinary
	}
	return mt, k
}

// decodeText converts body to UTF-8. The character set comes from, in
// order: a byte-order mark, the Content-Type charset parameter, an HTML
// <meta> declaration in the first 1024 bytes, UTF-8 if the body is valid
// UTF-8, and windows-1252 (the web's default for unlabelled legacy text)
// otherwise. Bytes that do not decode become U+FFFD. It returns the text and
// the charset's canonical name.
func decodeText(body []byte, contentType string, isHTML bool) (string, string) {
	enc, name := detectCharset(body, contentType, isHTML)
	var s string
	if enc == nil {
		s = string(body)
	} else if out, err := enc.NewDecoder().Bytes(body); err == nil {
		s = string(out)
	} else {
		s, name = string(body), "utf-8"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	// A decoder strips the byte-order mark it was told of; a second one
	// (or a mark in a UTF-8 body) is still a leading U+FEFF: drop them all,
	// they are invisible and only confuse what reads the text.
	return strings.TrimLeft(s, "\uFEFF"), name
}

var boms = []struct {
	bom  []byte
	name string
}{
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8"},
	{[]byte{0xFF, 0xFE}, "utf-16le"},
	{[]byte{0xFE, 0xFF}, "utf-16be"},
}

// detectCharset returns the encoding of body (nil for UTF-8, which needs no
// decoder) and its canonical name.
func detectCharset(body []byte, contentType string, isHTML bool) (encoding.Encoding, string) {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			return lookupCharset(b.name)
		}
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if label, ok := params["charset"]; ok {
			if e, name := lookupCharset(label); name != "" {
				return e, name
			}
		}
	}
	if isHTML {
		if label := metaCharset(body); label != "" {
			if e, name := lookupCharset(label); name != "" {
				// A document that reached the <meta> through an ASCII-compatible
				// read cannot be UTF-16 (WHATWG encoding sniffing).
				if strings.HasPrefix(name, "utf-16") {
					return nil, "utf-8"
				}
				return e, name
			}
		}
	}
	if utf8.Valid(body) {
		return nil, "utf-8"
	}
	return lookupCharset("windows-1252")
}

// lookupCharset resolves a WHATWG encoding label; name is "" for an unknown
// label, and e is nil for UTF-8.
func lookupCharset(label string) (encoding.Encoding, string) {
	e, name := charset.Lookup(label)
	if e == nil {
		return nil, ""
	}
	if name == "utf-8" {
		return nil, name
	}
	return e, name
}

// metaCharset finds the charset an HTML document declares in a <meta> tag
// within its first 1024 bytes, or "".
func metaCharset(body []byte) string {
	if len(body) > 1024 {
		body = body[:1024]
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				continue
			}
			var httpEquiv, content string
			for {
				key, val, more := z.TagAttr()
				switch string(key) {
				case "charset":
					if v := strings.TrimSpace(string(val)); v != "" {
						return v
					}
				case "http-equiv":
					httpEquiv = strings.ToLower(string(val))
				case "content":
					content = string(val)
				}
				if !more {
					break
				}
			}
			if httpEquiv == "content-type" {
				if cs := charsetFromContent(content); cs != "" {
					return cs
				}
			}
		}
	}
}

// charsetFromContent extracts the charset from a meta content attribute
// such as "text/html; charset=iso-8859-1".
func charsetFromContent(content string) string {
	i := indexASCIIFold(content, "charset")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(content[i+len("charset"):], " \t\n\f\r")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\n\f\r")
	if rest == "" {
		return ""
	}
	if q := rest[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return ""
		}
		return rest[1 : 1+end]
	}
	end := strings.IndexAny(rest, " \t\n\f\r;")
	if end < 0 {
		return rest
	}
	return rest[:end]
}

// indexASCIIFold is strings.Index ignoring ASCII case. It works on the
// bytes of s, so the index is valid in s (strings.ToLower can change the
// length of a string that is not ASCII).
func indexASCIIFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		match := true
		for j := 0; j < len(substr); j++ {
			if lowerASCII(s[i+j]) != lowerASCII(substr[j]) {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
