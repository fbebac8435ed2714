package stack_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// approveAll is the worst person to have at the terminal: every escalation
// is approved, so only the structural rules stand between the agent and the
// files.
var approveAll = ironcurtain.ApproverFunc(func(context.Context, ironcurtain.Escalation) (ironcurtain.Approval, error) {
	return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "test"}, nil
})

// TestAgentCannotRewriteTheAuditLog is hole 5 of issue 14 through the
// stack, with the default policy and a person who approves everything: no
// tool call may move, rewrite, replace or delete the audit log, the grants
// file or their directories (nor read the log, nor walk a tree holding it),
// whether the log's directory is named directly or through a symlink.
func TestAgentCannotRewriteTheAuditLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "sandbox")
	real := filepath.Join(dir, "real-logs")
	require.NoError(t, os.Mkdir(real, 0o700))
	link := filepath.Join(dir, "logs")
	require.NoError(t, os.Symlink(real, link))
	logPath := filepath.Join(link, "audit.jsonl")
	state := filepath.Join(dir, "state")
	grants := filepath.Join(state, "grants.json")
	s, err := stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: logPath, GrantsFile: grants, Human: approveAll, AuditNoSync: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, os.WriteFile(filepath.Join(sandbox, "older.jsonl"), []byte("{}\n"), 0o600))
	_, err = s.Gate.Call(ctx, call("filesystem", "write_file", "path", filepath.Join(sandbox, "x"), "content", "x"))
	require.NoError(t, err)
	before := mustReadFile(t, logPath)

	fsCall := func(tool string, kv ...any) ironcurtain.ToolCall { return call("filesystem", tool, kv...) }
	attacks := map[string]ironcurtain.ToolCall{}
	for name, d := range map[string]string{"log dir": link, "log dir (resolved)": real, "grants dir": state, "parent of all": dir} {
		attacks["move "+name] = fsCall("move_file", "source", d, "destination", filepath.Join(sandbox, "moved"))
		attacks["tree "+name] = fsCall("directory_tree", "path", d)
		attacks["search "+name] = fsCall("search_files", "path", d, "pattern", "*")
		attacks["git init "+name] = call("git", "git_init", "path", d)
	}
	for name, f := range map[string]string{"log": logPath, "log (resolved)": filepath.Join(real, "audit.jsonl"), "grants": grants} {
		attacks["write "+name] = fsCall("write_file", "path", f, "content", "")
		attacks["edit "+name] = fsCall("edit_file", "path", f, "edits", []any{map[string]any{"oldText": "{", "newText": "["}})
		attacks["move away "+name] = fsCall("move_file", "source", f, "destination", filepath.Join(sandbox, "stolen"))
		attacks["move over "+name] = fsCall("move_file", "source", filepath.Join(sandbox, "older.jsonl"), "destination", f)
		attacks["read "+name] = fsCall("read_text_file", "path", f)
		attacks["info "+name] = fsCall("get_file_info", "path", f)
	}
	attacks["move the sandbox's parent"] = fsCall("move_file", "source", dir, "destination", filepath.Join(sandbox, "all"))
	for name, c := range attacks {
		_, d, err := s.Gate.CallDecided(ctx, c)
		require.ErrorIs(t, err, ironcurtain.ErrDenied, name)
		require.Equal(t, ironcurtain.Deny, d.Verdict, name)
		require.Equal(t, policy.RuleProtectedPath, d.Rule, "%s: %s", name, d.Reason)
	}
	after := mustReadFile(t, logPath)
	require.Equal(t, string(before), string(after[:len(before)]), "the log was changed, not only appended to")
	require.NoError(t, s.Close())
	_, err = audit.Verify(openFile(t, logPath))
	require.NoError(t, err)
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func openFile(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// TestNewRefusesALogWithinReach: stack.New refuses a sandbox, or a
// directory the policy serves, that holds the audit log, the grants file or
// the directory of either — named directly, relatively, through a symlink
// inside or outside the sandbox — with the one error CheckOutOfReach
// gives.
func TestNewRefusesALogWithinReach(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "sandbox")
	require.NoError(t, os.MkdirAll(filepath.Join(sandbox, "logs"), 0o700))
	outLink := filepath.Join(dir, "innocent")
	require.NoError(t, os.Symlink(filepath.Join(sandbox, "logs"), outLink))
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(filepath.Join(docs, "logs"), 0o700))
	served := policyFiles(t, fmt.Sprintf(`{"rules":[{"name":"allow-read-docs","if":{"roles":["read-path"],"server":["filesystem"],
		"paths":{"roles":["read-path"],"within":%q}},"then":"allow","reason":"r"}]}`, docs))

	for name, tc := range map[string]struct {
		opts stack.Options
		what string
	}{
		"log in the sandbox":           {stack.Options{Audit: filepath.Join(sandbox, "logs", "audit.jsonl")}, "the sandbox"},
		"log dir is the sandbox":       {stack.Options{Audit: filepath.Join(sandbox, "audit.jsonl")}, "the sandbox"},
		"log is the sandbox":           {stack.Options{Audit: sandbox}, "the sandbox"},
		"log through a symlink":        {stack.Options{Audit: filepath.Join(outLink, "audit.jsonl")}, "the sandbox"},
		"log through .. ":              {stack.Options{Audit: filepath.Join(dir, "x", "..", "sandbox", "a.jsonl")}, "the sandbox"},
		"grants in the sandbox":        {stack.Options{GrantsFile: filepath.Join(sandbox, "grants.json")}, "the sandbox"},
		"grants through a symlink":     {stack.Options{GrantsFile: filepath.Join(outLink, "g.json")}, "the sandbox"},
		"log in a served directory":    {stack.Options{Audit: filepath.Join(docs, "logs", "audit.jsonl"), Policy: served}, "a directory the policy serves"},
		"grants in a served directory": {stack.Options{GrantsFile: filepath.Join(docs, "g.json"), Policy: served}, "a directory the policy serves"},
		"log dir not there yet":        {stack.Options{Audit: filepath.Join(sandbox, "new", "deeper", "a.jsonl")}, "the sandbox"},
	} {
		o := tc.opts
		o.Sandbox, o.Builtins = sandbox, []string{}
		_, err := stack.New(ctx, o)
		require.ErrorIs(t, err, stack.ErrWithinReach, name)
		require.ErrorContains(t, err, "is inside "+tc.what, name)
		require.NoFileExists(t, filepath.Join(sandbox, "logs", "audit.jsonl"), "%s: nothing is opened before the check", name)
	}

	// The log file itself a symlink into the sandbox; the sandbox a symlink
	// to the log's directory.
	fileLink := filepath.Join(dir, "audit-link.jsonl")
	require.NoError(t, os.Symlink(filepath.Join(sandbox, "x.jsonl"), fileLink))
	_, err := stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: fileLink, Builtins: []string{}})
	require.ErrorIs(t, err, stack.ErrWithinReach)
	logDir := filepath.Join(dir, "logdir")
	require.NoError(t, os.Mkdir(logDir, 0o700))
	sbLink := filepath.Join(dir, "sandbox-link")
	require.NoError(t, os.Symlink(logDir, sbLink))
	_, err = stack.New(ctx, stack.Options{Sandbox: sbLink, Audit: filepath.Join(logDir, "a.jsonl"), Builtins: []string{}})
	require.ErrorIs(t, err, stack.ErrWithinReach)

	// The log's path passes through the sandbox, by a symlink there to a
	// directory outside it: the agent could re-point the link.
	require.NoError(t, os.Symlink(logDir, filepath.Join(sandbox, "to-logs")))
	_, err = stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: filepath.Join(sandbox, "to-logs", "a.jsonl"), Builtins: []string{}})
	require.ErrorIs(t, err, stack.ErrWithinReach)

	// A grants file (or log) with a second name in the sandbox.
	grants := filepath.Join(logDir, "grants.json")
	require.NoError(t, os.WriteFile(grants, []byte(`{}`), 0o600))
	require.NoError(t, os.Link(grants, filepath.Join(sandbox, "grants-copy.json")))
	_, err = stack.New(ctx, stack.Options{Sandbox: sandbox, GrantsFile: grants, Builtins: []string{}})
	require.ErrorIs(t, err, stack.ErrWithinReach)
	require.ErrorContains(t, err, "hard links")

	// A relative path, resolved against the working directory.
	t.Chdir(sandbox)
	_, err = stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: "audit.jsonl", Builtins: []string{}})
	require.ErrorIs(t, err, stack.ErrWithinReach)
	s, err := stack.New(ctx, stack.Options{Sandbox: ".", Audit: filepath.Join(dir, "audit.jsonl"), GrantsFile: "../state/g.json", Builtins: []string{}})
	require.NoError(t, err, "outside the sandbox, relative paths are fine")
	require.NoError(t, s.Close())
}

