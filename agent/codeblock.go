package agent

import "strings"

// codeLangs are the info strings that mark a fenced block as code to run.
// TypeScript is what the prompt asks for; models that drift to JavaScript
// write a subset of it.
var codeLangs = map[string]bool{"ts": true, "typescript": true, "js": true, "javascript": true}

// extraction is what an answer holds: the first code block, if any.
type extraction struct {
	// code is the first code block's content, without its fences.
	code string
	// found reports a code block; closed that it had a closing fence.
	found, closed bool
	// extra counts the further code blocks, which are not run.
	extra int
}

// extractCode finds the fenced code blocks of an answer, Markdown-style: a
// fence is a line of three or more backticks indented by at most three
// spaces; a block is code when the first word of its info string is one of
// codeLangs, case-insensitive. Other fenced blocks (JSON, shell, none) are
// part of the prose and their contents are skipped, so code quoted in them
// is not run. A closing fence has at least as many backticks as its
// opening one and nothing else. A code block left open runs to the end of
// the text (closed is false).
func extractCode(text string) extraction {
	var ex extraction
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		n, info, ok := openingFence(lines[i])
		if !ok {
			continue
		}
		lang, _, _ := strings.Cut(strings.TrimSpace(info), " ")
		isCode := codeLangs[strings.ToLower(lang)]
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if closingFence(lines[j], n) {
				end = j
				break
			}
		}
		if isCode {
			if ex.found {
				ex.extra++
			} else {
				ex.found, ex.closed = true, end < len(lines)
				ex.code = strings.Join(lines[i+1:end], "\n")
			}
		}
		i = end
	}
	return ex
}

// openingFence reports whether line opens a fenced block, with the number
// of backticks and the info string after them.
func openingFence(line string) (n int, info string, ok bool) {
	s, ok := fenceIndent(line)
	if !ok {
		return 0, "", false
	}
	n = countBackticks(s)
	if n < 3 {
		return 0, "", false
	}
	info = s[n:]
	if strings.Contains(info, "`") { // CommonMark: not a fence
		return 0, "", false
	}
	return n, info, true
}

// closingFence reports whether line closes a block opened with n backticks.
func closingFence(line string, n int) bool {
	s, ok := fenceIndent(line)
	if !ok {
		return false
	}
	m := countBackticks(s)
	return m >= n && strings.TrimRight(s[m:], " \t") == ""
}

// fenceIndent strips up to three spaces of indentation; a line with four
// or more is indented code, never a fence.
func fenceIndent(line string) (string, bool) {
	for i := 0; i < len(line) && i < 4; i++ {
		if line[i] != ' ' {
			return line[i:], true
		}
	}
	return "", false
}

func countBackticks(s string) int {
	n := 0
	for n < len(s) && s[n] == '`' {
		n++
	}
	return n
}
