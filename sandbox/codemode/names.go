package codemode

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// binding is one tool as a script sees it: namespace.method(args).
type binding struct {
	Namespace, Method string
	Tool              ironcurtain.ServerTool
}

// bind maps tools to namespaces and methods, deterministically.
//
// A server's name becomes its namespace and a tool's name its method, with
// these changes, in order: every character other than ASCII letters,
// digits, _ and $ becomes _; a leading digit (or an empty name) gets a _
// in front; a namespace that is a reserved word or the name of a global
// (console, JSON, Math, ...) gets a _ appended; and a name already taken
// gets _2, _3, ... appended, in the order of the tool list, servers sorted
// by name. So server "my-fs" is my_fs and a server called "JSON" is JSON_.
func bind(tools []ironcurtain.ServerTool) []binding {
	sorted := slices.Clone(tools)
	slices.SortStableFunc(sorted, func(a, b ironcurtain.ServerTool) int { return strings.Compare(a.Server, b.Server) })
	spaces := map[string]string{} // server → namespace
	usedNS := map[string]bool{}
	methods := map[string]map[string]bool{} // namespace → methods taken
	out := make([]binding, 0, len(sorted))
	for _, t := range sorted {
		ns, ok := spaces[t.Server]
		if !ok {
			ns = unique(identifier(t.Server, true), usedNS)
			spaces[t.Server] = ns
			methods[ns] = map[string]bool{}
		}
		m := unique(identifier(t.Tool.Name, false), methods[ns])
		out = append(out, binding{Namespace: ns, Method: m, Tool: t})
	}
	return out
}

// identifier makes s a JavaScript identifier. Global names must also avoid
// reserved words and the globals the runtime defines; method names need
// not, since they are only ever used as properties.
func identifier(s string, global bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isIdentByte(c, b.Len() > 0) {
			b.WriteByte(c)
			continue
		}
		if b.Len() == 0 && c >= '0' && c <= '9' {
			b.WriteByte('_')
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
	}
	id := b.String()
	if id == "" {
		id = "_"
	}
	if global && (reserved[id] || globals[id] || strings.HasPrefix(id, "__ic_")) {
		id += "_"
	}
	return id
}

// unique returns id, or id_2, id_3, ... whichever is not in used yet, and
// marks it used.
func unique(id string, used map[string]bool) string {
	cand := id
	for n := 2; used[cand]; n++ {
		cand = id + "_" + strconv.Itoa(n)
	}
	used[cand] = true
	return cand
}

func isIdentByte(c byte, notFirst bool) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (notFirst && c >= '0' && c <= '9')
}

// isIdent reports whether s is an ASCII JavaScript identifier name.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i], i > 0) {
			return false
		}
	}
	return true
}

// reserved are the words a binding cannot be named, in any mode.
var reserved = setOf("await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield arguments eval async of get set")

// globals are the names the runtime's global object holds after the
// prelude (standard built-ins, QuickJS's additions, and the prelude's own).
var globals = setOf("globalThis undefined NaN Infinity Object Function Array Number Boolean String Symbol BigInt Math JSON Reflect Proxy Promise Date RegExp Map Set WeakMap WeakSet WeakRef FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics Error EvalError RangeError ReferenceError SyntaxError TypeError URIError InternalError AggregateError DOMException Iterator Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float16Array Float32Array Float64Array BigInt64Array BigUint64Array parseInt parseFloat isNaN isFinite decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape queueMicrotask performance console print require setTimeout setInterval clearTimeout clearInterval std os bjson gc navigator scriptArgs help")

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
