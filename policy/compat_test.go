package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// Policies IronCurtain loads that we used to refuse.

const fetchAnnotations = `{"servers":{"fetch":{"tools":[{"toolName":"fetch_url","args":{"url":["fetch-url"]}}]},
 "filesystem":{"tools":[{"toolName":"read_file","args":{"path":["read-path"]}}]},
 "github":{"tools":[{"toolName":"list_repos","args":{"owner":["github-owner"]}}]}}}`

func TestEmptyReasonLoads(t *testing.T) {
	w := newWorld(t)
	pol := `{"rules":[
	 {"name":"deny-all-reads","description":"Deny every read","if":{"roles":["read-path"]},"then":"deny","reason":""},
	 {"name":"allow-fetch","if":{"server":["fetch"]},"then":"allow"},
	 {"name":"escalate-issues","if":{"server":["github"]},"then":"escalate","reason":"  "}
	]}`
	e := w.engine(t, pol, fetchAnnotations, "", Config{})
	for _, tc := range []struct {
		c      ironcurtain.ToolCall
		want   ironcurtain.Verdict
		reason string
	}{
		{call("filesystem", "read_file", "path", "/etc/hosts"), D, "denied by rule deny-all-reads: Deny every read"},
		{call("fetch", "fetch_url", "url", "https://go.dev/"), A, "allowed by rule allow-fetch"},
		{call("github", "list_repos", "owner", "o"), E, "escalated for approval by rule escalate-issues"},
	} {
		d := decide(t, e, tc.c)
		require.Equal(t, tc.want, d.Verdict, d.Reason)
		require.Equal(t, tc.reason, d.Reason)
	}
	kinds := map[string]string{}
	for _, f := range e.Lint() {
		if f.Kind == "missing-reason" {
			kinds[f.Rule] = f.Message
		}
	}
	require.Len(t, kinds, 3, "lint reports every rule without a reason")
	require.Contains(t, kinds["deny-all-reads"], "denied by rule deny-all-reads")
}

func TestUndeclaredListInferred(t *testing.T) {
	w := newWorld(t)
	pol := `{"rules":[
	 {"name":"allow-trusted","if":{"tool":["fetch_url"],"domains":{"roles":["fetch-url"],"allowed":["@trusted-domains"]}},"then":"allow","reason":"trusted"},
	 {"name":"allow-owners","if":{"lists":[{"roles":["github-owner"],"allowed":["@owners"],"matchType":"identifiers"}]},"then":"allow","reason":"known owner"},
	 {"name":"deny-all","if":{},"then":"deny","reason":"no"}
	]}`
	lists := `{"lists":{"trusted-domains":{"values":["github.com","gitlab.com"],"manualAdditions":["bitbucket.org"],"manualRemovals":["gitlab.com"]},
	 "owners":{"values":["provos"]}}}`
	e := w.engine(t, pol, fetchAnnotations, lists, Config{})
	runCases(t, e, []semCase{
		{"listed", call("fetch", "fetch_url", "url", "https://github.com/x"), expect{A, "allow-trusted"}},
		{"added by hand", call("fetch", "fetch_url", "url", "https://bitbucket.org/x"), expect{A, "allow-trusted"}},
		{"removed by hand", call("fetch", "fetch_url", "url", "https://gitlab.com/x"), expect{D, "deny-all"}},
		{"unlisted", call("fetch", "fetch_url", "url", "https://evil.com/x"), expect{D, "deny-all"}},
		{"identifier list", call("github", "list_repos", "owner", "provos"), expect{A, "allow-owners"}},
	})
	var kinds []string
	for _, f := range e.Lint() {
		if f.List != "" {
			kinds = append(kinds, f.Kind+" @"+f.List)
		}
	}
	require.ElementsMatch(t, []string{"undeclared-list @trusted-domains", "undeclared-list @owners"}, kinds)
}

