package agent

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
)

// render turns what came of running a step's code into the text the model
// reads next. It is deterministic (no durations, no rule names: what the
// model is told of a refusal is the reason the Gate gave it) and at most
// about limit bytes: the error, the calls and the console get a quarter each
// at most, the return value what is left, each clipped head and tail.
func render(rep ironcurtain.Report, runErr string, limit int) string {
	quarter := limit / 4
	var sections []string
	if runErr != "" {
		sections = append(sections, clip("The code failed: "+runErr, quarter))
	} else {
		sections = append(sections, "The code ran to the end.")
	}
	if len(rep.Calls) > 0 {
		var b strings.Builder
		b.WriteString("Tool calls:")
		for i, c := range rep.Calls {
			b.WriteString("\n" + strconv.Itoa(i+1) + ". " + c.Server + "." + c.Tool + ": " + callOutcome(c))
		}
		sections = append(sections, clip(b.String(), quarter))
	}
	if len(rep.Output) > 0 {
		sections = append(sections, clip("Console:\n"+strings.Join(rep.Output, "\n"), quarter))
	}
	if runErr == "" {
		used := 0
		for _, s := range sections {
			used += len(s) + 2
		}
		value := strings.TrimSpace(string(rep.Value))
		if value == "" || value == "null" {
			sections = append(sections, "Returned: nothing.")
		} else {
			sections = append(sections, clip("Returned:\n"+value, max(limit-used, quarter)))
		}
	}
	if refused(rep.Calls) {
		sections = append(sections, "A refused call will be refused again. Do not repeat it or work around it: take another way, or end with an answer that says what could not be done and why.")
	}
	return strings.Join(sections, "\n\n")
}

// callOutcome describes one call as the model may see it.
func callOutcome(c ironcurtain.CallRecord) string {
	var s string
	switch c.Verdict {
	case ironcurtain.Allow:
		if c.Error == "" {
			return "allowed"
		}
		s = "allowed, but the tool failed"
	case ironcurtain.Escalate:
		s = "refused (needed approval, which was not given)"
	default:
		s = "refused"
	}
	msg := c.Error
	if msg == "" {
		msg = c.Reason
	}
	if msg != "" {
		s += ": " + oneLine(msg)
	}
	return s
}

func refused(calls []ironcurtain.CallRecord) bool {
	for _, c := range calls {
		if c.Verdict != ironcurtain.Allow {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clip keeps s whole if it fits in n bytes; otherwise its first four
// fifths and its last fifth, cut at character boundaries, with a marker
// saying how much was left out in between.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := n * 4 / 5
	tail := n - head
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[:head] + "\n[... " + strconv.Itoa(start-head) + " bytes left out ...]\n" + s[start:]
}
