package ironcurtain

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redacted is how a Secret prints.
const redacted = "[redacted]"

// Secret is a credential value. It prints, formats, logs and marshals as
// "[redacted]", cannot be compared with ==, compares in constant time with
// Equal, and yields its value only through an explicit call to Reveal.
//
// The zero Secret is empty.
type Secret struct {
	_ [0]func() // not comparable: forces Equal, which is constant-time
	v string
}

// NewSecret wraps a credential value.
func NewSecret(value string) Secret { return Secret{v: value} }

// Reveal returns the credential value. Call it only at the point of use.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Equal compares two secrets in constant time (for equal lengths).
func (s Secret) Equal(t Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.v), []byte(t.v)) == 1
}

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v does not leak the value.
func (Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue makes log/slog print "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText encodes "[redacted]", so a Secret that ends up in JSON or a
// config dump does not leak. To transmit the value, Reveal it.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
