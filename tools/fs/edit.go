package fs

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type edit struct {
	OldText string `json:"oldText" desc:"Text to find; it must occur in the file."`
	NewText string `json:"newText" desc:"Text to put in its place."`
}

type editArgs struct {
	pathArgs
	Edits  []edit `json:"edits" desc:"The replacements, applied in order." schema:"minItems=1"`
	DryRun bool   `json:"dryRun,omitempty" desc:"Show the diff without writing." schema:"default=false"`
}

// editFile applies every edit in memory, in order, and writes the result
// atomically only if all of them applied. It returns a unified diff.
func (s *Server) editFile(_ context.Context, a editArgs) (ironcurtain.Result, error) {
	for i, e := range a.Edits {
		if e.OldText == "" {
			return ironcurtain.Result{}, toolset.Failf("edits[%d].oldText is empty; it must quote the text to replace", i)
		}
	}
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("edit", a.Path, err), nil
	}
	old, err := readText(t, nil, nil, s.lim.maxRead, readLimit(s.lim.maxRead))
	if err != nil {
		return fail("edit", a.Path, err), nil
	}
	crlf := usesCRLF(old)
	before := old
	if crlf {
		before = strings.ReplaceAll(old, "\r\n", "\n")
	}
	after := before
	for i, e := range a.Edits {
		var ok bool
		after, ok = applyEdit(after, lf(e.OldText), lf(e.NewText))
		if !ok {
			return ironcurtain.Result{}, toolset.Failf("cannot edit %s: edits[%d] (edit %d of %d) did not match: its oldText is not in the file, "+
				"not even ignoring leading and trailing whitespace on each line; nothing was written",
				display(a.Path), i, i+1, len(a.Edits))
		}
	}
	diff := unifiedDiff(a.Path, before, after)
	if diff == "" {
		return ironcurtain.TextResult("The edits leave " + display(a.Path) + " unchanged; nothing was written."), nil
	}
	if a.DryRun {
		return ironcurtain.TextResult("Dry run: nothing was written. The edits would make this change:\n\n" + diff), nil
	}
	content := after
	if crlf {
		content = strings.ReplaceAll(after, "\n", "\r\n")
	}
	if n := int64(len(content)); n > s.lim.maxWrite {
		return fail("edit", a.Path, &limitError{what: "the edited file would be " + size(n), limit: writeLimit(s.lim.maxWrite)}), nil
	}
	if err := atomicWrite(t.root.r, t.rel, []byte(content)); err != nil {
		return fail("edit", a.Path, err), nil
	}
	noun := "edits"
	if len(a.Edits) == 1 {
		noun = "edit"
	}
	return ironcurtain.TextResult(fmt.Sprintf("Applied %d %s to %s:\n\n%s", len(a.Edits), noun, display(a.Path), diff)), nil
}

// usesCRLF reports whether every line break in s is "\r\n". Such a file is
// edited with "\n" breaks and written back with "\r\n".
func usesCRLF(s string) bool {
	n := strings.Count(s, "\n")
	return n > 0 && strings.Count(s, "\r\n") == n
}

func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// applyEdit replaces the first occurrence of old in content with new. If
// old does not occur exactly, it looks for the first run of lines equal to
// old's lines when leading and trailing whitespace is ignored, and
// replaces those lines with new's, re-indented to the matched text (see
// reindent). It reports whether old was found either way.
func applyEdit(content, old, new string) (string, bool) {
	if i := strings.Index(content, old); i >= 0 {
		return content[:i] + new + content[i+len(old):], true
	}
	lines := strings.Split(content, "\n")
	oldLines := splitEditLines(old)
	at := matchLines(lines, oldLines)
	if at < 0 {
		return content, false
	}
	repl := reindent(splitEditLines(new), leadingSpace(lines[at]))
	out := make([]string, 0, len(lines)-len(oldLines)+len(repl))
	out = append(out, lines[:at]...)
	out = append(out, repl...)
	out = append(out, lines[at+len(oldLines):]...)
	return strings.Join(out, "\n"), true
}

// splitEditLines splits an edit's text into lines; a final newline ends the
// last line rather than beginning an empty one, and "" has no lines.
func splitEditLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// matchLines returns the index of the first run of lines that equals want
// line by line with surrounding whitespace trimmed, or -1. A want of only
// blank lines matches nothing: it would match any blank line.
func matchLines(lines, want []string) int {
	trimmed := make([]string, len(want))
	blank := true
	for i, w := range want {
		trimmed[i] = strings.TrimSpace(w)
		blank = blank && trimmed[i] == ""
	}
	if blank {
		return -1
	}
next:
	for at := 0; at+len(want) <= len(lines); at++ {
		for j, w := range trimmed {
			if strings.TrimSpace(lines[at+j]) != w {
				continue next
			}
		}
		return at
	}
	return -1
}

// reindent moves new's lines to the indentation of the matched text: the
// first line takes indent in place of its own, and each later line that
// begins with the first line's indentation has it replaced by indent too,
// keeping its indentation relative to the first. Lines indented less than
// the first, and blank lines, are kept as written.
func reindent(lines []string, indent string) []string {
	if len(lines) == 0 {
		return nil
	}
	base := leadingSpace(lines[0])
	out := make([]string, len(lines))
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, base); ok && strings.TrimSpace(l) != "" {
			out[i] = indent + rest
		} else {
			out[i] = l
		}
	}
	return out
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}
