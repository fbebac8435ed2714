package fs

import (
	"fmt"
	"slices"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxDiffCost bounds the Myers search, whose memory grows with the square
// of the number of differing lines. Beyond it the differing middle is shown
// as removed and added whole: still a correct diff, only not a minimal one.
const maxDiffCost = 1000

// opKind is the kind of one line of an edit script, and its prefix in a
// unified diff.
type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

type diffOp struct {
	kind opKind
	line string // with its "\n", if it had one
}

// unifiedDiff returns the unified diff from a to b with name in the
// headers, or "" when they are equal.
func unifiedDiff(name string, a, b string) string {
	if a == b {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", name, name)
	writeHunks(&sb, diffLines(splitLines(a), splitLines(b)))
	return sb.String()
}

// splitLines splits s after each "\n", keeping it, so that a last line
// without one differs from the same line with one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffLines returns an edit script from a to b. The common prefix and
// suffix are taken off first, which is all an edit_file call usually
// leaves to compare.
func diffLines(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ops := make([]diffOp, 0, len(a)+len(b)-pre-suf)
	for _, l := range a[:pre] {
		ops = append(ops, diffOp{opEqual, l})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, diffOp{opEqual, l})
	}
	return ops
}

// myers returns a shortest edit script from a to b (E. Myers, "An O(ND)
// difference algorithm", 1986), or a replacement of all of a by all of b
// when the script would cost more than maxDiffCost. Unlike the paper's
// sketch, it never steps outside the edit grid, so that every path it
// keeps is a real one.
func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	limit := min(n+m, maxDiffCost)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		for k := -d; k <= d; k += 2 {
			x, _, ok := step(v, off, k, d, n, m)
			if !ok {
				v[off+k] = -1
				continue
			}
			for x < n && x-k < m && a[x] == b[x-k] {
				x++
			}
			v[off+k] = x
			if x == n && x-k == m {
				trace = append(trace, slices.Clone(v[off-d:off+d+1]))
				return backtrack(a, b, trace)
			}
		}
		trace = append(trace, slices.Clone(v[off-d:off+d+1]))
	}
	return replaceAll(a, b)
}

// step returns where the furthest path on diagonal k starts in round d,
// before its run of equal lines, given the furthest x of each diagonal in
// round d-1 (vals[base+k]): one line down from diagonal k+1 (an insertion)
// or one right from k-1 (a deletion), whichever reaches further without
// leaving the grid. down reports an insertion. ok is false when neither
// move stays in the grid.
func step(vals []int, base, k, d, n, m int) (x int, down, ok bool) {
	if d == 0 {
		return 0, false, true
	}
	xd, xr := -1, -1
	if k+1 <= d-1 {
		if px := vals[base+k+1]; px >= 0 && px-k <= m {
			xd = px
		}
	}
	if k-1 >= -(d - 1) {
		if px := vals[base+k-1]; px >= 0 && px+1 <= n {
			xr = px + 1
		}
	}
	switch {
	case xd < 0 && xr < 0:
		return 0, false, false
	case xd >= xr:
		return xd, true, true
	}
	return xr, false, true
}

// backtrack walks the trace of myers from the end of both inputs to their
// start and returns the edit script in order.
func backtrack(a, b []string, trace [][]int) []diffOp {
	x, y := len(a), len(b)
	var rev []diffOp
	for d := len(trace) - 1; d > 0; d-- {
		k := x - y
		sx, down, _ := step(trace[d-1], d-1, k, d, len(a), len(b))
		for x > sx { // the run of equal lines after the move
			x, y = x-1, y-1
			rev = append(rev, diffOp{opEqual, a[x]})
		}
		if down {
			y--
			rev = append(rev, diffOp{opInsert, b[y]})
		} else {
			x--
			rev = append(rev, diffOp{opDelete, a[x]})
		}
	}
	for x > 0 {
		x, y = x-1, y-1
		rev = append(rev, diffOp{opEqual, a[x]})
	}
	slices.Reverse(rev)
	return rev
}

func replaceAll(a, b []string) []diffOp {
	ops := make([]diffOp, 0, len(a)+len(b))
	for _, l := range a {
		ops = append(ops, diffOp{opDelete, l})
	}
	for _, l := range b {
		ops = append(ops, diffOp{opInsert, l})
	}
	return ops
}

// writeHunks writes ops as unified-diff hunks with diffContext lines of
// context; changes closer than twice that share a hunk.
func writeHunks(sb *strings.Builder, ops []diffOp) {
	// aAt[i] and bAt[i] count the lines of a and b before ops[i].
	aAt, bAt := make([]int, len(ops)+1), make([]int, len(ops)+1)
	for i, op := range ops {
		aAt[i+1], bAt[i+1] = aAt[i], bAt[i]
		if op.kind != opInsert {
			aAt[i+1]++
		}
		if op.kind != opDelete {
			bAt[i+1]++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i].kind == opEqual {
			i++
			continue
		}
		start, end := max(i-diffContext, 0), i
		for end < len(ops) {
			if ops[end].kind != opEqual {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == opEqual {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				break
			}
			end = run
		}
		stop := min(end+diffContext, len(ops))
		fmt.Fprintf(sb, "@@ -%s +%s @@\n",
			hunkRange(aAt[start], aAt[stop]-aAt[start]), hunkRange(bAt[start], bAt[stop]-bAt[start]))
		for _, op := range ops[start:stop] {
			sb.WriteByte(byte(op.kind))
			sb.WriteString(op.line)
			if !strings.HasSuffix(op.line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
}

// hunkRange formats a hunk's line range: it starts after the `before`
// lines and spans count lines; an empty range names the line before it.
func hunkRange(before, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}
