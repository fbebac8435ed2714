package fs

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadTextFile(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "lines.txt"), "one\ntwo\nthree\n")
	writeTestFile(t, filepath.Join(dir, "open.txt"), "one\ntwo\nthree")
	writeTestFile(t, filepath.Join(dir, "crlf.txt"), "one\r\ntwo\r\n")
	writeTestFile(t, filepath.Join(dir, "empty.txt"), "")
	writeTestFile(t, filepath.Join(dir, "utf8.txt"), "héllo wörld ✓\n")
	tests := []textCase{
		{"whole", args("path", "lines.txt"), "one\ntwo\nthree\n"},
		{"absolute", args("path", filepath.Join(dir, "lines.txt")), "one\ntwo\nthree\n"},
		{"empty file", args("path", "empty.txt"), ""},
		{"utf-8", args("path", "utf8.txt"), "héllo wörld ✓\n"},
		{"head 2", args("path", "lines.txt", "head", 2), "one\ntwo\n"},
		{"head 0", args("path", "lines.txt", "head", 0), ""},
		{"head past end", args("path", "lines.txt", "head", 10), "one\ntwo\nthree\n"},
		{"head as float", args("path", "lines.txt", "head", 1.0), "one\n"},
		{"tail 1", args("path", "lines.txt", "tail", 1), "three\n"},
		{"tail 2", args("path", "lines.txt", "tail", 2), "two\nthree\n"},
		{"tail 0", args("path", "lines.txt", "tail", 0), ""},
		{"tail past start", args("path", "lines.txt", "tail", 10), "one\ntwo\nthree\n"},
		{"tail without final newline", args("path", "open.txt", "tail", 2), "two\nthree"},
		{"head without final newline", args("path", "open.txt", "head", 3), "one\ntwo\nthree"},
		{"crlf kept", args("path", "crlf.txt", "tail", 1), "two\r\n"},
	}
	for _, tool := range []string{"read_text_file", "read_file"} {
		t.Run(tool, func(t *testing.T) { requireTexts(t, s, tool, false, tests) })
	}
}

func TestReadTextFileErrors(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxReadBytes: 64})
	writeTestFile(t, filepath.Join(dir, "f.txt"), "x\n")
	writeTestFile(t, filepath.Join(dir, "nul.bin"), "text\x00more")
	writeTestFile(t, filepath.Join(dir, "latin1.txt"), "caf\xe9\n")
	writeTestFile(t, filepath.Join(dir, "big.txt"), strings.Repeat("line\n", 100))
	writeTestFile(t, filepath.Join(dir, "longline.txt"), strings.Repeat("x", 100)+"\n")
	tests := []textCase{
		{"head and tail", args("path", "f.txt", "head", 1, "tail", 1), "head and tail cannot be used together"},
		// Arguments are checked against the published schema, with the
		// Gate's own messages.
		{"negative head", args("path", "f.txt", "head", -1), `argument "head" must be at least 0`},
		{"fractional head", args("path", "f.txt", "head", 1.5), `argument "head" must be a multiple of 1`},
		{"huge head", args("path", "f.txt", "head", 1e300), `argument "head" must be an integer`},
		{"null head", args("path", "f.txt", "head", nil), `argument "head" must be a number`},
		{"unknown argument", args("path", "f.txt", "lines", 1), `argument "lines" is not a known argument`},
		{"missing", args("path", "nope.txt"), "cannot read nope.txt: no such file or directory"},
		{"directory", args("path", "."), "it is a directory"},
		{"no path", args(), `argument "path" is required`},
		{"empty path", args("path", ""), "the path is empty"},
		{"path not a string", args("path", 7), `argument "path" must be a string`},
		{"NUL byte", args("path", "nul.bin"), "binary file"},
		{"invalid UTF-8", args("path", "latin1.txt"), "use read_media_file"},
		{"binary with head", args("path", "nul.bin", "head", 1), "binary file"},
		{"binary with tail", args("path", "nul.bin", "tail", 1), "binary file"},
		{"over the limit", args("path", "big.txt"), "the file is 500 B, over the read limit of 64 B (MaxReadBytes); read part of it with head or tail"},
		{"head over the limit", args("path", "longline.txt", "head", 1), "the first 1 lines are over 64 B"},
		{"tail over the limit", args("path", "big.txt", "tail", 20), "the last 20 lines are over 64 B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callErr(t, s, "read_text_file", tt.args, tt.want)
		})
	}
	t.Run("head and tail of a file over the limit", func(t *testing.T) {
		require.Equal(t, "line\nline\n", callOK(t, s, "read_text_file", args("path", "big.txt", "head", 2)).Text())
		require.Equal(t, "line\nline\n", callOK(t, s, "read_text_file", args("path", "big.txt", "tail", 2)).Text())
	})
}

