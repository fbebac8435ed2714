package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

func call(server, tool string, kv ...any) ironcurtain.ToolCall {
	args := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i].(string)] = kv[i+1]
	}
	return ironcurtain.ToolCall{Server: server, Tool: tool, Arguments: args}
}

func TestStack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	require.NoError(t, os.MkdirAll(outside, 0o755))
	const secret = "sk-ant-api03-this-is-the-real-key-do-not-log"
	var asked []string
	s, err := stack.New(ctx, stack.Options{
		Sandbox: filepath.Join(dir, "sandbox"),
		Audit:   filepath.Join(dir, "audit.jsonl"),
		Vault:   vault.Map{"anthropic": ironcurtain.NewSecret(secret)},
		Human: ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
			asked = append(asked, esc.Call.Tool)
			if esc.Call.Tool == "write_file" {
				return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "test"}, nil
			}
			return ironcurtain.Approval{Answer: ironcurtain.Reject, By: "test"}, nil
		}),
	})
	require.NoError(t, err)
	defer s.Close()

	tools, err := s.Gate.Tools(ctx)
	require.NoError(t, err)
	require.Len(t, tools, 44, "14 filesystem, 28 git and 2 fetch tools")

	_, err = s.Gate.Call(ctx, call("filesystem", "write_file", "path", "notes.md", "content", "hello "+secret))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "sandbox", "notes.md"))
	require.NoError(t, err)
	require.Equal(t, "hello "+secret, string(got))

	_, err = s.Gate.Call(ctx, call("filesystem", "read_text_file", "path", "~/.ssh/id_rsa"))
	var de *ironcurtain.DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "structural-protected-path", de.Decision.Rule)

	// An approved write outside the roots happens: the approval widens the
	// filesystem server beneath the policy.
	target := filepath.Join(outside, "approved.txt")
	_, err = s.Gate.Call(ctx, call("filesystem", "write_file", "path", target, "content", "ok"))
	require.NoError(t, err)
	require.FileExists(t, target)

	// A rejected escalation is refused with the rule's reason.
	_, err = s.Gate.Call(ctx, call("git", "git_push", "path", filepath.Join(dir, "sandbox"), "remote", "https://github.com/o/r"))
	require.ErrorAs(t, err, &de)
	require.Equal(t, ironcurtain.Escalate, de.Decision.Verdict)
	require.Equal(t, []string{"write_file", "git_push"}, asked)

	// The audit log may not be touched by the agent.
	_, err = s.Gate.Call(ctx, call("filesystem", "write_file", "path", filepath.Join(dir, "audit.jsonl"), "content", ""))
	require.ErrorAs(t, err, &de)
	require.Equal(t, "structural-protected-path", de.Decision.Rule)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	rep, err := audit.Verify(f)
	require.NoError(t, err)
	require.Equal(t, 5, rep.Calls)
	raw, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	require.False(t, strings.Contains(string(raw), secret), "a vault secret reached the audit log")
}

func TestStackErrors(t *testing.T) {
	ctx := context.Background()
	_, err := stack.New(ctx, stack.Options{})
	require.ErrorContains(t, err, "Sandbox is required")
	_, err = stack.New(ctx, stack.Options{Sandbox: t.TempDir(), Builtins: []string{"shell"}})
	require.ErrorContains(t, err, `no built-in server "shell"`)
	_, err = stack.New(ctx, stack.Options{Sandbox: t.TempDir(), Policy: policyFiles(t, "{")})
	require.Error(t, err)
}

func TestStackWithoutBuiltins(t *testing.T) {
	s, err := stack.New(context.Background(), stack.Options{Sandbox: t.TempDir(), Builtins: []string{}})
	require.NoError(t, err)
	defer s.Close()
	tools, err := s.Gate.Tools(context.Background())
	require.NoError(t, err)
	require.Empty(t, tools)
	_, _, ok := s.AuditHead()
	require.False(t, ok)
}
