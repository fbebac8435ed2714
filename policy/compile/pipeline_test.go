package compile_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent/anthropic"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// The constitution of the pipeline tests: two sentences of the subset and
// one the front end cannot read, on line 4.
const taxes = `# Taxes
- The agent may read files in ~/Documents.
- The agent must ask before reading files outside the sandbox.
- Tax papers are private: nothing in ~/Documents/Taxes may ever be read.
`

const (
	denyTaxes  = `{"name":"deny-read-taxes","line":4,"then":"deny","reason":"Tax papers are private.","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~/Documents/Taxes"}}}`
	allowTaxes = `{"name":"deny-read-taxes","line":4,"then":"allow","reason":"Tax papers are private.","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~/Documents/Taxes"}}}`
	taxScens   = `{"scenarios":[{"line":4,"description":"read a tax return","tool":"read_file","arguments":{"path":"~/Documents/Taxes/2024.pdf"},"expect":"deny"}]}`
	noRules    = `{"rules":[],"lists":[]}`
	noScens    = `{"scenarios":[]}`
)

// script answers by stage and server; a missing entry answers with no
// rules or no scenarios. Each entry gets the request and how many times it
// was asked before.
type script struct {
	mu    sync.Mutex
	asked map[string]int
	by    map[string]func(r llmtest.Request, n int) string
}

func newScript(by map[string]func(r llmtest.Request, n int) string) *script {
	return &script{asked: map[string]int{}, by: by}
}

func (s *script) answer(r llmtest.Request) llmtest.Reply {
	key := r.Stage() + "/" + r.Server()
	s.mu.Lock()
	n := s.asked[key]
	s.asked[key]++
	s.mu.Unlock()
	if f := s.by[key]; f != nil {
		text := f(r, n)
		if text == "HTTP 500" {
			return llmtest.Reply{Status: http.StatusInternalServerError}
		}
		return llmtest.Reply{Text: text}
	}
	switch r.Stage() {
	case "rules":
		return llmtest.Reply{Text: noRules}
	case "scenarios":
		return llmtest.Reply{Text: noScens}
	}
	return llmtest.Reply{Text: "{}"}
}

func always(text string) func(llmtest.Request, int) string {
	return func(llmtest.Request, int) string { return text }
}

// testModel is the real Anthropic SDK client, pointed at a local server,
// adapted to the compiler.
func testModel(id, url string) (compile.Model, error) {
	m, err := anthropic.New(anthropic.Options{Model: id, APIKey: ironcurtain.NewSecret("test-key"), BaseURL: url, MaxRetries: -1})
	if err != nil {
		return nil, err
	}
	return compile.FromAgent(m)
}

// pipeline starts a scripted server and returns options whose Model is the
// real SDK client pointed at it.
func pipeline(t *testing.T, by map[string]func(llmtest.Request, int) string) (*llmtest.Server, compile.Options, *[]compile.Event) {
	t.Helper()
	sc := newScript(by)
	srv := llmtest.NewAnthropic(t, func(_ int, r llmtest.Request) llmtest.Reply { return sc.answer(r) })
	m, err := testModel("claude-test", srv.URL)
	require.NoError(t, err)
	var mu sync.Mutex
	var events []compile.Event
	opts := compile.Options{Model: m, Lists: testLists, Concurrency: 2, Progress: func(e compile.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}}
	return srv, opts, &events
}

