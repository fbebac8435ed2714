package compile_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

func compileDoc(t *testing.T, src string, opts compile.Options) (compile.Result, error) {
	t.Helper()
	if opts.Lists == nil {
		opts.Lists = testLists
	}
	return compile.Compile(context.Background(), []byte(src), opts)
}

func ruleNames(res compile.Result) []string {
	var out []string
	for _, r := range res.Policy.Rules {
		out = append(out, r.Name)
	}
	return out
}

func messages(ds []compile.Diagnostic, sev compile.Severity) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == sev {
			out = append(out, d.String())
		}
	}
	return out
}

// engineFor loads a result's policy in a fresh home and sandbox.
func engineFor(t *testing.T, res compile.Result) (*policy.Engine, *compile.ScenarioEnv) {
	t.Helper()
	env, err := compile.NewScenarioEnv()
	require.NoError(t, err)
	t.Cleanup(func() { env.Close() })
	e, err := policy.New(policy.Artifacts{Policy: res.Policy, Annotations: policy.DefaultAnnotations(), Lists: res.Lists}, env.Config())
	require.NoError(t, err)
	return e, env
}

func verdict(t *testing.T, e *policy.Engine, server, tool string, args map[string]any) (ironcurtain.Verdict, string) {
	t.Helper()
	d, err := e.Evaluate(context.Background(), ironcurtain.ToolCall{Server: server, Tool: tool, Arguments: args})
	require.NoError(t, err)
	return d.Verdict, d.Rule
}

func TestDocumentCommentary(t *testing.T) {
	src := "# Title\n\nSome prose. The agent works hard.\n\n" +
		"- The agent may read files\n  in ~/Documents.\n" +
		"```\n- The agent may never read files in ~/Documents.\n```\n" +
		"<!--\n- The agent may write files in ~/Documents.\n-->\n" +
		"> The agent may write files in ~/Quoted. is a quote: commentary.\n" +
		"1. The agent must ask before writing files outside the sandbox.\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"allow-read-documents", "escalate-write-outside-sandbox"}, ruleNames(res))
	require.Equal(t, "The agent may read files in ~/Documents.", res.Policy.Rules[0].Principle, "continuation lines join the item")
	require.Equal(t, 2, res.Report.Sentences)
}

// TestProseSentencesAreRules: a paragraph's sentences are rules, as list
// items are; a paragraph sentence that reads like a permission but cannot
// be read is an error, never commentary; other prose is a note.
func TestProseSentencesAreRules(t *testing.T) {
	src := "- The agent may read files in ~/Documents.\n\nThe agent may write files in ~/Documents. Be careful.\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"allow-read-documents", "allow-write-documents"}, ruleNames(res))
	require.Equal(t, 2, res.Report.Sentences)
	notes := 0
	for _, d := range res.Diagnostics {
		if d.Severity == compile.Note && d.Sentence == "Be careful." {
			notes++
		}
	}
	require.Equal(t, 1, notes, "commentary is reported, as a note")

	_, err = compileDoc(t, "Intro.\n\nThe agent may frobnicate files in ~/Documents.\n", compile.Options{})
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Diagnostics, 1)
	require.Equal(t, 3, ce.Diagnostics[0].Line)
	require.Contains(t, ce.Diagnostics[0].Message, "frobnicate")
}

func TestUnparsedWithoutModel(t *testing.T) {
	src := "- The agent may read files in ~/Documents.\n- Be kind to the user's files.\n- The agent may frobnicate.\n"
	res, err := compileDoc(t, src, compile.Options{})
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Nil(t, res.Policy)
	require.Len(t, ce.Diagnostics, 2)
	require.Equal(t, 2, ce.Diagnostics[0].Line)
	require.Equal(t, 3, ce.Diagnostics[1].Line)
	require.True(t, ce.Diagnostics[0].Unparsed)
	require.Contains(t, err.Error(), "line 2")
	require.Equal(t, 3, res.Report.Sentences)
	require.Equal(t, 1, res.Report.Compiled)
	require.Equal(t, 2, res.Report.Unparsed)

	// SkipUnparsed compiles the rest and says what was skipped.
	res, err = compileDoc(t, src, compile.Options{SkipUnparsed: true})
	require.NoError(t, err)
	require.Equal(t, []string{"allow-read-documents"}, ruleNames(res))
	warns := messages(res.Diagnostics, compile.Warning)
	require.Len(t, warns, 2)
	require.Contains(t, warns[0], "NOT enforced")
}

// TestOrderNarrowerPlaceFirst: a later, narrower sentence is its exception.
func TestOrderNarrowerPlaceFirst(t *testing.T) {
	src := "- The agent may read files in ~.\n- The agent may never read files in ~/Private.\n- The agent must ask before reading files in ~/Private/shared.\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"escalate-read-private-shared", "deny-read-private", "allow-read-home"}, ruleNames(res))
	require.Empty(t, res.Diagnostics)
	e, _ := engineFor(t, res)
	v, _ := verdict(t, e, "filesystem", "read_file", map[string]any{"path": "~/notes.txt"})
	require.Equal(t, ironcurtain.Allow, v)
	v, _ = verdict(t, e, "filesystem", "read_file", map[string]any{"path": "~/Private/diary.txt"})
	require.Equal(t, ironcurtain.Deny, v)
	v, _ = verdict(t, e, "filesystem", "read_file", map[string]any{"path": "~/Private/shared/plan.txt"})
	require.Equal(t, ironcurtain.Escalate, v)
}

