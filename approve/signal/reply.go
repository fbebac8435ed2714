package signal

import (
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"time"
)

// codeAlphabet has no letters or digits a person could mistake for another
// (no I, L, O, U, 0, 1).
const codeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

// codeLen is the length of an escalation's code: 30^5 ≈ 24 million codes,
// so a guessed or stale code answers nothing.
const codeLen = 5

// maxReply bounds the reply text the parser looks at.
const maxReply = 200

// ErrNotUnderstood is returned by [ParseReply] for text that is not a reply.
var ErrNotUnderstood = errors.New("signal: reply not understood")

// Reply is a parsed answer: "approve CODE", "deny CODE" or
// "approve CODE for 1h". Code may be empty when the reply quotes the
// escalation's message instead of naming it.
type Reply struct {
	// Approve is true for "approve", false for "deny".
	Approve bool
	// Code is the escalation's code in upper case, or "".
	Code string
	// TTL is the grant's lifetime for "approve ... for D"; zero for once.
	TTL time.Duration
}

// newCode returns a random escalation code.
func newCode() string {
	b := make([]byte, 0, codeLen)
	var r [1]byte
	for len(b) < codeLen {
		_, _ = rand.Read(r[:])                                   // never fails (crypto/rand)
		if int(r[0]) < 256/len(codeAlphabet)*len(codeAlphabet) { // unbiased
			b = append(b, codeAlphabet[int(r[0])%len(codeAlphabet)])
		}
	}
	return string(b)
}

// ParseReply parses a reply. Words are separated by ASCII spaces and tabs
// and compared case-insensitively; anything else — other words, other
// characters, a code of the wrong form, a duration that is not whole
// minutes or hours — is ErrNotUnderstood. It never panics.
func ParseReply(s string) (Reply, error) {
	if len(s) > maxReply {
		return Reply{}, ErrNotUnderstood
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < ' ' && c != '\t' && c != '\n' && c != '\r') {
			return Reply{}, ErrNotUnderstood
		}
	}
	w := strings.Fields(strings.ToLower(s))
	var r Reply
	if len(w) == 0 {
		return r, ErrNotUnderstood
	}
	switch w[0] {
	case "approve", "yes":
		r.Approve = true
	case "deny", "no":
	default:
		return Reply{}, ErrNotUnderstood
	}
	w = w[1:]
	if len(w) > 0 && w[0] != "for" {
		if !validCode(w[0]) {
			return Reply{}, ErrNotUnderstood
		}
		r.Code = strings.ToUpper(w[0])
		w = w[1:]
	}
	if len(w) == 0 {
		return r, nil
	}
	if !r.Approve || len(w) != 2 || w[0] != "for" {
		return Reply{}, ErrNotUnderstood
	}
	d, err := parseTTL(w[1])
	if err != nil {
		return Reply{}, err
	}
	r.TTL = d
	return r, nil
}

func validCode(s string) bool {
	if len(s) != codeLen {
		return false
	}
	for _, c := range strings.ToUpper(s) {
		if !strings.ContainsRune(codeAlphabet, c) {
			return false
		}
	}
	return true
}

// parseTTL accepts "30m", "1h", "2h": a whole, positive number of minutes or
// hours, at most three digits.
func parseTTL(s string) (time.Duration, error) {
	if len(s) < 2 || len(s) > 4 {
		return 0, ErrNotUnderstood
	}
	unit := time.Minute
	switch s[len(s)-1] {
	case 'm':
	case 'h':
		unit = time.Hour
	default:
		return 0, ErrNotUnderstood
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, ErrNotUnderstood
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 {
		return 0, ErrNotUnderstood
	}
	return time.Duration(n) * unit, nil
}
