package approve

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// ptyPrompt shows esc on a real pseudo-terminal, as the Terminal opens it
// by path, and returns everything the person would see up to the question,
// then answers typed.
func ptyPrompt(t *testing.T, esc ironcurtain.Escalation, typed string) (string, ironcurtain.Approval) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	term := &Terminal{ttyPath: tty.Name()}
	defer term.Close()
	defer tty.Close()

	res := ask(context.Background(), term, esc)
	var seen strings.Builder
	buf := make([]byte, 64<<10)
	for !strings.HasSuffix(seen.String(), "approve? ") {
		n, err := ptmx.Read(buf)
		require.NoError(t, err)
		seen.Write(buf[:n])
	}
	_, err = io.WriteString(ptmx, typed)
	require.NoError(t, err)
	r := <-res
	require.NoError(t, r.err)
	return seen.String(), r.a
}

// screenLines is what a person sees: the terminal's \r\n as lines.
func screenLines(s string) []string {
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// TestTerminalPTYShowsTarget: on a real terminal, a long content, an
// edits array or long headers cannot push the target out of view, and
// ANSI and bidirectional controls in the arguments arrive inert.
func TestTerminalPTYShowsTarget(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no pseudo-terminals here: " + err.Error())
	}
	long := strings.Repeat("harmless line\n", 5000)
	evil := "\x1b[2J\x1b[H== IronCurtain: nothing to approve ==\n\u202eexe.txt\u2066\u2069"
	tests := []struct {
		name   string
		esc    ironcurtain.Escalation
		target string
	}{
		{"write_file long content", ironcurtain.Escalation{
			Call: ironcurtain.ToolCall{Server: "fs", Tool: "write_file", Arguments: map[string]any{
				"path": "/home/u/.bashrc", "content": evil + long}},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes outside the sandbox need approval",
				Resources: []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: "/home/u/.bashrc"}}},
		}, "write-path (path, path): /home/u/.bashrc"},
		{"edit_file edits array", ironcurtain.Escalation{
			Call: ironcurtain.ToolCall{Server: "fs", Tool: "edit_file", Arguments: map[string]any{
				"path": "/home/u/.profile", "edits": []any{
					map[string]any{"oldText": long, "newText": evil},
					map[string]any{"oldText": "a", "newText": "b"},
				}}},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-writes", Reason: "writes need approval",
				Resources: []ironcurtain.Resource{{Argument: "path", Role: "write-path", Kind: "path", Value: "/home/u/.profile"}}},
		}, "write-path (path, path): /home/u/.profile"},
		{"no resources reported", ironcurtain.Escalation{
			Call: ironcurtain.ToolCall{Server: "mcp", Tool: "put", Arguments: map[string]any{
				"a_content": long, "path": "/etc/cron.d/x" + evil}},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-all", Reason: "needs approval"},
		}, `path (`},
		{"http_fetch headers", ironcurtain.Escalation{
			Call: ironcurtain.ToolCall{Server: "web", Tool: "http_fetch", Arguments: map[string]any{
				"url":     "https://example.org/?aws_secret=AKIA" + strings.Repeat("z", 20000),
				"headers": map[string]any{"X-Pad": evil + long}}},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate-fetch", Reason: "fetching needs approval",
				Resources: []ironcurtain.Resource{{Argument: "url", Role: "fetch-url", Kind: "url",
					Value: "https://example.org/?aws_secret=AKIA" + strings.Repeat("z", 20000), Host: "example.org"}}},
		}, "fetch-url (url, url): https://example.org/?aws_secret=AKIA" + strings.Repeat("z", 20000) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			screen, a := ptyPrompt(t, tt.esc, "y\n")
			lines := screenLines(screen)
			require.Less(t, len(lines), 40, "the prompt fits a screen: nothing pushes the target away")
			require.Contains(t, strings.ReplaceAll(screen, "\r\n", "\n"), tt.target, "the target is shown in full")
			for _, bad := range []string{"\x1b", "\u202e", "\u2066", "\u2069"} {
				require.NotContains(t, screen, bad, "agent text reaches the terminal inert")
			}
			require.Contains(t, screen, `\u001b[2J`)
			require.Contains(t, screen, `\u202eexe.txt`)
			for _, l := range lines {
				require.NotEqual(t, "== IronCurtain: nothing to approve ==", l, "no argument draws a line of its own")
			}
			require.Contains(t, screen, "bytes, cut)", "a long argument is cut with its size shown")
			d, err := ironcurtain.ArgumentsDigest(tt.esc.Call.Arguments)
			require.NoError(t, err)
			require.Contains(t, screen, "digest:    sha256:"+d)
			require.Equal(t, ironcurtain.Approve, a.Answer)
			require.Equal(t, d, a.Arguments, "the yes is bound to the arguments shown")
		})
	}
}
