package fs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApplyEdit(t *testing.T) {
	tests := []struct {
		name, content, old, new string
		want                    string
		ok                      bool
	}{
		{"exact", "a b c", "b", "B", "a B c", true},
		{"first occurrence only", "x x x", "x", "y", "y x x", true},
		{"exact across lines", "one\ntwo\nthree\n", "two\nthr", "2\nTHR", "one\n2\nTHRee\n", true},
		{"delete", "keep\ndrop\nkeep\n", "drop\n", "", "keep\nkeep\n", true},
		{"not found", "abc", "xyz", "q", "abc", false},
		{
			"whitespace-tolerant keeps indentation",
			"func f() {\n\tif x {\n\t\treturn 1\n\t}\n}\n",
			"if x {\n    return 1\n}",
			"if y {\n    return 2\n}",
			"func f() {\n\tif y {\n\t    return 2\n\t}\n}\n", true,
		},
		{
			"relative indentation re-based",
			"class A:\n        def f(self):\n            pass\n",
			"  def f(self):\n      pass\n",
			"  def g(self):\n      return 1\n",
			"class A:\n        def g(self):\n            return 1\n", true,
		},
		{
			"trailing whitespace ignored",
			"a  \nb\t\nc\n",
			"a\nb",
			"A\nB",
			"A\nB\nc\n", true,
		},
		{
			"lines indented less than the first are kept as written",
			"    x = [\n        1,\n    ]\n",
			"x = [\n1,\n]",
			"  y = [\n    2,\n]",
			"    y = [\n      2,\n]\n", true,
		},
		{"exact match is a substring, even mid-line", "a\n  b\nc\n", "b\n", "", "a\n  c\n", true},
		{"line match deletes lines", "a\n  b\nc\n", "b  \n", "", "a\nc\n", true},
		{"blank-only old never line-matches", "a\n\nb\n", "  \n \n", "x", "a\n\nb\n", false},
		{"line match needs whole lines", "foo bar\n", " foo\n", "x", "foo bar\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := applyEdit(tt.content, tt.old, tt.new)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func edits(pairs ...string) []any {
	var out []any
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, map[string]any{"oldText": pairs[i], "newText": pairs[i+1]})
	}
	return out
}

func TestEditFile(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	p := filepath.Join(dir, "f.go")
	orig := "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n"
	writeTestFile(t, p, orig)
	require.NoError(t, os.Chmod(p, 0o600))

	t.Run("dry run writes nothing", func(t *testing.T) {
		res := callOK(t, s, "edit_file", args("path", "f.go", "edits", edits(`"hi"`, `"hello"`), "dryRun", true))
		require.Contains(t, res.Text(), "Dry run: nothing was written")
		require.Contains(t, res.Text(), "-\tprintln(\"hi\")\n+\tprintln(\"hello\")\n")
		require.Equal(t, orig, readTestFile(t, p))
	})
	t.Run("edits apply in order", func(t *testing.T) {
		// The second edit matches text only the first one produced.
		res := callOK(t, s, "edit_file", args("path", "f.go", "edits", edits(`"hi"`, `"hello"`, `"hello"`, `"hello, world"`)))
		require.Equal(t, "Applied 2 edits to f.go:\n\n"+
			"--- f.go\n+++ f.go\n@@ -1,5 +1,5 @@\n package main\n \n func main() {\n-\tprintln(\"hi\")\n+\tprintln(\"hello, world\")\n }\n",
			res.Text())
		require.Equal(t, strings.Replace(orig, `"hi"`, `"hello, world"`, 1), readTestFile(t, p))
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "permissions are kept")
	})
	t.Run("one failing edit writes nothing and is named", func(t *testing.T) {
		before := readTestFile(t, p)
		callErr(t, s, "edit_file", args("path", "f.go", "edits", edits("main", "Main", "absent", "x")),
			"edits[1] (edit 2 of 2) did not match")
		require.Equal(t, before, readTestFile(t, p))
	})
	t.Run("unchanged", func(t *testing.T) {
		res := callOK(t, s, "edit_file", args("path", "f.go", "edits", edits("main", "main")))
		require.Contains(t, res.Text(), "unchanged; nothing was written")
	})
}

