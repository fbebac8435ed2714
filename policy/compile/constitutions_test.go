package compile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// serviceLists are the values of the lists the constitutions of
// testdata/ironcurtain name.
var serviceLists = &policy.Lists{Lists: map[string]policy.ListValues{
	"popular-news-sites":        {Values: []string{"bbc.co.uk", "nytimes.com"}},
	"popular-development-sites": {Values: []string{"go.dev", "pypi.org", "github.com"}},
}}

// withServices are the built-in annotations plus a few tools of GitHub and
// Google Workspace, written here (names and roles only).
func withServices(t *testing.T) *policy.Annotations {
	t.Helper()
	ann := policy.DefaultAnnotations()
	tool := func(server, name string, args ...string) policy.ToolAnnotation {
		a := policy.ToolAnnotation{ToolName: name, ServerName: server, Args: policy.Args{}}
		for _, x := range args {
			a.Args = append(a.Args, policy.Arg{Name: x, Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}}})
		}
		return a
	}
	gh := func(name string) policy.ToolAnnotation { return tool("github", name, "owner", "repo") }
	ann.Servers["github"] = policy.ServerAnnotations{Tools: []policy.ToolAnnotation{
		gh("get_file_contents"), gh("issue_read"), gh("list_issues"), gh("list_pull_requests"), gh("pull_request_read"),
		gh("search_code"), gh("issue_write"), gh("add_issue_comment"), gh("create_pull_request"), gh("merge_pull_request"),
		gh("delete_file"), gh("create_branch"), gh("push_files"),
	}}
	gw := func(name string) policy.ToolAnnotation { return tool("google-workspace", name, "id") }
	ann.Servers["google-workspace"] = policy.ServerAnnotations{Tools: []policy.ToolAnnotation{
		gw("gmail_search_messages"), gw("gmail_get_message"), gw("gmail_send_message"), gw("gmail_draft_message"),
		gw("calendar_list_events"), gw("calendar_get_event"), gw("calendar_create_event"), gw("calendar_delete_event"),
		gw("drive_read_file"), gw("drive_delete_file"),
	}}
	return ann
}

type svcCall struct {
	want         ironcurtain.Verdict
	server, tool string
	args         map[string]any
}

// The constitutions of testdata/ironcurtain say, in this project's own
// words, what IronCurtain's base, coding, read-only and user constitutions
// say; each is checked on concrete calls.
var constitutionCalls = map[string][]svcCall{
	"base.md": {
		{ironcurtain.Allow, "fetch", "web_search", map[string]any{"query": "go generics"}},
		{ironcurtain.Allow, "fetch", "http_fetch", map[string]any{"url": "https://nytimes.com/world"}},
		{ironcurtain.Allow, "fetch", "http_fetch", map[string]any{"url": "https://go.dev/doc"}},
		{ironcurtain.Escalate, "fetch", "http_fetch", map[string]any{"url": "https://example.org/"}},
		{ironcurtain.Allow, "filesystem", "write_file", map[string]any{"path": "~/Downloads/a.txt", "content": "x"}},
		{ironcurtain.Allow, "filesystem", "read_file", map[string]any{"path": "~/Documents/a.txt"}},
		{ironcurtain.Escalate, "filesystem", "write_file", map[string]any{"path": "~/Documents/a.txt", "content": "x"}},
		{ironcurtain.Escalate, "filesystem", "read_file", map[string]any{"path": "~/.bashrc"}},
		{ironcurtain.Escalate, "git", "git_push", map[string]any{"path": ".", "remote": "https://github.com/me/x.git"}},
		{ironcurtain.Escalate, "git", "git_clone", map[string]any{"url": "https://github.com/me/x.git", "path": "x"}},
		{ironcurtain.Allow, "github", "issue_read", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Allow, "github", "get_file_contents", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "add_issue_comment", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "merge_pull_request", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "delete_file", map[string]any{"owner": "me", "repo": "x"}},
	},
	"coding.md": {
		{ironcurtain.Allow, "git", "git_commit", map[string]any{"path": ".", "message": "m"}},
		{ironcurtain.Allow, "git", "git_log", map[string]any{"path": "."}},
		{ironcurtain.Escalate, "git", "git_push", map[string]any{"path": ".", "remote": "https://github.com/me/x.git"}},
		{ironcurtain.Allow, "git", "git_clone", map[string]any{"url": "https://github.com/me/x.git", "path": "x"}},
		{ironcurtain.Escalate, "filesystem", "write_file", map[string]any{"path": "~/.bashrc", "content": "x"}},
		{ironcurtain.Allow, "github", "list_pull_requests", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "create_pull_request", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "merge_pull_request", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Escalate, "github", "issue_write", map[string]any{"owner": "me", "repo": "x"}},
		// Nothing allows pushing files straight to GitHub: the default.
		{ironcurtain.Deny, "github", "push_files", map[string]any{"owner": "me", "repo": "x"}},
	},
	"readonly.md": {
		{ironcurtain.Allow, "filesystem", "read_file", map[string]any{"path": "~/Downloads/a.txt"}},
		{ironcurtain.Deny, "filesystem", "write_file", map[string]any{"path": "~/Downloads/a.txt", "content": "x"}},
		{ironcurtain.Deny, "git", "git_push", map[string]any{"path": ".", "remote": "https://github.com/me/x.git"}},
		{ironcurtain.Allow, "git", "git_log", map[string]any{"path": "~/Documents/repo"}},
		{ironcurtain.Allow, "github", "issue_read", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Deny, "github", "add_issue_comment", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Deny, "google-workspace", "gmail_send_message", map[string]any{"id": "1"}},
	},
	"user.md": {
		{ironcurtain.Allow, "google-workspace", "gmail_get_message", map[string]any{"id": "1"}},
		{ironcurtain.Allow, "google-workspace", "gmail_search_messages", map[string]any{"id": "1"}},
		{ironcurtain.Escalate, "google-workspace", "gmail_send_message", map[string]any{"id": "1"}},
		{ironcurtain.Allow, "google-workspace", "calendar_list_events", map[string]any{"id": "1"}},
		{ironcurtain.Escalate, "google-workspace", "calendar_create_event", map[string]any{"id": "1"}},
		{ironcurtain.Deny, "google-workspace", "calendar_delete_event", map[string]any{"id": "1"}},
		{ironcurtain.Deny, "google-workspace", "drive_read_file", map[string]any{"id": "1"}},
		{ironcurtain.Allow, "github", "list_issues", map[string]any{"owner": "me", "repo": "x"}},
		{ironcurtain.Deny, "github", "list_pull_requests", map[string]any{"owner": "me", "repo": "x"}},
	},
}

