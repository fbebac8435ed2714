package codemode

import (
	"encoding/binary"
	"errors"
)

// stripCustomSections returns a copy of a WebAssembly binary without its
// custom sections (id 0: names, DWARF, producers). They carry no semantics;
// qjs.wasm's DWARF line table alone makes wazero record a source map entry
// per machine instruction, which doubles the compiled code it caches and
// loads. A malformed binary is an error.
func stripCustomSections(wasm []byte) ([]byte, error) {
	const headerLen = 8 // "\0asm" and the version
	if len(wasm) < headerLen || string(wasm[:4]) != "\x00asm" {
		return nil, errors.New("not a WebAssembly binary")
	}
	out := make([]byte, 0, len(wasm))
	out = append(out, wasm[:headerLen]...)
	for rest := wasm[headerLen:]; len(rest) > 0; {
		id := rest[0]
		size, n := binary.Uvarint(rest[1:])
		if n <= 0 || n > 5 || size > uint64(len(rest)-1-n) {
			return nil, errors.New("malformed WebAssembly section")
		}
		end := 1 + n + int(size)
		if id != 0 {
			out = append(out, rest[:end]...)
		}
		rest = rest[end:]
	}
	return out, nil
}
