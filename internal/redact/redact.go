package redact

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Marker replaces a redacted secret.
const Marker = "[REDACTED]"

// Redactor removes secrets from text and from decoded JSON values. It is
// immutable and safe for concurrent use.
type Redactor struct {
	vault *matcher // nil without secrets
}

// New returns a Redactor for the given secret values (empty ones are
// ignored) and the known credential formats. It fails only if the secrets
// are too many or too long to index.
func New(secrets []string) (*Redactor, error) {
	var nonEmpty []string
	for _, s := range secrets {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	r := &Redactor{}
	if len(nonEmpty) > 0 {
		m, err := newMatcher(nonEmpty)
		if err != nil {
			return nil, err
		}
		r.vault = m
	}
	return r, nil
}

// spanKind says how a span is rewritten.
type spanKind uint8

const (
	kindVault spanKind = iota // the whole span becomes Marker
	kindKeep                  // keep the first keep bytes (a key's public prefix), then Marker
	kindCard                  // first four and last four digits, asterisks between
	kindSSN                   // ***-**- and the last four digits
)

type span struct {
	start, end int
	kind       spanKind
	keep       int
}

func addSpan(out []span, sp span) []span { return append(out, sp) }

// String returns s with every vault secret and every credential of a known
// format replaced. It returns s itself when there is nothing to replace.
func (r *Redactor) String(s string) string {
	var buf [8]span
	spans := buf[:0]
	if r.vault != nil {
		spans = r.vault.spans(s, spans)
	}
	spans = scanFormats(s, spans)
	if len(spans) == 0 {
		return s
	}
	spans = merge(spans)
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.start])
		writeSpan(&b, s[sp.start:sp.end], sp)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// merge sorts spans and joins overlapping ones. Two spans that overlap
// become one whole-span redaction: a vault secret inside a masked card
// number must not survive in the digits the mask keeps.
func merge(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
	})
	out := spans[:1]
	for _, sp := range spans[1:] {
		lastSp := &out[len(out)-1]
		if sp.start >= lastSp.end {
			out = append(out, sp)
			continue
		}
		if sp.end > lastSp.end || sp.kind != lastSp.kind || sp.keep != lastSp.keep {
			lastSp.end = max(lastSp.end, sp.end)
			lastSp.kind, lastSp.keep = kindVault, 0
		}
	}
	return out
}

func writeSpan(b *strings.Builder, text string, sp span) {
	switch sp.kind {
	case kindKeep:
		b.WriteString(text[:sp.keep])
		b.WriteString(Marker)
	case kindCard:
		digits := onlyDigits(text)
		b.WriteString(digits[:4])
		b.WriteString(strings.Repeat("*", len(digits)-8))
		b.WriteString(digits[len(digits)-4:])
	case kindSSN:
		digits := onlyDigits(text)
		b.WriteString("***-**-")
		b.WriteString(digits[len(digits)-4:])
	default:
		b.WriteString(Marker)
	}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// sensitiveKeys name object members whose values are credentials whatever
// they look like: HTTP headers and the usual parameter names.
var sensitiveKeys = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "api-key": true, "api_key": true, "apikey": true,
	"password": true, "passwd": true, "secret": true, "client_secret": true,
	"token": true, "access_token": true, "refresh_token": true, "private_key": true,
}

// maxDepth bounds the recursion of Value; deeper values are replaced.
const maxDepth = 128

// Value returns a copy of a decoded JSON value with every string — object
// keys included — redacted, and every string under a member with a
// credential's name (authorization, cookie, password, token, ...) replaced
// outright. Parts with nothing to redact are shared with v, not copied. A
// value of another Go type is rendered with fmt and redacted as text.
func (r *Redactor) Value(v any) any {
	out, _ := r.value(v, 0, false)
	return out
}

// value redacts v, or wipes every string in it when wipe is set, and reports
// whether anything changed.
func (r *Redactor) value(v any, depth int, wipe bool) (any, bool) {
	if depth > maxDepth {
		return Marker + " (nested too deeply)", true
	}
	switch x := v.(type) {
	case nil, bool, float64:
		return x, false
	case string:
		if wipe {
			return Marker, true
		}
		out := r.String(x)
		return out, out != x
	case []any:
		var out []any
		for i, e := range x {
			re, changed := r.value(e, depth+1, wipe)
			if changed && out == nil {
				out = slices.Clone(x)
			}
			if out != nil {
				out[i] = re
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case map[string]any:
		return r.object(x, depth, wipe)
	}
	if wipe {
		return Marker, true
	}
	return r.String(fmt.Sprint(v)), true
}

func (r *Redactor) object(m map[string]any, depth int, wipe bool) (any, bool) {
	type change struct {
		key, newKey string
		val         any
	}
	var changes []change
	for k, e := range m {
		rk := r.String(k)
		re, changed := r.value(e, depth+1, wipe || sensitiveKeys[strings.ToLower(k)])
		if changed || rk != k {
			changes = append(changes, change{k, rk, re})
		}
	}
	if len(changes) == 0 {
		return m, false
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = e
	}
	for _, c := range changes {
		delete(out, c.key)
	}
	// Sorted, so that keys that redact alike are numbered the same way
	// every time.
	slices.SortFunc(changes, func(a, b change) int { return strings.Compare(a.key, b.key) })
	for _, c := range changes {
		k := c.newKey
		for n := 2; ; n++ {
			if _, taken := out[k]; !taken {
				break
			}
			k = c.newKey + "#" + strconv.Itoa(n)
		}
		out[k] = c.val
	}
	return out, true
}
