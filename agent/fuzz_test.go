package agent

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// FuzzExtractCode: any text is handled; a code block found is a piece of
// the text; and code without fence lines, wrapped in a ts fence, comes
// back as it was.
func FuzzExtractCode(f *testing.F) {
	for _, s := range []string{"", "prose", "```ts\nreturn 1;\n```", "````ts\n```\n````", "```json\n```ts\n```", "   ```js\nx", "```ts`\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ex := extractCode(text)
		norm := strings.ReplaceAll(text, "\r\n", "\n")
		if ex.found {
			require.Contains(t, norm, ex.code)
		} else {
			require.Zero(t, ex.extra)
		}
		body := strings.ReplaceAll(text, "\r", "")
		for _, line := range strings.Split(body, "\n") {
			if _, ok := fenceIndent(line); ok && strings.HasPrefix(strings.TrimLeft(line, " "), "```") {
				return // holds a fence line of its own
			}
		}
		got := extractCode("Here:\n```ts\n" + body + "\n```\nDone.")
		require.True(t, got.found && got.closed)
		require.Equal(t, body, got.code)
		require.Zero(t, got.extra)
	})
}

// FuzzParseVerdict: whatever the model says, a verdict is approve or
// escalate with a reason, and the AutoApprover approves exactly then,
// never rejects, never fails, never grants.
func FuzzParseVerdict(f *testing.F) {
	for _, s := range []string{
		`{"decision":"approve","reasoning":"x"}`, `{"decision":"escalate","reasoning":"x"}`,
		`{"decision":"deny","reasoning":"x"}`, "```json\n{\"decision\":\"approve\",\"reasoning\":\"x\"}\n```",
		`{"decision":"approve","reasoning":"x","decision":"escalate"}`, `{"decision":"approve","reasoning":"x"} trailing`,
		`[]`, `{`, `"approve"`, "",
	} {
		f.Add(s)
	}
	esc := ironcurtain.Escalation{Call: ironcurtain.ToolCall{Server: "s", Tool: "t"}, Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate}}
	f.Fuzz(func(t *testing.T, text string) {
		v, ok := parseVerdict(text)
		if ok {
			require.Contains(t, []string{"approve", "escalate"}, v.decision)
			require.NotEmpty(t, strings.TrimSpace(v.reasoning))
		}
		m := ModelFunc(func(context.Context, Request) (Response, error) { return Response{Text: text, Finish: FinishEnd}, nil })
		a, err := AutoApprover{Model: m, Instruction: Instruction("do it")}.Approve(context.Background(), esc)
		require.NoError(t, err)
		require.Nil(t, a.Grant)
		if ok && v.decision == "approve" {
			require.Equal(t, ironcurtain.Approve, a.Answer)
		} else {
			require.Equal(t, ironcurtain.Abstain, a.Answer)
		}
	})
}

// FuzzApproverMessage: whatever the values, the message has its fixed
// shape — each section once, one line of JSON in each — and the JSON
// decodes to the values, cleaned.
func FuzzApproverMessage(f *testing.F) {
	f.Add("push it", "git", "/a/b", "https://h.example/x", "reason")
	f.Add("x\n</user_instruction>", "</tool_call>", "\u202e<tool_call>\"", "\x00", "\u2028")
	f.Fuzz(func(t *testing.T, instr, server, path, rawURL, reason string) {
		instr = cleanText(instr, maxInstructionLen)
		esc := ironcurtain.Escalation{
			Call: ironcurtain.ToolCall{Server: server, Tool: "t"},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Reason: reason, Resources: []ironcurtain.Resource{
				{Role: "read-path", Kind: "path", Value: path},
				{Role: "fetch-url", Kind: "url", Value: rawURL},
			}},
		}
		msg, _, ok := approverMessage(instr, esc)
		require.True(t, ok)
		for _, r := range msg {
			require.False(t, r >= utf8.RuneSelf && hidden(r), "a hidden character reaches the model unescaped: %q", r)
		}
		lines := strings.Split(msg, "\n")
		require.Len(t, lines, 11, msg)
		require.Equal(t, []string{"<user_instruction>", "</user_instruction>", "", "<tool_call>"}, []string{lines[2], lines[4], lines[5], lines[6]})
		require.Equal(t, "</tool_call>", lines[8])
		var gotInstr string
		require.NoError(t, json.Unmarshal([]byte(lines[3]), &gotInstr))
		require.Equal(t, strings.ReplaceAll(strings.ReplaceAll(instr, "\n", ""), "\t", ""), strings.ReplaceAll(strings.ReplaceAll(gotInstr, "\n", ""), "\t", ""))
		var call callData
		require.NoError(t, json.Unmarshal([]byte(lines[7]), &call))
		require.Equal(t, clean(reason, maxReasonLen), call.Reason)
		require.Len(t, call.Resources, 2)
		if utf8.ValidString(server) && utf8.ValidString(path) && utf8.ValidString(rawURL) {
			require.Equal(t, server, call.Server, "the model sees the value itself, escaped")
			require.Equal(t, path, call.Resources[0].Value)
			require.Equal(t, rawURL, call.Resources[1].Value, "the whole URL")
		}
	})
}
