// Package realpath resolves paths the way the kernel does, in user space, so
// that a policy judges the file an operation will really touch.
//
// Unlike filepath.EvalSymlinks it never fails on a path that does not exist
// yet: missing components are appended lexically (a later mkdir or create
// makes real directories of them), a dangling symlink is judged by where its
// target would be, and ".." is applied after symlinks, as the kernel applies
// it. There is no depth limit beyond the kernel's own (PATH_MAX bytes and 40
// symlinks), and no fallback to the lexical path.
//
// A resolution can also report which marked locations it passed through —
// every directory or symlink it visited, not only the final path — which is
// how protected paths stay protected when a symlink leads through them.
package realpath

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what lstat found at one location, on every platform.
type kind uint8

const (
	kindOther   kind = iota // a directory, a file, anything not below
	kindMissing             // nothing, or a parent that is not a directory
	kindSymlink             // a symbolic link
)

// Limits the kernel applies too.
const (
	// MaxSymlinks is the number of symlinks one resolution may follow (Linux
	// MAXSYMLINKS).
	MaxSymlinks = 40
	// MaxPath is the longest path, in bytes, a resolution may produce or
	// work through (Linux PATH_MAX).
	MaxPath = 4096
)

// Errors a resolution returns; all of them mean the path cannot be judged.
var (
	ErrNotAbsolute = errors.New("realpath: path is not absolute")
	ErrLoop        = errors.New("realpath: too many levels of symbolic links")
	ErrTooLong     = errors.New("realpath: path too long")
	ErrInvalid     = errors.New("realpath: path contains a NUL byte")
)

// Marks is a set of locations to watch for during resolution. It is built
// once and read concurrently. Locations are compared after case folding, so
// a case-insensitive file system cannot be used to dodge a mark.
type Marks struct {
	index map[string]int
}

// NewMarks returns a set watching the given absolute, clean locations; the
// index of each location in the slice is the bit Resolve reports.
func NewMarks(locations []string) *Marks {
	m := &Marks{index: make(map[string]int, len(locations))}
	for i, l := range locations {
		k := Fold(l)
		if _, dup := m.index[k]; !dup {
			m.index[k] = i
		}
	}
	return m
}

// Len is the number of distinct locations watched.
func (m *Marks) Len() int {
	if m == nil {
		return 0
	}
	return len(m.index)
}

// Hits records which marks a resolution visited: mark i is set when the
// location with index i was visited. The zero Hits is empty.
type Hits struct {
	small [4]uint64 // marks 0..255, without allocating
	more  []uint64  // marks from 256 on
}

func (h *Hits) set(i int) {
	if i < 256 {
		h.small[i/64] |= 1 << (i % 64)
		return
	}
	j := i - 256
	for len(h.more) <= j/64 {
		h.more = append(h.more, 0)
	}
	h.more[j/64] |= 1 << (j % 64)
}

// Has reports whether mark i was visited.
func (h Hits) Has(i int) bool {
	if i < 256 {
		return h.small[i/64]&(1<<(i%64)) != 0
	}
	j := i - 256
	return j/64 < len(h.more) && h.more[j/64]&(1<<(j%64)) != 0
}

// Any reports whether any mark was visited.
func (h Hits) Any() bool {
	for _, w := range h.small {
		if w != 0 {
			return true
		}
	}
	for _, w := range h.more {
		if w != 0 {
			return true
		}
	}
	return false
}

// Resolve returns the canonical form of the absolute path p: every symlink
// followed (also a dangling one, to where its target would be), "." and
// ".." applied in kernel order, components that do not exist appended
// lexically. When marks is not nil, every location visited on the way —
// each directory entered, each symlink followed, the final path — that
// equals a marked location is recorded in hits.
//
// An error means the path cannot be judged: it is relative, contains NUL,
// loops, is too long, or an existing component could not be examined (for
// example, permission denied).
func Resolve(p string, marks *Marks) (string, Hits, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", Hits{}, ErrInvalid
	}
	if !strings.HasPrefix(p, "/") {
		return "", Hits{}, fmt.Errorf("%w: %q", ErrNotAbsolute, p)
	}
	r := resolver{marks: marks}
	if len(p) > 1 && isClean(p) && isCanonical(p) {
		// Fast path: the kernel confirmed p is canonical, so the locations
		// visited are exactly its prefixes.
		r.visitPrefixes(p)
		return p, r.hits, nil
	}
	r.buf = make([]byte, 0, len(p)+16)
	r.visit() // "/" itself
	out, err := r.run(p)
	return out, r.hits, err
}

