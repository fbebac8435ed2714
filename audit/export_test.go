package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

// BuildLineForTest completes a record body with its hash, as buildLine does,
// so that tests can forge carefully edited lines.
func BuildLineForTest(body []byte) []byte {
	sum := sha256.Sum256(body)
	out := append(bytes.Clone(body), hashKey...)
	out = append(out, hex.EncodeToString(sum[:])...)
	return append(out, "\"}\n"...)
}
