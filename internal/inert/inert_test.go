package inert

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ok":       "plain text, ok",
		"\x1b[2J\x1b]0;t\x07":  `\u001b[2J\u001b]0;t\u0007`,
		"a\nb\rc\td":           `a\nb\u000dc\u0009d`,
		"\u202egnp.exe":        `\u202egnp.exe`,
		"\u2066x\u2069\u200f":  `\u2066x\u2069\u200f`,
		"\u009b31m":            `\u009b31m`,
		"\x9b31m":              `\x9b31m`,
		"\xff\xfe":             `\xff\xfe`,
		`\u001b`:               `\\u001b`,
		"zero\u200bwidth":      `zero\u200bwidth`,
		"日本語 ü":                "日本語 ü",
		"\u00a0nbsp\u3000wide": `\u00a0nbsp\u3000wide`,
	} {
		require.Equal(t, want, String(in), "%q", in)
	}
}

// inertOutput checks the property every Lines output has: lines that
// start with the prefix and hold nothing but graphic characters and
// spaces.
func inertOutput(t require.TestingT, out, prefix string) {
	require.True(t, strings.HasSuffix(out, "\n") || out == "", "output ends with a newline")
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if out == "" {
			break
		}
		require.True(t, strings.HasPrefix(line, prefix), "line %q lacks the prefix", line)
		require.True(t, utf8.ValidString(line), "line %q is not UTF-8", line)
		for _, r := range line {
			require.True(t, r == ' ' || unicode.IsGraphic(r) && !unicode.IsSpace(r) && !bidi(r), "line %q holds %U", line, r)
		}
	}
}

// TestLinesHostile: escapes, forged lines, a carriage return that would
// overwrite a line, bidi controls — each shown inert and prefixed.
func TestLinesHostile(t *testing.T) {
	var b strings.Builder
	l := NewLines(&b, LinesConfig{Prefix: "[up] "})
	_, _ = l.Write([]byte("\x1b]0;owned\x07\x1b[2Jclear\ntime=2026 level=INFO msg=\"all servers jailed\"\r\n"))
	_, _ = l.Write([]byte("fake\rironcurtain serve: approved\n\u202eexe.txt\npartial"))
	require.NoError(t, l.Flush())
	require.Equal(t, `[up] \u001b]0;owned\u0007\u001b[2Jclear
[up] time=2026 level=INFO msg="all servers jailed"
[up] fake\u000dironcurtain serve: approved
[up] \u202eexe.txt
[up] partial [no newline]
`, b.String())
	inertOutput(t, b.String(), "[up] ")
}

// TestLinesLength: a line over MaxLine is cut at a character boundary and
// says how long it was; memory stays bounded by MaxLine.
func TestLinesLength(t *testing.T) {
	var b strings.Builder
	l := NewLines(&b, LinesConfig{Prefix: "> ", MaxLine: 10})
	for range 1000 {
		_, _ = l.Write([]byte("ééééééééé")) // 18 bytes each
	}
	require.LessOrEqual(t, cap(l.line), 64, "the writer keeps at most about MaxLine bytes")
	_, _ = l.Write([]byte("\nshort\n"))
	require.Equal(t, "> ééééé [cut: line of 18000 bytes]\n> short\n", b.String())
}

// TestLinesRate: with a fake clock, a flood beyond the burst is dropped
// and counted, and lines flow again as the bucket refills.
func TestLinesRate(t *testing.T) {
	now := time.Unix(0, 0)
	var b strings.Builder
	l := NewLines(&b, LinesConfig{Prefix: "> ", Rate: 2, Burst: 3, Now: func() time.Time { return now }})
	for range 10 {
		_, _ = l.Write([]byte("flood\n"))
	}
	require.Equal(t, strings.Repeat("> flood\n", 3), b.String())
	now = now.Add(time.Second) // two more lines' worth
	_, _ = l.Write([]byte("a\nb\nc\n"))
	require.Equal(t, strings.Repeat("> flood\n", 3)+"> [7 lines dropped: more than 2 a second]\n> a\n> b\n", b.String())
	require.NoError(t, l.Flush())
	require.True(t, strings.HasSuffix(b.String(), "> [1 lines dropped: more than 2 a second]\n"))
}

// TestLinesProperty: whatever is written, in whatever pieces, the output
// is inert, prefixed, and at most one line per input line plus notices.
func TestLinesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		prefix := rapid.String().Draw(t, "prefix")
		l := NewLines(&b, LinesConfig{Prefix: prefix, MaxLine: rapid.IntRange(1, 64).Draw(t, "max")})
		pieces := rapid.SliceOf(rapid.SliceOf(rapid.Byte())).Draw(t, "pieces")
		newlines := 0
		for _, p := range pieces {
			n, err := l.Write(p)
			require.NoError(t, err)
			require.Equal(t, len(p), n)
			newlines += strings.Count(string(p), "\n")
		}
		require.NoError(t, l.Flush())
		inertOutput(t, b.String(), String(prefix))
		require.LessOrEqual(t, strings.Count(b.String(), "\n"), 2*newlines+2)
	})
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("\x1b[31mred\n\u202e\r\nx"), 8)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		var b strings.Builder
		l := NewLines(&b, LinesConfig{Prefix: "[s] ", MaxLine: max % 128})
		_, _ = l.Write(in)
		_ = l.Flush()
		inertOutput(t, b.String(), "[s] ")
	})
}

// TestText: newlines stay, and each line is inert.
func TestText(t *testing.T) {
	require.Equal(t, "a\\u001b[2J\nb\\u202e\n", Text("a\x1b[2J\nb\u202e\n"))
}
