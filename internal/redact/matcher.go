package redact

import (
	"errors"
	"fmt"
)

// matcher finds every occurrence of a set of literal strings in one pass: an
// Aho–Corasick automaton compiled into a full DFA over byte classes (bytes
// that occur in no secret share class 0), so the scan costs one table lookup
// per byte whatever the number of secrets.
type matcher struct {
	class  [256]uint16
	nclass int
	next   []int32 // next[state*nclass+class]
	// longest is the length of the longest secret that ends in each state,
	// counting secrets that are suffixes of others; 0 for none.
	longest []int32
}

// maxTable bounds the DFA (entries of 4 bytes): a vault large enough to pass
// it is refused rather than indexed slowly.
const maxTable = 1 << 24

var errTooLarge = errors.New("redact: the secrets are too many or too long to index")

func newMatcher(secrets []string) (*matcher, error) {
	m := &matcher{}
	// Classes: 0 for bytes in no secret, then one per distinct byte.
	used := [256]bool{}
	for _, s := range secrets {
		for i := 0; i < len(s); i++ {
			used[s[i]] = true
		}
	}
	m.nclass = 1
	for b := range 256 {
		if used[b] {
			m.class[b] = uint16(m.nclass)
			m.nclass++
		}
	}

	// The trie, with transitions in a table that becomes the DFA.
	total := 1
	for _, s := range secrets {
		total += len(s)
	}
	if total*m.nclass > maxTable {
		return nil, fmt.Errorf("%w (%d bytes in %d secrets)", errTooLarge, total-1, len(secrets))
	}
	m.next = make([]int32, 0, total*m.nclass)
	m.longest = make([]int32, 0, total)
	newState := func() int32 {
		m.next = append(m.next, make([]int32, m.nclass)...)
		m.longest = append(m.longest, 0)
		return int32(len(m.longest) - 1)
	}
	const none = -1
	root := newState()
	for i := range m.next {
		m.next[i] = none
	}
	for _, s := range secrets {
		st := root
		for i := 0; i < len(s); i++ {
			c := int(m.class[s[i]])
			nx := m.next[int(st)*m.nclass+c]
			if nx == none {
				nx = newState()
				for j := int(nx) * m.nclass; j < int(nx+1)*m.nclass; j++ {
					m.next[j] = none
				}
				m.next[int(st)*m.nclass+c] = nx
			}
			st = nx
		}
		m.longest[st] = max(m.longest[st], int32(len(s)))
	}

	// Breadth first: each state's missing transitions are those of its
	// failure state, which is shallower and so already complete.
	fail := make([]int32, len(m.longest))
	queue := make([]int32, 0, len(m.longest))
	for c := range m.nclass {
		nx := m.next[c]
		if nx == none {
			m.next[c] = root
			continue
		}
		fail[nx] = root
		queue = append(queue, nx)
	}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		m.longest[st] = max(m.longest[st], m.longest[fail[st]])
		for c := range m.nclass {
			i := int(st)*m.nclass + c
			nx := m.next[i]
			via := m.next[int(fail[st])*m.nclass+c]
			if nx == none {
				m.next[i] = via
				continue
			}
			fail[nx] = via
			queue = append(queue, nx)
		}
	}
	m.finish()
	return m, nil
}

// finish rewrites the transition table for scanning: each entry becomes the
// target's row offset (state*nclass), negated minus one when a secret ends
// in the target, so the scan loop needs no multiplication and no second
// table on its dependent chain.
func (m *matcher) finish() {
	for i, st := range m.next {
		off := st * int32(m.nclass)
		if m.longest[st] > 0 {
			off = -off - 1
		}
		m.next[i] = off
	}
}

// spans appends the byte ranges of s covered by some secret.
func (m *matcher) spans(s string, out []span) []span {
	next, class, n := m.next, &m.class, int32(m.nclass)
	off := int32(0)
	for i := 0; i < len(s); i++ {
		v := next[off+int32(class[s[i]])]
		if v >= 0 {
			off = v
			continue
		}
		off = -v - 1
		l := int(m.longest[off/n])
		out = addSpan(out, span{start: i + 1 - l, end: i + 1, kind: kindVault})
	}
	return out
}
