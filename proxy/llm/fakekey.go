package llm

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// keyAlphabet is the URL-safe base64 alphabet: 64 symbols, so that one
// random byte's low six bits pick one without bias.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randomToken returns n characters of keyAlphabet from crypto/rand.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = keyAlphabet[b[i]&63]
	}
	return string(b), nil
}

// newFakeKey returns a fresh key of format f.
func newFakeKey(f KeyFormat) (string, error) {
	r, err := randomToken(f.Length)
	if err != nil {
		return "", err
	}
	return f.Prefix + r + f.Suffix, nil
}

// keyCheck is what a request's key slots held.
type keyCheck int

const (
	keyMissing keyCheck = iota // no slot held anything
	keyOK                      // every slot that held something held the fake key
	keyWrong                   // some slot held something else
)

// checkKey inspects every key slot of p in the request's headers and
// query. fake is compared in constant time. Header names are matched as
// HTTP canonicalises them; query parameter names case-insensitively, so
// that "KEY=" cannot slip a second key past an upstream that folds case.
func checkKey(p *provider, h http.Header, query url.Values, fake string) keyCheck {
	seen := false
	for _, slot := range p.Keys {
		var values []string
		if slot.Header != "" {
			values = h.Values(slot.Header)
		} else {
			for name, vs := range query {
				if strings.EqualFold(name, slot.Query) {
					values = append(values, vs...)
				}
			}
		}
		for _, v := range values {
			seen = true
			if slot.Scheme != "" {
				scheme, rest, ok := strings.Cut(v, " ")
				if !ok || !strings.EqualFold(scheme, slot.Scheme) {
					return keyWrong
				}
				v = rest
			}
			if !equalKey(v, fake) {
				return keyWrong
			}
		}
	}
	if !seen {
		return keyMissing
	}
	return keyOK
}

// equalKey compares a presented key with the fake key in time that does
// not depend on where they differ.
func equalKey(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
