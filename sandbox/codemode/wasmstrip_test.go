package codemode

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStripCustomSections(t *testing.T) {
	// header, a type section (id 1, 1 byte), a custom section (id 0, 3
	// bytes: a 1-byte name "x" and 1 byte of data), a start-less code
	// section stand-in (id 10, 2 bytes)
	in := []byte("\x00asm\x01\x00\x00\x00" + "\x01\x01\x00" + "\x00\x03\x01x\x07" + "\x0a\x02\x00\x00")
	out, err := stripCustomSections(in)
	require.NoError(t, err)
	require.Equal(t, []byte("\x00asm\x01\x00\x00\x00"+"\x01\x01\x00"+"\x0a\x02\x00\x00"), out)

	for _, bad := range []string{"", "\x00asm", "\x00asx\x01\x00\x00\x00", "\x00asm\x01\x00\x00\x00\x01\x05\x00", "\x00asm\x01\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff"} {
		_, err := stripCustomSections([]byte(bad))
		require.Error(t, err, "%q", bad)
	}

	stripped, err := stripCustomSections(qjsWasmBytes)
	require.NoError(t, err)
	require.Less(t, len(stripped), len(qjsWasmBytes), "qjs.wasm carries custom sections")
}

// FuzzStripCustomSections checks that stripping never panics, keeps the
// header, never grows the binary, and is idempotent.
func FuzzStripCustomSections(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x01\x00\x00\x03\x01x\x07"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x80\x80\x80\x80\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := stripCustomSections(in)
		if err != nil {
			return
		}
		require.Equal(t, in[:8], out[:8])
		require.LessOrEqual(t, len(out), len(in))
		again, err := stripCustomSections(out)
		require.NoError(t, err)
		require.Equal(t, out, again)
	})
}