// TestSandboxBeneathTheLogDirectory: the log's directory may be the
// sandbox's parent: the agent can neither touch the log by a relative path
// nor move the directory it sits in.
func TestSandboxBeneathTheLogDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	sandbox := filepath.Join(dir, "sandbox")
	s, err := stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: logPath, GrantsFile: filepath.Join(dir, "grants.json"), Human: approveAll, AuditNoSync: true})
	require.NoError(t, err)
	defer s.Close()
	for name, c := range map[string]ironcurtain.ToolCall{
		"write ../":    call("filesystem", "write_file", "path", "../audit.jsonl", "content", ""),
		"move ..":      call("filesystem", "move_file", "source", "..", "destination", "moved"),
		"move ../":     call("filesystem", "move_file", "source", sandbox+"/..", "destination", filepath.Join(sandbox, "m")),
		"tree ..":      call("filesystem", "directory_tree", "path", ".."),
		"grants ../":   call("filesystem", "write_file", "path", "../grants.json", "content", "{}"),
		"git on ../..": call("git", "git_status", "path", ".."),
	} {
		_, d, err := s.Gate.CallDecided(ctx, c)
		require.ErrorIs(t, err, ironcurtain.ErrDenied, name)
		require.Equal(t, policy.RuleProtectedPath, d.Rule, "%s: %s", name, d.Reason)
	}
}

