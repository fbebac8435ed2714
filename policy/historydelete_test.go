package policy

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// historyPolicy is what "may create branches in ~/src" and "never delete
// permanently" compile to: an allow of git_branch's create roles in ~/src,
// and a deny of deleting history that reaches the sandbox.
func historyPolicy() string {
	return mustJSON(CompiledPolicy{Rules: []Rule{
		{Name: "allow-git-branch-write-src", If: Condition{Roles: []Role{RoleReadPath, RoleWriteHistory}, Server: []string{"git"}, Tool: []string{"git_branch"},
			Paths: &PathCondition{Roles: []Role{RoleReadPath, RoleWriteHistory}, Within: "~/src"}}, Then: ironcurtain.Allow, Reason: "may create branches in ~/src"},
		{Name: "deny-git-delete", If: Condition{Roles: []Role{RoleDeletePath, RoleDeleteHistory}, Server: []string{"git"}, Sandbox: SandboxInclude},
			Then: ironcurtain.Deny, Reason: "never delete permanently"},
		{Name: "allow-push", If: Condition{Server: []string{"git"}, Tool: []string{"git_push"}}, Then: ironcurtain.Allow, Reason: "may push"},
	}})
}

// TestHistoryDeleteIsJudged: every git call that deletes history — a
// branch, tag or remote branch deleted, a stash dropped or cleared, an
// existing branch or tag overwritten by force — carries delete-history, so
// "never delete permanently" denies it inside the sandbox and outside, and
// an allow for creating branches or pushing never decides it; nor can a call hide the
// operation in an argument the annotation does not describe ("operation",
// IronCurtain's name for git_branch's mode, or "MODE", which Go's JSON
// decoding reads as mode). Creating and listing stay allowed.
func TestHistoryDeleteIsJudged(t *testing.T) {
	w := newWorld(t, "src/app/", "sandbox/app/")
	e := w.engine(t, historyPolicy(), mustJSON(DefaultAnnotations()), "", Config{Sandbox: w.sandbox})
	var bad []string
	for _, repo := range []string{w.sandbox, w.p("src/app")} {
		for _, c := range []ironcurtain.ToolCall{
			call("git", "git_branch", "path", repo, "mode", "delete", "branchName", "x"),
			call("git", "git_branch", "path", repo, "mode", "delete", "branchName", "x", "force", true),
			call("git", "git_branch", "path", repo, "operation", "delete", "name", "x"),
			call("git", "git_branch", "path", repo, "MODE", "delete", "branchName", "x"),
			call("git", "git_branch", "path", repo, "mode", "create", "branchName", "main", "force", true),
			call("git", "git_branch", "path", repo, "mode", "rename", "branchName", "x", "newBranchName", "main", "force", true),
			call("git", "git_tag", "path", repo, "mode", "delete", "tagName", "v1"),
			call("git", "git_tag", "path", repo, "mode", "create", "tagName", "v1", "force", true),
			call("git", "git_stash", "path", repo, "mode", "drop"),
			call("git", "git_stash", "path", repo, "mode", "clear"),
			call("git", "git_push", "path", repo, "remote", "origin", "delete", true, "remoteBranch", "main", "confirmed", true),
			call("git", "git_push", "path", repo, "remote", "origin", "force", true, "confirmed", true),
		} {
			if d := decide(t, e, c); d.Verdict != ironcurtain.Deny || c.Tool == "git_push" && d.Rule != "deny-git-delete" {
				bad = append(bad, fmt.Sprintf("%s %v: %s by %s", c.Tool, c.Arguments, d.Verdict, d.Rule))
			}
		}
	}
	for _, c := range []ironcurtain.ToolCall{
		call("git", "git_branch", "path", w.p("src/app"), "mode", "create", "branchName", "x"),
		call("git", "git_branch", "path", w.p("src/app"), "mode", "list"),
		call("git", "git_branch", "path", w.p("src/app")),
		call("git", "git_branch", "path", w.sandbox, "mode", "create", "branchName", "x"),
		call("git", "git_branch", "path", w.sandbox, "mode", "list"),
		call("git", "git_tag", "path", w.sandbox, "mode", "create", "tagName", "v1"),
		call("git", "git_stash", "path", w.sandbox, "mode", "push"),
		call("git", "git_stash", "path", w.sandbox, "mode", "list"),
		call("git", "git_push", "path", w.sandbox, "remote", "origin"),
		call("git", "git_push", "path", w.p("src/app"), "remote", "origin", "branch", "x", "remoteBranch", "y"),
	} {
		if d := decide(t, e, c); d.Verdict != ironcurtain.Allow {
			bad = append(bad, fmt.Sprintf("%s %v: %s by %s", c.Tool, c.Arguments, d.Verdict, d.Rule))
		}
	}
	require.Empty(t, bad)
}
