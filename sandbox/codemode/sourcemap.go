package codemode

import "sort"

// A decoder for the "mappings" field of a version 3 source map, enough to
// map a generated position back to its original line and column. The
// input comes from esbuild, but it is decoded defensively all the same:
// malformed data ends the decoding, never the process.

// segment maps a generated column to an original line and column, all
// 0-based.
type segment struct{ genCol, line, col int }

// lineMap holds the segments of each generated line, sorted by column.
type lineMap struct{ lines [][]segment }

// maxMappingLines bounds the generated lines decoded, so that a hostile
// map cannot make the decoder allocate without limit.
const maxMappingLines = 1 << 20

// parseMappings decodes a mappings string. Segments with fewer than four
// fields (no source position) are skipped; decoding stops at the first
// malformed segment, keeping what came before.
func parseMappings(m string) *lineMap {
	lm := decodeMappings(m)
	for _, l := range lm.lines {
		sort.SliceStable(l, func(a, b int) bool { return l[a].genCol < l[b].genCol })
	}
	return lm
}

func decodeMappings(m string) *lineMap {
	lm := &lineMap{}
	var cur []segment
	var genCol, src, line, col int
	i := 0
	for i <= len(m) {
		if i == len(m) || m[i] == ';' {
			lm.lines = append(lm.lines, cur)
			if len(lm.lines) >= maxMappingLines {
				return lm
			}
			cur, genCol = nil, 0
			i++
			continue
		}
		if m[i] == ',' {
			i++
			continue
		}
		var f [5]int
		n := 0
		for n < 5 && i < len(m) && m[i] != ',' && m[i] != ';' {
			v, next, ok := vlq(m, i)
			if !ok {
				lm.lines = append(lm.lines, cur)
				return lm
			}
			f[n], i = v, next
			n++
		}
		if n == 5 && i < len(m) && m[i] != ',' && m[i] != ';' {
			lm.lines = append(lm.lines, cur) // more than five fields
			return lm
		}
		genCol += f[0]
		if n >= 4 {
			src, line, col = src+f[1], line+f[2], col+f[3]
			if genCol >= 0 && line >= 0 && col >= 0 {
				cur = append(cur, segment{genCol: genCol, line: line, col: col})
			}
		}
	}
	return lm
}

// vlq decodes one base64 VLQ value starting at m[i].
func vlq(m string, i int) (v, next int, ok bool) {
	shift, acc := 0, 0
	for {
		if i >= len(m) || shift > 30 {
			return 0, i, false
		}
		d := b64(m[i])
		if d < 0 {
			return 0, i, false
		}
		i++
		acc |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			break
		}
	}
	v = acc >> 1
	if acc&1 == 1 {
		v = -v
	}
	return v, i, true
}

func b64(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// lookup maps a 0-based generated position to the original one: the last
// segment of the line at or before col, or the line's first segment when
// col comes before it.
func (lm *lineMap) lookup(line, col int) (int, int, bool) {
	if line < 0 || line >= len(lm.lines) || len(lm.lines[line]) == 0 {
		return 0, 0, false
	}
	segs := lm.lines[line]
	k := sort.Search(len(segs), func(k int) bool { return segs[k].genCol > col }) - 1
	if k < 0 {
		k = 0
	}
	return segs[k].line, segs[k].col, true
}
