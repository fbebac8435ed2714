package fs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// sniffLen is how much of a file is examined to tell text from binary.
const sniffLen = 8 << 10

var errBinary = errors.New("it looks like a binary file (it holds NUL bytes or invalid UTF-8); use read_media_file to get its bytes as base64")

type readArgs struct {
	pathArgs
	Head *int `json:"head,omitempty" desc:"Return only the first N lines." schema:"type=number,minimum=0"`
	Tail *int `json:"tail,omitempty" desc:"Return only the last N lines." schema:"type=number,minimum=0"`
}

// readTextFile serves read_text_file and its older name read_file.
func (s *Server) readTextFile(_ context.Context, a readArgs) (ironcurtain.Result, error) {
	if a.Head != nil && a.Tail != nil {
		return ironcurtain.Result{}, toolset.Failf("head and tail cannot be used together; pass one of them")
	}
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("read", a.Path, err), nil
	}
	text, err := readText(t, a.Head, a.Tail, s.lim.maxRead, readLimit(s.lim.maxRead))
	if err != nil {
		return fail("read", a.Path, err), nil
	}
	return ironcurtain.TextResult(text), nil
}

type readManyArgs struct {
	Paths []string `json:"paths" desc:"The files to read." schema:"minItems=1"`
}

// readMultipleFiles reads each file on its own: one file's failure is
// reported in its place and does not fail the others. The bytes returned
// by one call are bounded by MaxReadBytes in total.
func (s *Server) readMultipleFiles(ctx context.Context, a readManyArgs) (ironcurtain.Result, error) {
	if len(a.Paths) > s.lim.maxEntries {
		return ironcurtain.Result{}, toolset.Failf("cannot read %d files: %v", len(a.Paths), &limitError{
			what: "that is more files than allowed", limit: entryLimit(s.lim.maxEntries),
			hint: "read them in smaller groups"})
	}
	roots := s.snapshot()
	budget := s.lim.maxRead
	var b strings.Builder
	var causes []error
	for i, p := range a.Paths {
		if err := ctx.Err(); err != nil {
			return ironcurtain.Result{}, err
		}
		if i > 0 {
			b.WriteString("\n---\n")
		}
		t, err := resolve(roots, p)
		var text string
		if err == nil {
			limit := fmt.Sprintf("the %s left of this call's read limit of %s (MaxReadBytes)", size(budget), size(s.lim.maxRead))
			text, err = readText(t, nil, nil, budget, limit)
		}
		if err != nil {
			causes = append(causes, err)
			b.WriteString(failText("read", p, err))
			continue
		}
		budget -= int64(len(text))
		b.WriteString(display(p))
		b.WriteString(":\n")
		b.WriteString(text)
	}
	if len(causes) == len(a.Paths) {
		return failure(b.String(), errors.Join(causes...)).Result(), nil
	}
	return ironcurtain.TextResult(b.String()), nil
}

// openRegular opens a regular file beneath its root for reading.
func openRegular(t target) (*os.File, int64, error) {
	f, err := t.root.r.OpenFile(t.rel, openReadFlag, 0)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case fi.IsDir():
		err = errors.New("it is a directory")
	case !fi.Mode().IsRegular():
		err = errors.New("it is not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// readText reads a text file whole, or its first head or last tail lines,
// refusing binary content and more than limit bytes (described by
// limitText in the error).
func readText(t target, head, tail *int, limit int64, limitText string) (string, error) {
	f, sz, err := openRegular(t)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var data []byte
	switch {
	case head != nil:
		data, err = readHead(f, *head, limit, limitText)
	case tail != nil:
		data, err = readTail(f, sz, *tail, limit, limitText)
	default:
		var sb strings.Builder
		if err := readAll(&sb, f, sz, limit, limitText, "read part of it with head or tail"); err != nil {
			return "", err
		}
		text := sb.String()
		if looksBinary([]byte(text[:min(len(text), sniffLen)]), len(text) <= sniffLen) {
			return "", errBinary
		}
		return text, nil
	}
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// buffer is what readAll reads into: a strings.Builder for text, which
// becomes a string without a copy, or a bytes.Buffer for media.
type buffer interface {
	io.Writer
	Len() int
	Grow(n int)
}

// readAll reads f, whose size was sz when opened, into w, refusing more
// than limit bytes also when the file grows while it is read.
func readAll(w buffer, f *os.File, sz, limit int64, limitText, hint string) error {
	tooBig := func(n int64) error {
		return &limitError{what: "the file is " + size(n), limit: limitText, hint: hint}
	}
	if sz > limit {
		return tooBig(sz)
	}
	w.Grow(int(sz))
	if _, err := io.Copy(w, io.LimitReader(f, limit+1)); err != nil {
		return err
	}
	if n := int64(w.Len()); n > limit {
		return tooBig(n)
	}
	return nil
}

// readHead returns the exact bytes of the first n lines.
func readHead(f *os.File, n int, limit int64, limitText string) ([]byte, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	peek, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if looksBinary(peek, len(peek) < sniffLen) {
		return nil, errBinary
	}
	var out []byte
	for lines := 0; lines < n; {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if int64(len(out)) > limit {
			return nil, &limitError{what: fmt.Sprintf("the first %d lines are over %s", n, size(limit)), limit: limitText, hint: "ask for fewer lines"}
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lines++
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return out, nil
		default:
			return nil, err
		}
	}
	return out, nil
}

// readTail returns the exact bytes of the last n lines, reading backwards
// from the end so that the tail of a file far larger than the limit can be
// read. A final newline ends the last line; it does not begin another.
func readTail(f *os.File, sz int64, n int, limit int64, limitText string) ([]byte, error) {
	head := make([]byte, min(sz, sniffLen))
	if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, err
	}
	if looksBinary(head, sz <= sniffLen) {
		return nil, errBinary
	}
	if n == 0 {
		return nil, nil
	}
	const step = 64 << 10
	var chunks [][]byte // back to front
	found := 0
	tooBig := &limitError{what: fmt.Sprintf("the last %d lines are over %s", n, size(limit)), limit: limitText, hint: "ask for fewer lines"}
scan:
	for pos := sz; pos > 0; {
		k := min(step, pos)
		buf := make([]byte, k)
		if _, err := f.ReadAt(buf, pos-k); err != nil {
			if err == io.EOF {
				err = errors.New("the file changed while it was read")
			}
			return nil, err
		}
		pos -= k
		for i := len(buf) - 1; i >= 0; i-- {
			if buf[i] != '\n' || pos+int64(i) == sz-1 {
				continue
			}
			if found++; found == n {
				chunks = append(chunks, buf[i+1:])
				break scan
			}
		}
		chunks = append(chunks, buf)
		if sz-pos > limit {
			return nil, tooBig
		}
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	if int64(total) > limit {
		return nil, tooBig
	}
	out := make([]byte, 0, total)
	for i := len(chunks) - 1; i >= 0; i-- {
		out = append(out, chunks[i]...)
	}
	return out, nil
}

// looksBinary reports whether a file's first bytes hold a NUL byte or
// invalid UTF-8. Unless complete says chunk is the whole file, a character
// cut in two at the end of chunk is forgiven.
func looksBinary(chunk []byte, complete bool) bool {
	if slices.Contains(chunk, 0) {
		return true
	}
	if !complete {
		// Drop a trailing, incomplete multi-byte sequence (at most 3 bytes).
		for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-3; i-- {
			if utf8.RuneStart(chunk[i]) {
				if !utf8.FullRune(chunk[i:]) {
					chunk = chunk[:i]
				}
				break
			}
		}
	}
	return !utf8.Valid(chunk)
}