// serviceWords spot a sentence about GitHub or Google Workspace.
var serviceWords = []string{"github", "email", "calendar", "gmail"}

// TestIronCurtainConstitutions compiles each constitution twice. Without
// the annotations of GitHub and Google Workspace every sentence about a
// configured server compiles, and every sentence about the others is
// skipped, naming its server, never refused; with them, every sentence
// compiles and the calls decide as the English means.
func TestIronCurtainConstitutions(t *testing.T) {
	for name, calls := range constitutionCalls {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "ironcurtain", name))
			require.NoError(t, err)

			res, err := compile.Compile(context.Background(), src, compile.Options{Lists: serviceLists})
			require.NoError(t, err, diagText(res))
			require.NotEmpty(t, res.Report.Skipped)
			skippedLines := map[int]bool{}
			for _, s := range res.Report.Skipped {
				require.Contains(t, []string{"github", "google-workspace"}, s.Server, s.Sentence)
				low := strings.ToLower(s.Sentence)
				require.True(t, containsAny(low, serviceWords), "%q is not about a service", s.Sentence)
				skippedLines[s.Line] = true
			}
			for _, d := range res.Diagnostics {
				if skippedLines[d.Line] {
					require.Equal(t, compile.Note, d.Severity, d.String())
					require.Contains(t, d.Message, "server), which is not configured")
				}
			}
			for _, s := range res.Policy.SkippedServers {
				require.Contains(t, []string{"github", "google-workspace"}, s.ServerName)
			}
			for _, sr := range res.Report.Read {
				require.False(t, containsAny(strings.ReplaceAll(strings.ToLower(sr.Sentence), "github.com", ""), serviceWords), "line %d compiled without the server's annotations", sr.Line)
			}

			ann := withServices(t)
			res, err = compile.Compile(context.Background(), src, compile.Options{Lists: serviceLists, Annotations: ann})
			require.NoError(t, err, diagText(res))
			require.Empty(t, res.Report.Skipped)
			require.Empty(t, res.Policy.SkippedServers)
			for _, d := range res.Diagnostics {
				require.NotEqual(t, compile.Error, d.Severity, d.String())
			}
			env, err := compile.NewScenarioEnv()
			require.NoError(t, err)
			t.Cleanup(func() { env.Close() })
			e, err := policy.New(policy.Artifacts{Policy: res.Policy, Annotations: ann, Lists: res.Lists}, env.Config())
			require.NoError(t, err)
			for _, c := range calls {
				d, err := e.Evaluate(context.Background(), ironcurtain.ToolCall{Server: c.server, Tool: c.tool, Arguments: c.args})
				require.NoError(t, err)
				require.Equal(t, c.want, d.Verdict, "%s/%s %v: %s (%s)\n%s", c.server, c.tool, c.args, d.Rule, d.Reason, policyText(res.Policy))
			}
		})
	}
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// TestServiceSentenceUnreadable: a sentence about a server that is not
// configured is skipped for that reason even when the grammar cannot read
// it; about a configured one it is an error with its column.
func TestServiceSentenceUnreadable(t *testing.T) {
	src := []byte("- The agent may triage GitHub notifications thoughtfully.\n")
	res, err := compile.Compile(context.Background(), src, compile.Options{})
	require.NoError(t, err)
	require.Len(t, res.Report.Skipped, 1)
	require.Equal(t, "github", res.Report.Skipped[0].Server)
	require.Empty(t, res.Policy.Rules)

	res, err = compile.Compile(context.Background(), src, compile.Options{Annotations: withServices(t)})
	require.Error(t, err)
	require.Contains(t, diagText(res), "column ")
	require.Contains(t, diagText(res), `in a sentence about GitHub, "triage" is not understood`)
}
