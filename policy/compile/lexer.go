package compile

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token of a sentence.
type tokKind uint8

const (
	tWord   tokKind = iota // a word: letters, digits, '-', '\'', '_'
	tComma                 // ","
	tPath                  // "~...", "/..." or a back-quoted path
	tDomain                // "example.com", "*.example.com", "host/owner/repo"
	tList                  // "@name"
	tTool                  // "server/tool"
)

// token is one token, with its place in the sentence.
type token struct {
	kind tokKind
	text string // as written (a path without its back quotes)
	low  string // lower-cased, for matching words
	off  int    // byte offset of the token in the sentence
	end  int    // byte offset just after it
	// url is the URL as written when a domain was written as one.
	url string
}

// lexError is a problem at a place in the sentence.
type lexError struct {
	off int
	msg string
}

func (e *lexError) Error() string { return e.msg }

// lex splits a sentence into tokens. Commas are tokens of their own; a
// back-quoted span is one path token, so paths with spaces can be written.
func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
			continue
		case r == ',':
			out = append(out, token{kind: tComma, text: ",", low: ",", off: i, end: i + 1})
			i++
			continue
		case r == '`' || r == '"' || r == '“':
			closer := map[rune]string{'`': "`", '"': `"`, '“': "”"}[r]
			j := strings.Index(s[i+size:], closer)
			if j < 0 {
				if r == '`' {
					return nil, &lexError{i, "unclosed back quote"}
				}
				return nil, &lexError{i, "unclosed quotation mark"}
			}
			p := expandHome(s[i+size : i+size+j])
			end := i + size + j + len(closer)
			if !strings.HasPrefix(p, "~") && !strings.HasPrefix(p, "/") {
				if r != '`' {
					// Quoted words that are not a path are read as
					// the words themselves.
					inner, err := lex(s[i+size : i+size+j])
					if err != nil {
						return nil, err
					}
					for _, t := range inner {
						t.off += i + size
						t.end += i + size
						out = append(out, t)
					}
					i = end
					continue
				}
				return nil, &lexError{i, fmt.Sprintf("back quotes hold a path starting with ~ or /, not %q", p)}
			}
			out = append(out, token{kind: tPath, text: p, low: p, off: i, end: end})
			i = end
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || r == ',' {
				break
			}
			j += size
		}
		t, err := classify(s[i:j], i)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		i = j
	}
	return out, nil
}

// classify decides what kind of token a space-delimited word is.
func classify(w string, off int) (token, error) {
	t := token{text: w, low: strings.ToLower(w), off: off, end: off + len(w)}
	if h := expandHome(w); h != w {
		w, t.text, t.low = h, h, h
	}
	if u, ok := writtenURLHost(w); ok {
		t.kind, t.text, t.low, t.url = tDomain, u, strings.ToLower(u), w
		return t, nil
	}
	switch {
	case strings.HasPrefix(w, "~") || strings.HasPrefix(w, "/"):
		t.kind = tPath
		return t, nil
	case strings.HasPrefix(w, "@"):
		t.kind = tList
		return t, nil
	}
	slash := strings.IndexByte(w, '/')
	dot := strings.IndexByte(w, '.')
	switch {
	case strings.HasPrefix(w, "*.") || (dot > 0 && (slash < 0 || dot < slash)):
		t.kind = tDomain
		return t, nil
	case slash > 0:
		t.kind = tTool
		if !isToolRef(w) {
			return t, &lexError{off, fmt.Sprintf("%q is not server/tool", w)}
		}
		return t, nil
	}
	// Typographic apostrophes are read as plain ones.
	t.low = strings.ReplaceAll(t.low, "’", "'")
	for _, r := range t.low {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '\'' || r == '_') {
			return t, &lexError{off, fmt.Sprintf("unexpected %q in %q", r, w)}
		}
	}
	t.kind = tWord
	return t, nil
}

func isToolRef(w string) bool {
	server, tool, ok := strings.Cut(w, "/")
	return ok && isIdent(server) && isIdent(tool)
}

// isIdent accepts server and tool names: ASCII letters, digits, '_', '-'.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// expandHome reads "$HOME/x", "${HOME}/x" and "$HOME" as "~/x" and "~".
func expandHome(w string) string {
	for _, h := range []string{"${HOME}", "$HOME"} {
		if rest, ok := strings.CutPrefix(w, h); ok && (rest == "" || rest[0] == '/') {
			return "~" + rest
		}
	}
	return w
}

// writtenURLHost takes the host of a word written as an http(s) URL, ignoring
// its path; ok is false when the word is not such a URL.
func writtenURLHost(w string) (string, bool) {
	lw := strings.ToLower(w)
	if !strings.HasPrefix(lw, "http://") && !strings.HasPrefix(lw, "https://") {
		return "", false
	}
	u, err := url.Parse(w)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	return u.Hostname(), true
}

// urlPathDropped reports whether a URL names more than its host: a path,
// query or fragment the rule cannot keep.
func urlPathDropped(w string) bool {
	u, err := url.Parse(w)
	if err != nil {
		return true
	}
	return strings.Trim(u.EscapedPath(), "/") != "" || u.RawQuery != "" || u.Fragment != ""
}