// TestCheckOutOfReach: the shared check on its own, as serve uses it for
// upstream servers' read-write grants: a grant that is the log's directory
// or any ancestor of it is refused, one beside it or beneath it is not.
func TestCheckOutOfReach(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "a", "logs", "audit.jsonl")
	require.NoError(t, os.MkdirAll(filepath.Dir(logPath), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a", "logs", "sub"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "b"), 0o700))
	for _, w := range []string{dir, filepath.Join(dir, "a"), filepath.Dir(logPath), "/"} {
		err := stack.CheckOutOfReach(logPath, "", stack.Writable{What: `server "up"'s sandbox.write`, Dir: w})
		require.ErrorIs(t, err, stack.ErrWithinReach, w)
	}
	for _, w := range []string{filepath.Join(dir, "b"), filepath.Join(dir, "a", "logs", "sub"), filepath.Join(dir, "a", "log")} {
		require.NoError(t, stack.CheckOutOfReach(logPath, "", stack.Writable{What: "w", Dir: w}), w)
	}
	require.NoError(t, stack.CheckOutOfReach("", "", stack.Writable{What: "w", Dir: dir}))
}

// TestHardLinkInTheSandboxStopsTheGate: a second name for the log in the
// sandbox (which the policy would judge as a sandbox file, and which the
// Docker Mode agent could write in place) stops the Gate at the next call:
// that call and every later one are denied as an audit failure.
func TestHardLinkInTheSandboxStopsTheGate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "audit.jsonl")
	sandbox := filepath.Join(dir, "sandbox")
	s, err := stack.New(ctx, stack.Options{Sandbox: sandbox, Audit: logPath, AuditNoSync: true})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Gate.Call(ctx, call("filesystem", "write_file", "path", "a.txt", "content", "a"))
	require.NoError(t, err)
	require.NoError(t, os.Link(logPath, filepath.Join(sandbox, "notes.jsonl")))
	for _, name := range []string{"b.txt", "c.txt"} {
		_, d, err := s.Gate.CallDecided(ctx, call("filesystem", "write_file", "path", name, "content", "x"))
		require.ErrorIs(t, err, ironcurtain.ErrDenied, name)
		require.Equal(t, ironcurtain.RuleAuditFailure, d.Rule, name)
	}
	require.NoFileExists(t, filepath.Join(sandbox, "c.txt"), "a call ran after the Gate stopped")
	require.ErrorIs(t, s.Close(), audit.ErrTampered)
}
