package fs

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"from empty", "", "a\nb\n", "--- f\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"to empty", "a\n", "", "--- f\n+++ f\n@@ -1,1 +0,0 @@\n-a\n"},
		{"final newline added", "a", "a\n", "--- f\n+++ f\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{
			"context of three",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			"1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n",
			"--- f\n+++ f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n",
		},
		{
			"distant changes make two hunks",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			"one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			"--- f\n+++ f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n",
		},
		{
			"near changes share a hunk",
			"1\n2\n3\n4\n5\n6\n7\n8\n",
			"one\n2\n3\n4\n5\n6\n7\neight\n",
			"--- f\n+++ f\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, unifiedDiff("f", tt.a, tt.b))
		})
	}
}

// applyUnified applies a unified diff to a, checking every context and
// removed line against it, as patch(1) would.
func applyUnified(a, diff string) (string, error) {
	old := splitLines(a)
	dl := splitLines(diff)
	var out []string
	pos := 0 // next line of old
	for i := 2; i < len(dl); i++ {
		var oldStart, oldCount int
		if _, err := fmt.Sscanf(dl[i], "@@ -%d,%d +", &oldStart, &oldCount); err != nil {
			return "", fmt.Errorf("line %d: bad hunk header %q", i, dl[i])
		}
		start := oldStart - 1
		if oldCount == 0 {
			start = oldStart
		}
		out = append(out, old[pos:start]...)
		pos = start
		for i+1 < len(dl) && !strings.HasPrefix(dl[i+1], "@@") {
			i++
			line := dl[i][1:]
			if i+1 < len(dl) && strings.HasPrefix(dl[i+1], "\\") {
				line = strings.TrimSuffix(line, "\n") // the marker line itself is skipped below
			}
			switch dl[i][0] {
			case ' ', '-':
				if pos >= len(old) || old[pos] != line {
					return "", fmt.Errorf("line %d: %q does not match %q", i, dl[i], old[min(pos, len(old)-1)])
				}
				pos++
				if dl[i][0] == ' ' {
					out = append(out, line)
				}
			case '+':
				out = append(out, line)
			case '\\':
			}
		}
	}
	out = append(out, old[pos:]...)
	return strings.Join(out, ""), nil
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func genText(t *rapid.T, label string) string {
	lines := rapid.SliceOfN(rapid.SampledFrom([]string{"a\n", "b\n", "c\n", "  a\n", "d"}), 0, 14).Draw(t, label)
	s := strings.Join(lines, "")
	return s
}

// TestDiffProperties: applying the diff of a to b yields b exactly, and the
// diff is minimal: it adds and removes no more lines than the longest
// common subsequence leaves.
func TestDiffProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genText(t, "a"), genText(t, "b")
		d := unifiedDiff("f", a, b)
		got, err := applyUnified(a, d)
		require.NoError(t, err, "diff:\n%s", d)
		require.Equal(t, b, got, "diff:\n%s", d)

		ops := diffLines(splitLines(a), splitLines(b))
		changed := 0
		for _, op := range ops {
			if op.kind != opEqual {
				changed++
			}
		}
		la, lb := splitLines(a), splitLines(b)
		require.Equal(t, len(la)+len(lb)-2*lcs(la, lb), changed)
	})
}

// TestDiffBeyondCost: when the cheapest script costs more than
// maxDiffCost, the diff is coarser but still correct.
func TestDiffBeyondCost(t *testing.T) {
	var a, b strings.Builder
	for i := range maxDiffCost {
		a.WriteString("a" + strconv.Itoa(i) + "\n")
		b.WriteString("b" + strconv.Itoa(i) + "\n")
	}
	a.WriteString("same\n")
	b.WriteString("same\n")
	d := unifiedDiff("f", a.String(), b.String())
	got, err := applyUnified(a.String(), d)
	require.NoError(t, err)
	require.Equal(t, b.String(), got)
}