func TestPipelineCompilesTheRest(t *testing.T) {
	srv, opts, events := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + denyTaxes + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
	})
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	// The model's rule is narrower than the sentence's and goes first.
	require.Equal(t, []string{"deny-read-taxes", "allow-read-documents", "escalate-read-outside-sandbox"}, ruleNames(res))
	require.Equal(t, "Tax papers are private: nothing in ~/Documents/Taxes may ever be read.", res.Policy.Rules[0].Principle)
	require.Equal(t, []string{"filesystem"}, res.Policy.Rules[0].If.Server)
	require.Equal(t, "anthropic:claude-test", res.Policy.Provenance.Model)
	require.Equal(t, 1, res.Report.Unparsed)
	require.Len(t, res.Report.Servers, 3)
	for _, s := range res.Report.Servers {
		require.True(t, s.OK, s.Server)
	}
	require.Equal(t, 6, res.Report.ModelCalls, "rules and scenarios for each of three servers")
	require.Equal(t, 6, len(srv.Requests()))
	for _, r := range srv.Requests() {
		require.Equal(t, "claude-test", r.Model)
		require.Equal(t, "test-key", r.APIKey())
		require.NotEmpty(t, r.Version(), "the SDK sends anthropic-version")
		require.NotNil(t, r.Temperature)
		require.Zero(t, *r.Temperature)
		require.Contains(t, r.System, "Answer with one JSON object")
		require.Contains(t, r.Messages[0].Text, "4: Tax papers are private")
	}
	var model int
	for _, s := range res.Scenarios.Scenarios {
		if s.Source == "model" {
			model++
			require.Equal(t, 4, s.Line)
		}
	}
	require.Equal(t, 1, model)
	stages := map[string]bool{}
	for _, e := range *events {
		stages[e.Stage+"/"+e.Server] = true
	}
	for _, s := range []string{"rules/filesystem", "scenarios/git", "verify/fetch"} {
		require.True(t, stages[s], s)
	}
	e, _ := engineFor(t, res)
	v, rule := verdict(t, e, "filesystem", "read_file", map[string]any{"path": "~/Documents/Taxes/2023.pdf"})
	require.Equal(t, ironcurtain.Deny, v)
	require.Equal(t, "deny-read-taxes", rule)
}

func TestPipelineMalformedJSONRetried(t *testing.T) {
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem": func(r llmtest.Request, n int) string {
			if !r.Retry() {
				return "Sure! Here are the rules you asked for: {\"rules\": ["
			}
			return `{"rules":[` + denyTaxes + `],"lists":[]}`
		},
		"scenarios/filesystem": always(taxScens),
	})
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.Equal(t, "deny-read-taxes", res.Policy.Rules[0].Name)
	require.Equal(t, 7, res.Report.ModelCalls, "one retry")
	var retry *llmtest.Request
	for _, r := range srv.Requests() {
		if r.Retry() {
			retry = &r
		}
	}
	require.NotNil(t, retry)
	require.Len(t, retry.Messages, 3)
	require.Equal(t, "assistant", retry.Messages[1].Role)
	require.Contains(t, retry.Last(), "not a JSON object", "the error is fed back")
}