func TestEditFileLineEndings(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	p := filepath.Join(dir, "win.txt")
	writeTestFile(t, p, "one\r\ntwo\r\nthree\r\n")
	callOK(t, s, "edit_file", args("path", "win.txt", "edits", edits("two\nthree", "2\r\n3")))
	require.Equal(t, "one\r\n2\r\n3\r\n", readTestFile(t, p), "CRLF files stay CRLF, whichever breaks the edit uses")
}

func TestEditFileErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxReadBytes: 32, MaxWriteBytes: 16})
	writeTestFile(t, filepath.Join(dir, "f.txt"), "small\n")
	writeTestFile(t, filepath.Join(dir, "big.txt"), strings.Repeat("x", 40))
	writeTestFile(t, filepath.Join(dir, "bin"), "a\x00b")
	tests := []textCase{
		{"no edits", args("path", "f.txt", "edits", []any{}), `argument "edits" must have at least 1 items`},
		{"empty oldText", args("path", "f.txt", "edits", edits("", "x")), "edits[0].oldText is empty"},
		{"missing newText", args("path", "f.txt", "edits", []any{map[string]any{"oldText": "a"}}), `argument "edits[0].newText" is required`},
		{"unknown edit field", args("path", "f.txt", "edits", []any{map[string]any{"oldText": "a", "newText": "b", "x": 1}}), "invalid arguments"},
		{"missing file", args("path", "none.txt", "edits", edits("a", "b")), "no such file"},
		{"binary", args("path", "bin", "edits", edits("a", "b")), "binary file"},
		{"read limit", args("path", "big.txt", "edits", edits("x", "y")), "MaxReadBytes"},
		{"write limit", args("path", "f.txt", "edits", edits("small", strings.Repeat("y", 20))), "the edited file would be 21 B, over the write limit of 16 B (MaxWriteBytes)"},
		{"outside", args("path", "../f.txt", "edits", edits("a", "b")), "outside the allowed directories"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callErr(t, s, "edit_file", tt.args, tt.want)
		})
	}
	require.Equal(t, "small\n", readTestFile(t, filepath.Join(dir, "f.txt")))
}

// FuzzApplyEdit checks the edit matcher on any input: it never panics; an
// exact occurrence is always replaced as strings.Replace would; and a
// line-wise match replaces whole lines, leaving the rest alone.
func FuzzApplyEdit(f *testing.F) {
	f.Add("a\n  b\nc\n", "b", "B")
	f.Add("\tif x {\n\t\ty\n\t}\n", "if x {\n  y\n}", "if z {\n  w\n}")
	f.Add("", "x", "")
	f.Add("a\n\n", "\n", "\n\n")
	f.Fuzz(func(t *testing.T, content, old, new string) {
		if old == "" {
			return
		}
		got, ok := applyEdit(content, old, new)
		if strings.Contains(content, old) {
			require.True(t, ok)
			require.Equal(t, strings.Replace(content, old, new, 1), got)
			return
		}
		if !ok {
			require.Equal(t, content, got)
			return
		}
		lines := strings.Split(content, "\n")
		at := matchLines(lines, splitEditLines(old))
		require.GreaterOrEqual(t, at, 0)
		n := len(splitEditLines(old))
		want := len(lines) - n + len(splitEditLines(new))
		if want == 0 {
			require.Equal(t, "", got, "every line was replaced by nothing")
			return
		}
		gotLines := strings.Split(got, "\n")
		require.Len(t, gotLines, want)
		require.Equal(t, lines[:at], gotLines[:at], "lines before the match are kept")
		require.Equal(t, lines[at+n:], gotLines[len(gotLines)-(len(lines)-at-n):], "lines after the match are kept")
	})
}

// TestArgumentNamesAreExact: encoding/json matches member names without
// regard to case, so {"dryRun": true, "dryrun": false} decoded alone would
// write the file that a reader of "dryRun" expects only to be diffed. The
// schema check refuses every name it does not know, exactly.
func TestArgumentNamesAreExact(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	p := filepath.Join(dir, "f.txt")
	writeTestFile(t, p, "old\n")
	callErr(t, s, "edit_file", args("path", "f.txt", "edits", edits("old", "new"), "dryRun", true, "dryrun", false),
		`argument "dryrun" is not a known argument`)
	require.Equal(t, "old\n", readTestFile(t, p))
}