func TestUndeclaredListErrors(t *testing.T) {
	rules := func(rs ...string) string {
		out := `{"rules":[`
		for i, r := range rs {
			if i > 0 {
				out += ","
			}
			out += r
		}
		return out + `]}`
	}
	domainRule := func(name, list string) string {
		return `{"name":"` + name + `","if":{"domains":{"roles":["fetch-url"],"allowed":["` + list + `"]}},"then":"allow","reason":"r"}`
	}
	listRule := func(name, list, matchType string) string {
		return `{"name":"` + name + `","if":{"lists":[{"roles":["github-owner"],"allowed":["` + list + `"],"matchType":"` + matchType + `"}]},"then":"allow","reason":"r"}`
	}
	cases := []struct {
		name, policy, lists string
		file                string
		want                []string
	}{
		{"missing from every file", rules(domainRule("allow-news", "@news")), "", "policy",
			[]string{`rule "allow-news"`, "@news", "no listDefinitions entry", "no dynamic lists file"}},
		{"missing from the lists file", rules(domainRule("allow-news", "@news")), `{"lists":{"other":{"values":["a.com"]}}}`, "policy",
			[]string{`rule "allow-news"`, "@news"}},
		{"value of the wrong type", rules(domainRule("allow-news", "@news")), `{"lists":{"news":{"values":["https://x.com/"]}}}`, "lists",
			[]string{`list "news"`, "not a domain", `inferred from rule "allow-news"`}},
		{"email list with a non-email", rules(listRule("allow-people", "@people", "emails")), `{"lists":{"people":{"values":["bob"]}}}`, "lists",
			[]string{`list "people"`, "not an email address"}},
		{"used as two types", rules(domainRule("allow-news", "@news"), listRule("allow-people", "@news", "emails")), `{"lists":{"news":{"values":["a.com"]}}}`, "policy",
			[]string{`rule "allow-people"`, "@news", "emails", `rule "allow-news"`, "domains"}},
		{"bad list name", rules(domainRule("allow-news", "@News")), `{"lists":{"News":{"values":["a.com"]}}}`, "policy",
			[]string{`rule "allow-news"`, "list names must match"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireLoadError(t, tc.policy, fetchAnnotations, tc.lists, tc.file, tc.want...)
		})
	}
}

// TestSideEffectsCondition: IronCurtain's older engines matched a rule's
// "sideEffects" against the tool annotation's; the reference engine ignores
// the field. We take whichever reading is stricter: an allow rule is
// narrowed to tools annotated with that value, an escalate or deny rule
// applies as if the field were absent.
func TestSideEffectsCondition(t *testing.T) {
	w := newWorld(t)
	ann := `{"servers":{"git":{"tools":[
	  {"toolName":"git_status","sideEffects":false,"args":{"path":["read-path"]}},
	  {"toolName":"git_push","sideEffects":true,"args":{"path":["read-path"],"remote":["git-remote-url"]}},
	  {"toolName":"git_log","args":{"path":["read-path"]}}]}}}`
	pol := `{"rules":[
	 {"name":"allow-git-read","if":{"server":["git"],"sideEffects":false},"then":"allow","reason":"read-only"},
	 {"name":"deny-pure","if":{"tool":["git_log"],"sideEffects":false},"then":"deny","reason":"no"},
	 {"name":"escalate-rest","if":{},"then":"escalate","reason":"ask"}
	]}`
	e := w.engine(t, pol, ann, "", Config{})
	runCases(t, e, []semCase{
		{"annotated side-effect free", call("git", "git_status", "path", "/srv/repo"), expect{A, "allow-git-read"}},
		{"side effects: the allow rule does not apply", call("git", "git_push", "path", "/srv/repo", "remote", "https://github.com/o/r"), expect{E, "escalate-rest"}},
		{"no annotation: the allow rule does not apply, the deny rule does", call("git", "git_log", "path", "/srv/repo"), expect{D, "deny-pure"}},
	})
	var legacy []string
	for _, f := range e.Lint() {
		if f.Kind == "legacy-condition" {
			legacy = append(legacy, f.Rule)
		}
	}
	require.ElementsMatch(t, []string{"allow-git-read", "deny-pure"}, legacy)
}