func TestPipelineSchemaViolations(t *testing.T) {
	cases := []struct {
		name, first, second, want string
	}{
		{"unknown field", `{"rules":[{"name":"x","line":4,"then":"deny","reason":"r","if":{"tools":["read_file"]}}],"lists":[]}`, "", `unknown field "tools"`},
		{"unknown tool", `{"rules":[{"name":"x","line":4,"then":"deny","reason":"r","if":{"tool":["format_disk"]}}],"lists":[]}`, "", `no tool "format_disk"`},
		{"another server", `{"rules":[{"name":"x","line":4,"then":"deny","reason":"r","if":{"server":["git"]}}],"lists":[]}`, "", "may name only filesystem"},
		{"not a sentence to compile", `{"rules":[{"name":"x","line":2,"then":"deny","reason":"r","if":{"tool":["read_file"]}}],"lists":[]}`, "", "line 2 is not the line of a sentence to compile"},
		{"bad verdict", `{"rules":[{"name":"x","line":4,"then":"maybe","reason":"r","if":{}}],"lists":[]}`, "", "unknown verdict"},
		{"name taken", `{"rules":[{"name":"allow-read-documents","line":4,"then":"deny","reason":"r","if":{"tool":["read_file"]}}],"lists":[]}`, "", "the name is taken"},
		{"relative path", `{"rules":[{"name":"x","line":4,"then":"deny","reason":"r","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"Taxes"}}}],"lists":[]}`, "", "is relative"},
		// The lints: an allow no wider than its sentence.
		{"unconditioned allow", `{"rules":[{"name":"x","line":4,"then":"allow","reason":"r","if":{}}],"lists":[]}`, "", "allows every call to the server"},
		{"allow outside the sentence's place", `{"rules":[{"name":"x","line":4,"then":"allow","reason":"r","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~/Documents"}}}],"lists":[]}`, "", "is not inside ~/Documents/Taxes"},
		{"allow with no place", `{"rules":[{"name":"x","line":4,"then":"allow","reason":"r","if":{"tool":["read_file"]}}],"lists":[]}`, "", `this allow has no "paths"`},
		{"fixed on retry", `{"rules":[{"name":"x","line":4,"then":"deny","reason":"","if":{}}],"lists":[]}`, `{"rules":[` + denyTaxes + `],"lists":[]}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
				"rules/filesystem": func(r llmtest.Request, n int) string {
					if r.Retry() && tc.second != "" {
						return tc.second
					}
					return tc.first
				},
				"scenarios/filesystem": always(taxScens),
			})
			res, err := compile.Compile(context.Background(), []byte(taxes), opts)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var ce *compile.CompileError
			require.ErrorAs(t, err, &ce)
			require.Nil(t, res.Policy)
			require.Len(t, ce.Servers, 1)
			require.Equal(t, "filesystem", ce.Servers[0].Server)
			require.Contains(t, ce.Servers[0].Error, "rules: ")
			require.Contains(t, ce.Servers[0].Error, tc.want)
			require.Contains(t, ce.Servers[0].Error, "after a retry")
			require.Contains(t, ce.Servers[0].Error, "the answer was: "+tc.first, "the unusable answer is shown")
			require.Contains(t, err.Error(), "server filesystem failed")
		})
	}
}

// TestPipelineRepair: the model's first rule allows what the sentence
// forbids; the engine's verdict on the scenario catches it, and a patch
// fixes it.
func TestPipelineRepair(t *testing.T) {
	srv, opts, events := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + allowTaxes + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
		"repair/filesystem":    always(`{"operations":[{"op":"replace","name":"deny-read-taxes","rule":` + denyTaxes + `}]}`),
	})
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Deny, res.Policy.Rules[0].Then)
	var fs compile.ServerReport
	for _, s := range res.Report.Servers {
		if s.Server == "filesystem" {
			fs = s
		}
	}
	require.True(t, fs.OK)
	require.Equal(t, 1, fs.Repairs)
	var repair llmtest.Request
	for _, r := range srv.Requests() {
		if r.Stage() == "repair" {
			repair = r
		}
	}
	require.Contains(t, repair.Last(), "read a tax return (line 4)")
	require.Contains(t, repair.Last(), `expected deny; the engine says allow by rule "deny-read-taxes"`)
	sawRepair := false
	for _, e := range *events {
		sawRepair = sawRepair || e.Stage == "repair"
	}
	require.True(t, sawRepair)
}

// TestPipelineSentenceScenariosAreGroundTruth: a model rule that changes
// what a sentence of the subset means fails that sentence's scenario.
func TestPipelineSentenceScenariosAreGroundTruth(t *testing.T) {
	wide := `{"name":"deny-home","line":4,"then":"deny","reason":"r","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~"}}}`
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + denyTaxes + `,` + wide + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
		"repair/filesystem":    always(`{"operations":[{"op":"remove","name":"deny-home"}]}`),
	})
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.NotContains(t, ruleNames(res), "deny-home")
	for _, s := range res.Report.Servers {
		if s.Server == "filesystem" {
			require.Equal(t, 1, s.Repairs)
		}
	}
	var repair llmtest.Request
	for _, r := range srv.Requests() {
		if r.Stage() == "repair" {
			repair = r
		}
	}
	require.Contains(t, repair.Last(), "just outside ~/Documents")
	require.Contains(t, repair.Last(), `the engine says deny by rule "deny-home"`)
}

// TestPipelineNeverConverges: a server whose rules still fail after the
// repair rounds fails the whole compilation, with a report naming it and
// the failing scenario; nothing is silently dropped.
func TestPipelineNeverConverges(t *testing.T) {
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + allowTaxes + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
		"repair/filesystem":    always(`{"operations":[{"op":"replace","name":"deny-read-taxes","rule":` + allowTaxes + `}]}`),
	})
	opts.MaxRepairs = 2
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Nil(t, res.Policy)
	require.Len(t, ce.Servers, 1)
	fs := ce.Servers[0]
	require.Equal(t, "filesystem", fs.Server)
	require.False(t, fs.OK)
	require.Equal(t, 2, fs.Repairs)
	require.Len(t, fs.Failures, 1)
	require.Equal(t, "read a tax return", fs.Failures[0].Scenario.Description)
	require.Equal(t, ironcurtain.Allow, fs.Failures[0].Got)
	require.Contains(t, fs.Error, "still fail after 2 repair round(s)")
	var repairs int
	for _, r := range srv.Requests() {
		if r.Stage() == "repair" {
			repairs++
		}
	}
	require.Equal(t, 2, repairs)
	var b strings.Builder
	require.NoError(t, res.Report.Write(&b))
	require.Contains(t, b.String(), "server filesystem: FAILED")
	require.Contains(t, b.String(), "failing: read a tax return: expected deny, the engine says allow by deny-read-taxes")
}

func TestPipelineModelError(t *testing.T) {
	_, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/git": always("HTTP 500"),
	})
	_, err := compile.Compile(context.Background(), []byte(taxes), opts)
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "git", ce.Servers[0].Server)
	require.Contains(t, ce.Servers[0].Error, "the model: anthropic:")
	require.Contains(t, ce.Servers[0].Error, "500")
}

// TestPipelineCache: a second compilation answers every request from the
// cache, verifies again, and writes the same artifacts.
func TestPipelineCache(t *testing.T) {
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + denyTaxes + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
	})
	opts.CacheDir = t.TempDir()
	first, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	n := len(srv.Requests())
	second, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.Equal(t, n, len(srv.Requests()), "no request reaches the model")
	require.Zero(t, second.Report.ModelCalls)
	require.Equal(t, 6, second.Report.CacheHits)
	a, _ := compile.Encode(first.Policy)
	b, _ := compile.Encode(second.Policy)
	require.Equal(t, string(a), string(b))

	// Another model name misses the cache.
	m, err := testModel("claude-other", srv.URL)
	require.NoError(t, err)
	opts.Model = m
	third, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.Equal(t, 6, third.Report.ModelCalls)
}

func TestPipelineResolvesLists(t *testing.T) {
	src := "- The agent may fetch web pages from @news.\n- @news are popular news sites.\n"
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"lists/": func(r llmtest.Request, n int) string {
			if !r.Retry() {
				return `{"values":["https://nytimes.com/"]}`
			}
			return `{"values":["nytimes.com","*.bbc.co.uk"]}`
		},
	})
	res, err := compile.Compile(context.Background(), []byte(src), opts)
	require.NoError(t, err)
	require.Equal(t, []string{"nytimes.com", "*.nytimes.com", "*.bbc.co.uk"}, res.Lists.Lists["news"].Values)
	require.NotEmpty(t, res.Lists.Lists["news"].InputHash)
	require.Equal(t, "Popular news sites.", res.Policy.ListDefinitions[0].GenerationPrompt)
	require.Len(t, srv.Requests(), 2)
	require.Contains(t, srv.Requests()[0].Last(), "@news (domains): popular news sites")
	e, _ := engineFor(t, res)
	v, _ := verdict(t, e, "fetch", "http_fetch", map[string]any{"url": "https://www.nytimes.com/section"})
	require.Equal(t, ironcurtain.Allow, v)
}

func TestPipelineAnnotatesTools(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"owner":{"type":"string"},"repo":{"type":"string"},"state":{"type":"string"}}}`)
	_, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"annotate/github": always(`{"tools":[{"tool":"list_issues","comment":"Lists issues.","args":{"owner":["github-owner"],"repo":["github-repo"],"state":["none"]}}]}`),
	})
	opts.Tools = map[string][]ironcurtain.Tool{"github": {{Name: "list_issues", Description: "List issues", InputSchema: schema}}}
	res, err := compile.Compile(context.Background(), []byte("- The agent may use github/list_issues.\n"), opts)
	require.NoError(t, err)
	require.Equal(t, []string{"allow-use-github-list-issues"}, ruleNames(res))
	require.NotNil(t, res.Annotations)
	gh := res.Annotations.Servers["github"].Tools
	require.Len(t, gh, 1)
	require.Equal(t, "owner", gh[0].Args[0].Name)
	require.Equal(t, []policy.Role{policy.RoleGitHubOwner}, gh[0].Args[0].Spec.Default)
	require.Len(t, res.Annotations.Servers["filesystem"].Tools, 14, "the given annotations are kept")

	// An annotation that leaves out an argument is refused, twice: fail.
	_, opts, _ = pipeline(t, map[string]func(llmtest.Request, int) string{
		"annotate/github": always(`{"tools":[{"tool":"list_issues","comment":"c","args":{"owner":["github-owner"]}}]}`),
	})
	opts.Tools = map[string][]ironcurtain.Tool{"github": {{Name: "list_issues", InputSchema: schema}}}
	_, err = compile.Compile(context.Background(), []byte("- The agent may use github/list_issues.\n"), opts)
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, ce.Diagnostics[0].Message, `argument "repo" is not annotated`)
}

func TestPipelineCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem": func(llmtest.Request, int) string { cancel(); return noRules },
	})
	opts.Concurrency = 1
	_, err := compile.Compile(ctx, []byte(taxes), opts)
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}

// TestPipelineCacheAfterRetry: the answer a retry produced is cached for
// the first request too, so the next run asks nothing.
func TestPipelineCacheAfterRetry(t *testing.T) {
	srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem": func(r llmtest.Request, n int) string {
			if !r.Retry() {
				return "no JSON here"
			}
			return `{"rules":[` + denyTaxes + `],"lists":[]}`
		},
		"scenarios/filesystem": always(taxScens),
	})
	opts.CacheDir = t.TempDir()
	_, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	n := len(srv.Requests())
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	require.Equal(t, n, len(srv.Requests()))
	require.Zero(t, res.Report.ModelCalls)
}

// TestPipelineListsAcrossServers: lists the model defines are merged in
// server order, so one name means one list whatever finishes first; a
// server that gives the name another type fails.
func TestPipelineListsAcrossServers(t *testing.T) {
	const src = "- The agent may read files in ~/Documents.\n- Only trusted hosts may be contacted.\n"
	fsRule := `{"name":"allow-trusted-fetch","line":2,"then":"allow","reason":"r","if":{"tool":["http_fetch"],"domains":{"roles":["fetch-url"],"allowed":["@trusted"]}}}`
	gitRule := `{"name":"allow-trusted-git","line":2,"then":"allow","reason":"r","if":{"tool":["git_clone"],"domains":{"roles":["git-remote-url"],"allowed":["@trusted"]}}}`
	scen := func(tool, arg, url string) string {
		return `{"scenarios":[{"line":2,"description":"trusted","tool":"` + tool + `","arguments":{"` + arg + `":"` + url + `"},"expect":"allow"}]}`
	}
	idRule := `{"name":"allow-trusted-git","line":2,"then":"allow","reason":"r","if":{"tool":["git_clone"],"lists":[{"roles":["git-remote-url"],"allowed":["@trusted"],"matchType":"identifiers"}]}}`
	run := func(gitType string) (compile.Result, *llmtest.Server, error) {
		rule := gitRule
		if gitType != "domains" {
			rule = idRule
		}
		srv, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
			"rules/fetch":     always(`{"rules":[` + fsRule + `],"lists":[{"name":"trusted","type":"domains","description":"trusted hosts"}]}`),
			"rules/git":       always(`{"rules":[` + rule + `],"lists":[{"name":"trusted","type":"` + gitType + `","description":"other words"}]}`),
			"scenarios/fetch": always(scen("http_fetch", "url", "https://go.dev/")),
			"scenarios/git":   always(`{"scenarios":[{"line":2,"description":"trusted","tool":"git_clone","arguments":{"url":"https://go.dev/x/y.git","path":"y"},"expect":"allow"}]}`),
			"lists/":          always(`{"values":["go.dev"]}`),
		})
		res, err := compile.Compile(context.Background(), []byte(src), opts)
		return res, srv, err
	}
	res, srv, err := run("domains")
	require.NoError(t, err)
	require.Equal(t, "trusted hosts", res.Policy.ListDefinitions[0].GenerationPrompt, "the first server's definition")
	lists := 0
	for _, r := range srv.Requests() {
		if r.Stage() == "lists" {
			lists++
			require.Contains(t, r.Last(), "trusted hosts")
		}
	}
	require.Equal(t, 1, lists, "resolved once")

	_, _, err = run("identifiers")
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "git", ce.Servers[0].Server)
	require.Contains(t, ce.Servers[0].Error, "@trusted holds identifiers here but domains for another server")
}