// TestReadTailAcrossChunks reads tails that span the 64 KiB steps in which
// the file is read backwards.
func TestReadTailAcrossChunks(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	var b strings.Builder
	for i := range 30000 {
		b.WriteString(strings.Repeat("#", i%17))
		b.WriteString("\n")
	}
	content := b.String()
	writeTestFile(t, filepath.Join(dir, "long.txt"), content)
	lines := strings.SplitAfter(content, "\n")
	lines = lines[:len(lines)-1]
	for _, n := range []int{1, 5000, 12345, 29999, 30000, 40000} {
		want := strings.Join(lines[max(0, len(lines)-n):], "")
		require.Equal(t, want, callOK(t, s, "read_text_file", args("path", "long.txt", "tail", n)).Text(), "tail %d", n)
		want = strings.Join(lines[:min(n, len(lines))], "")
		require.Equal(t, want, callOK(t, s, "read_text_file", args("path", "long.txt", "head", n)).Text(), "head %d", n)
	}
}

func TestLooksBinary(t *testing.T) {
	euro := "€" // three bytes
	tests := []struct {
		name     string
		chunk    string
		complete bool
		want     bool
	}{
		{"text", "hello\n", true, false},
		{"empty", "", true, false},
		{"NUL", "a\x00b", true, true},
		{"invalid", "\xff\xfe", true, true},
		{"cut rune at end of a partial chunk", "ab" + euro[:2], false, false},
		{"cut rune at end of the whole file", "ab" + euro[:2], true, true},
		{"invalid before the cut", "\xffab" + euro[:1], false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, looksBinary([]byte(tt.chunk), tt.complete))
		})
	}
}

func TestReadMultipleFiles(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxReadBytes: 10})
	writeTestFile(t, filepath.Join(dir, "a.txt"), "aaaa")
	writeTestFile(t, filepath.Join(dir, "b.txt"), "bbbb")
	writeTestFile(t, filepath.Join(dir, "c.txt"), "cccc")

	res := callOK(t, s, "read_multiple_files", args("paths", []any{"a.txt", "missing.txt", "/etc/hostname", "b.txt", "c.txt"}))
	require.Equal(t, "a.txt:\naaaa"+
		"\n---\ncannot read missing.txt: no such file or directory"+
		"\n---\ncannot read /etc/hostname: it is outside the allowed directories (see list_allowed_directories)"+
		"\n---\nb.txt:\nbbbb"+
		"\n---\ncannot read c.txt: the file is 4 B, over the 2 B left of this call's read limit of 10 B (MaxReadBytes); read part of it with head or tail",
		res.Text(), "each file stands alone, and the call's total is bounded")

	callErr(t, s, "read_multiple_files", args("paths", []any{"x", "y"}), "cannot read x")
	callErr(t, s, "read_multiple_files", args("paths", []any{}), `argument "paths" must have at least 1 items`)
	callErr(t, s, "read_multiple_files", args("paths", "a.txt"), "must be an array")

	few, _ := newTestServer(t, Options{MaxEntries: 2})
	callErr(t, few, "read_multiple_files", args("paths", []any{"a", "b", "c"}), "MaxEntries")
}

func TestReadMediaFile(t *testing.T) {
	s, dir := newTestServer(t, Options{MaxReadBytes: 16})
	png := "\x89PNG\r\n\x1a\n\x00\x00"
	writeTestFile(t, filepath.Join(dir, "pic.PNG"), png)
	writeTestFile(t, filepath.Join(dir, "sound.wav"), "RIFF....WAVE")
	writeTestFile(t, filepath.Join(dir, "doc.pdf"), "%PDF-1.7")
	writeTestFile(t, filepath.Join(dir, "blob"), "\x00\x01")
	writeTestFile(t, filepath.Join(dir, "huge.png"), strings.Repeat("x", 17))

	res := callOK(t, s, "read_media_file", args("path", "pic.PNG"))
	require.Len(t, res.Content, 1)
	require.Equal(t, "image", res.Content[0].Type)
	require.Equal(t, "image/png", res.Content[0].MIMEType)
	require.Equal(t, []byte(png), res.Content[0].Data)

	res = callOK(t, s, "read_media_file", args("path", "sound.wav"))
	require.Equal(t, "audio", res.Content[0].Type)
	require.Equal(t, "audio/wav", res.Content[0].MIMEType)

	res = callOK(t, s, "read_media_file", args("path", "doc.pdf"))
	require.Equal(t, "data:application/pdf;base64,"+base64.StdEncoding.EncodeToString([]byte("%PDF-1.7")), res.Text())
	res = callOK(t, s, "read_media_file", args("path", "blob"))
	require.Equal(t, "data:application/octet-stream;base64,AAE=", res.Text())

	callErr(t, s, "read_media_file", args("path", "huge.png"), "over the read limit of 16 B (MaxReadBytes)")
	callErr(t, s, "read_media_file", args("path", "."), "it is a directory")
	callErr(t, s, "read_media_file", args("path", "none.png"), "no such file")
}