// TestOrderFewerActionsFirst: in the same place, the sentence about fewer
// actions is the exception, and no warning is given.
func TestOrderFewerActionsFirst(t *testing.T) {
	src := "- The agent may read and write files in ~/Work.\n- The agent must ask before writing files in ~/Work.\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"escalate-write-work", "allow-read-write-work"}, ruleNames(res))
	require.Empty(t, res.Diagnostics)
	e, _ := engineFor(t, res)
	v, _ := verdict(t, e, "filesystem", "read_file", map[string]any{"path": "~/Work/a"})
	require.Equal(t, ironcurtain.Allow, v)
	v, _ = verdict(t, e, "filesystem", "write_file", map[string]any{"path": "~/Work/a", "content": "x"})
	require.Equal(t, ironcurtain.Escalate, v)
}

// TestOrderStricterOnConflict: the same calls, different verdicts: the
// stricter applies, with a warning.
func TestOrderStricterOnConflict(t *testing.T) {
	src := "- The agent may read files in ~/Work.\n- The agent must ask before reading files in ~/Work. {#ask-work}\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"ask-work", "allow-read-work"}, ruleNames(res))
	warns := messages(res.Diagnostics, compile.Warning)
	require.Len(t, warns, 1)
	require.Contains(t, warns[0], "the stricter, line 2 (escalate), applies")
}

// TestOrderWrittenOtherwise: rules that cannot overlap keep their order,
// and a domain list, whose values the order does not look at, overlaps a
// domain without either being narrower: the earlier applies, with a
// warning.
func TestOrderWrittenOtherwise(t *testing.T) {
	src := "- The agent may fetch web pages from @docs.\n- The agent may never fetch web pages from python.org.\n- The agent may read files in /srv.\n- The agent may never read files in ~/Secret.\n"
	res, err := compileDoc(t, src, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"allow-fetch-docs", "deny-fetch-python", "allow-read-srv", "deny-read-secret"}, ruleNames(res))
	warns := messages(res.Diagnostics, compile.Warning)
	require.Len(t, warns, 1)
	require.Contains(t, warns[0], "neither is narrower; where both apply the earlier, line 1 (allow)")
}

func TestOrderCycle(t *testing.T) {
	src := "- The agent may fetch web pages from *.python.org.\n- The agent may never fetch web pages from @docs.\n- The agent must ask before fetching web pages from docs.python.org.\n"
	_, err := compileDoc(t, src, compile.Options{})
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, ce.Diagnostics[0].Message, "cannot be ordered")
}

func TestDuplicateNames(t *testing.T) {
	src := "- The agent may list files in ~/Documents.\n- The agent may read files in ~/Documents.\n"
	_, err := compileDoc(t, src, compile.Options{})
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 2, ce.Diagnostics[0].Line)
	require.Contains(t, ce.Diagnostics[0].Message, `"allow-read-documents" is also made by line 1`)
}

func TestLists(t *testing.T) {
	src := "- The agent may fetch web pages from @news.\n- @news are popular news sites.\n- @news are defined twice.\n"
	_, err := compileDoc(t, src, compile.Options{})
	var ce *compile.CompileError
	require.ErrorAs(t, err, &ce)
	var msgs []string
	for _, d := range ce.Diagnostics {
		msgs = append(msgs, d.String())
	}
	require.Len(t, msgs, 2, strings.Join(msgs, "\n"))
	require.Contains(t, msgs[0], "line 1: error: column 36: @news has no values")
	require.Contains(t, msgs[1], "line 3: error: column 1: @news is already defined on line 2")

	lists := &policy.Lists{Lists: map[string]policy.ListValues{"news": {Values: []string{"news.example.com"}}}}
	res, err := compileDoc(t, src[:strings.LastIndex(src, "- @news are defined")], compile.Options{Lists: lists})
	require.NoError(t, err)
	require.Equal(t, []policy.ListDefinition{{Name: "news", Type: "domains", Principle: "@news are popular news sites.", GenerationPrompt: "Popular news sites."}}, res.Policy.ListDefinitions)
	require.Equal(t, lists, res.Lists)
}

func TestProtectedPathWarning(t *testing.T) {
	res, err := compileDoc(t, "- The agent may read files in ~/.ssh.\n", compile.Options{})
	require.NoError(t, err)
	warns := messages(res.Diagnostics, compile.Warning)
	require.Len(t, warns, 1)
	require.Contains(t, warns[0], "protected path")
	for _, s := range res.Scenarios.Scenarios {
		if strings.HasPrefix(s.Call.Arguments["path"].(string), "~/.ssh/") {
			require.Equal(t, ironcurtain.Deny, s.Expect)
			require.Equal(t, policy.RuleProtectedPath, s.Rule)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := compile.Compile(ctx, []byte("- The agent may search the web.\n"), compile.Options{})
	require.True(t, errors.Is(err, context.Canceled))
}