// TestPipelineInvariants: rules the model writes must pass the invariants
// the compiler writes from the sentences themselves. An allow of commits
// for "read-only" git, or of deletes for "may not ever be deleted", fails
// the compilation however the model's own scenarios look, and the report
// names the invariant.
func TestPipelineInvariants(t *testing.T) {
	const src = `- The agent may read files in ~/Documents.
- Git in ~/src stays read-only: looking at history is fine.
- Photos in ~/Photos are precious and may not ever be deleted by anyone.
`
	commit := `{"name":"allow-git-src","line":2,"then":"allow","reason":"r","if":{"tool":["git_commit","git_log"],"paths":{"roles":["read-path","write-history"],"within":"~/src"}}}`
	del := `{"name":"allow-photos","line":3,"then":"allow","reason":"r","if":{"roles":["read-path","write-path","delete-path"],"paths":{"roles":["read-path","write-path","delete-path"],"within":"~/Photos"}}}`
	_, opts, events := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/git":        always(`{"rules":[` + commit + `],"lists":[]}`),
		"rules/filesystem": always(`{"rules":[` + del + `],"lists":[]}`),
		// The model's own scenarios pass on its rules.
		"scenarios/git":        always(`{"scenarios":[{"line":2,"description":"log","tool":"git_log","arguments":{"path":"~/src"},"expect":"allow"}]}`),
		"scenarios/filesystem": always(`{"scenarios":[{"line":3,"description":"look","tool":"read_file","arguments":{"path":"~/Photos/a.jpg"},"expect":"allow"}]}`),
	})
	opts.MaxRepairs = 1
	res, err := compile.Compile(context.Background(), []byte(src), opts)
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce, "%v", err)
	require.Nil(t, res.Policy)
	failed := map[string]string{}
	for _, s := range ce.Servers {
		for _, f := range s.Failures {
			failed[s.Server] += f.Scenario.Description + "\n"
		}
	}
	require.Contains(t, failed["git"], "invariant: read-only git: no commit in ~/src", "%v", err)
	require.Contains(t, failed["filesystem"], "invariant: never delete: no move-away in ~/Photos")
	var b strings.Builder
	require.NoError(t, res.Report.Write(&b))
	require.Contains(t, b.String(), "invariant: read-only git")
	for _, e := range *events {
		require.Positive(t, e.Elapsed, "every progress event says how long the compilation has run")
	}
}

// TestPipelineReportsWhichWay: the report says which sentence the grammar
// compiled and which the model did.
func TestPipelineReportsWhichWay(t *testing.T) {
	_, opts, _ := pipeline(t, map[string]func(llmtest.Request, int) string{
		"rules/filesystem":     always(`{"rules":[` + denyTaxes + `],"lists":[]}`),
		"scenarios/filesystem": always(taxScens),
	})
	res, err := compile.Compile(context.Background(), []byte(taxes), opts)
	require.NoError(t, err)
	by := map[int]string{}
	for _, sr := range res.Report.Read {
		by[sr.Line] = sr.By
	}
	require.Equal(t, map[int]string{2: "grammar", 3: "grammar", 4: "model"}, by)
	var b strings.Builder
	require.NoError(t, res.Report.Write(&b))
	require.Contains(t, b.String(), "line 4 (model): Tax papers are private")
	require.Contains(t, b.String(), "deny-read-taxes: deny")
}