// isClean reports whether p has no empty, "." or ".." components and no
// trailing slash, so that its prefixes are the locations a walk visits.
func isClean(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if rest == "" || rest[0] == '/' || rest == "." || rest == ".." ||
			strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
			return false
		}
	}
	return true
}

// visitPrefixes records the marks of "/" and every prefix of the canonical
// path p, ending with p itself. Case folding keeps '/' where it was, so the
// prefixes of the folded path are the folded prefixes.
func (r *resolver) visitPrefixes(p string) {
	if r.marks == nil || len(r.marks.index) == 0 {
		return
	}
	folded := appendFold(make([]byte, 0, len(p)), []byte(p))
	r.lookup([]byte{'/'})
	for i := 1; i <= len(folded); i++ {
		if i == len(folded) || folded[i] == '/' {
			r.lookup(folded[:i])
		}
	}
}

type resolver struct {
	buf   []byte // canonical path so far; "" stands for "/"
	marks *Marks
	hits  Hits
	// missing is the length of buf at the first component found not to
	// exist; while buf is longer, components are appended lexically.
	missing int
	links   int
	fold    []byte
}

func (r *resolver) run(rest string) (string, error) {
	r.missing = -1
	for {
		var comp string
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			break
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i:]
		} else {
			comp, rest = rest, ""
		}
		switch comp {
		case ".":
			continue
		case "..":
			r.pop()
			continue
		}
		n := len(r.buf)
		r.buf = append(r.buf, '/')
		r.buf = append(r.buf, comp...)
		if len(r.buf) > MaxPath {
			return "", ErrTooLong
		}
		if r.missing >= 0 {
			r.visit()
			continue
		}
		kind, err := lstat(string(r.buf))
		switch {
		case err != nil:
			return "", fmt.Errorf("realpath: %s: %w", r.buf, err)
		case kind == kindMissing:
			r.missing = n
			r.visit()
		case kind == kindSymlink:
			r.visit() // the link's own location
			r.links++
			if r.links > MaxSymlinks {
				return "", ErrLoop
			}
			target, err := readlink(string(r.buf))
			if err != nil {
				return "", fmt.Errorf("realpath: %s: %w", r.buf, err)
			}
			if target == "" {
				return "", fmt.Errorf("realpath: %s: empty symlink", r.buf)
			}
			if len(target)+len(rest) > MaxPath*2 {
				return "", ErrTooLong
			}
			r.buf = r.buf[:n]
			if strings.HasPrefix(target, "/") {
				r.buf = r.buf[:0]
				r.visit()
			}
			rest = target + "/" + rest
		default:
			r.visit()
		}
	}
	if len(r.buf) == 0 {
		return "/", nil
	}
	return string(r.buf), nil
}

// pop applies "..": the parent of a canonical path is its lexical parent.
func (r *resolver) pop() {
	i := strings.LastIndexByte(string(r.buf), '/')
	if i < 0 {
		i = 0
	}
	r.buf = r.buf[:i]
	if r.missing >= len(r.buf) {
		r.missing = -1 // back in territory that exists
	}
}

// visit records the current location if it is marked.
func (r *resolver) visit() {
	if r.marks == nil || len(r.marks.index) == 0 {
		return
	}
	loc := r.buf
	if len(loc) == 0 {
		loc = []byte{'/'}
	}
	r.fold = appendFold(r.fold[:0], loc)
	r.lookup(r.fold)
}

// lookup records the mark of a folded location, if any.
func (r *resolver) lookup(folded []byte) {
	if i, ok := r.marks.index[string(folded)]; ok {
		r.hits.set(i)
	}
}

// Fold maps s to a form in which strings that a case-insensitive file
// system would treat as the same name are equal: simple Unicode case folding
// to the smallest rune of each fold orbit (so "K", "k" and the Kelvin sign
// fold alike).
func Fold(s string) string { return string(appendFold(nil, []byte(s))) }

func appendFold(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[i])
			i++
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// foldRune returns the smallest rune in r's simple case-folding orbit.
func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// Within reports whether the canonical path p is dir or lies beneath it,
// comparing whole components ("/a/bc" is not within "/a/b"). Every path is
// within "/".
func Within(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || (len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir)
}
