package git

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// hostPathMarker replaces a host path outside the roots in what the model
// is shown.
const hostPathMarker = "[path outside the allowed directories]"

// errNotRegular marks a file that is not a regular one where git reads one.
var errNotRegular = errors.New("not a regular file")

// redactResult removes host paths outside the roots from the text of an
// error result: git's messages name the files it could not use, and a
// path the model gave may resolve to one it may not know of. No argument
// is exempt, not even one that names such a path: the arguments a tool
// receives are the ones the Gate judged, in which PrepareCall has already
// replaced the path the model wrote by what it resolves to (a symbolic
// link in the sandbox that points outside it would otherwise be told its
// target).
func (s *Server) redactResult(res ironcurtain.Result) ironcurtain.Result {
	if !res.IsError {
		return res
	}
	content := make([]ironcurtain.Content, len(res.Content))
	for i, c := range res.Content {
		if c.Type == "text" {
			c.Text = s.redactHostPaths(c.Text)
		}
		content[i] = c
	}
	res.Content = content
	return res
}

// redactHostPaths replaces every absolute path in text that does not lie
// (lexically, after cleaning) inside a root with hostPathMarker, and the
// server's private directory with its name. A path is a "/" at the start
// of the text or after a space, quote, bracket, "=" or ":", up to the next
// space or quote; "scheme://host/..." is a URL and left alone, while
// "file:///dir" names the host path "/dir".
func (s *Server) redactHostPaths(text string) string {
	text = strings.ReplaceAll(text, s.base, "[git-server-dir]")
	var b strings.Builder
	i := 0
	for i < len(text) {
		j := strings.IndexByte(text[i:], '/')
		if j < 0 {
			break
		}
		j += i
		if j > 0 && !strings.ContainsRune(" \t\n\r'\"`([{<=:,", rune(text[j-1])) {
			b.WriteString(text[i : j+1])
			i = j + 1
			continue
		}
		start := j
		if strings.HasPrefix(text[j:], "//") {
			if !strings.HasPrefix(text[j:], "///") {
				// A URL's authority: copy it up to its end.
				end := pathEnd(text, j)
				b.WriteString(text[i:end])
				i = end
				continue
			}
			start = j + 2
		}
		end := pathEnd(text, start)
		p := strings.TrimRight(text[start:end], ".:")
		end = start + len(p)
		b.WriteString(text[i:start])
		if s.shownPath(p) {
			b.WriteString(p)
		} else {
			b.WriteString(hostPathMarker)
		}
		i = end
	}
	b.WriteString(text[i:])
	return b.String()
}

// pathEnd returns the index where the path starting at i ends.
func pathEnd(text string, i int) int {
	for k := i; k < len(text); k++ {
		if strings.IndexByte(" \t\n\r'\"`)]}>,;", text[k]) >= 0 {
			return k
		}
	}
	return len(text)
}

// shownPath reports whether the model may be shown the absolute path p:
// it lies inside a root, as the roots were given or as they resolve.
func (s *Server) shownPath(p string) bool {
	c := filepath.Clean(p)
	return withinAny(s.cfg.roots, c) || withinAny(s.cfg.givenRoots, c)
}

// pathReason words why a path could not be resolved, for the model: the
// kind of failure, never the operating system's text (which names host
// paths and the failing call).
func pathReason(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "it does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "the git server may not read a directory on the way"
	case errors.As(err, &errno) && errno == syscall.ENOTDIR:
		return "a part of it is a file, not a folder"
	case errors.Is(err, realpath.ErrLoop), errors.As(err, &errno) && errno == syscall.ELOOP:
		return "its symbolic links loop or go too deep"
	case errors.Is(err, realpath.ErrTooLong), errors.As(err, &errno) && errno == syscall.ENAMETOOLONG:
		return "it is too long"
	case errors.Is(err, errNotRegular):
		return "it is not a regular file"
	}
	return "it cannot be resolved"
}
