package compile_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/ironcurtain-go/ironcurtain/internal/golden"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testLists are the list values known to the grammar tests.
var testLists = &policy.Lists{Lists: map[string]policy.ListValues{
	"docs": {Values: []string{"go.dev", "*.python.org"}},
}}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// corpus reads a file of sentences, one per line, skipping blank lines and
// # comments.
func corpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

// render shows what one sentence compiles to.
func render(sentence string, res compile.Result, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s\n", sentence)
	if res.Policy != nil {
		for _, r := range res.Policy.Rules {
			cond, _ := json.Marshal(r.If)
			fmt.Fprintf(&b, "%s: %s %s\n", r.Name, r.Then, cond)
			fmt.Fprintf(&b, "  description: %s\n  reason: %s\n", r.Description, r.Reason)
		}
		for _, d := range res.Policy.ListDefinitions {
			fmt.Fprintf(&b, "list @%s (%s): %q\n", d.Name, d.Type, d.GenerationPrompt)
		}
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintf(&b, "%s: %s\n", d.Severity, d.Message)
	}
	var ce *compile.CompileError
	if err != nil && !errors.As(err, &ce) {
		fmt.Fprintf(&b, "ERROR: %v\n", err)
	}
	b.WriteString("\n")
	return b.String()
}

func compileSentence(sentence string) (compile.Result, error) {
	return compile.Compile(context.Background(), []byte("- "+sentence+"\n"), compile.Options{Lists: testLists})
}

// TestGrammarGolden compiles every sentence form, verb, object and place
// of the controlled subset and compares the rules with the golden file.
// Each compilation also replays its own scenarios on the engine, so every
// rule here is one the engine loads and decides as the sentence says.
func TestGrammarGolden(t *testing.T) {
	var b strings.Builder
	for _, s := range corpus(t, "sentences.txt") {
		res, err := compileSentence(s)
		if !strings.HasPrefix(s, "@") {
			require.NoError(t, err, s)
			if len(res.Policy.Rules) == 0 {
				// Only an allow inside the sandbox makes no rule, and
				// it says so.
				require.Contains(t, render(s, res, err), "no rule: inside the sandbox", s)
			}
			for _, r := range res.Policy.Rules {
				require.Contains(t, s, strings.TrimSuffix(r.Principle, "."), "the principle is the sentence")
			}
		}
		b.WriteString(render(s, res, err))
	}
	golden(t, "sentences.golden", b.String())
}

// requireColumn: an error about a sentence says where in it.
func requireColumn(t *testing.T, d compile.Diagnostic) {
	t.Helper()
	require.Positive(t, d.Column, "the error has no column: %s", d)
	require.LessOrEqual(t, d.Column, len(d.Sentence)+1, d.String())
	require.Contains(t, d.Message, fmt.Sprintf("column %d: ", d.Column), d.String())
}

// TestErrorsHaveColumns: errors found after parsing (a list without
// values, two rules of one name, a {#name} on a sentence of two rules, a
// service without such tools) say their column too.
func TestErrorsHaveColumns(t *testing.T) {
	for _, src := range []string{
		"- The agent may fetch web pages from @nowhere.\n",
		"- The agent may read files in ~/a. {#x}\n- The agent may read files in ~/b. {#x}\n",
		"- The agent may read and write files in ~/a and ~/b. {#one}\n",
		"- @docs are documentation sites.\n- @docs are more documentation sites.\n",
		"- The agent may read files in ~/a. {#Bad Name}\n",
		"- The agent may search repositories.\n- The agent may use the nosuch server.\n",
	} {
		res, err := compile.Compile(context.Background(), []byte(src), compile.Options{Lists: testLists})
		require.Error(t, err, src)
		n := 0
		for _, d := range res.Diagnostics {
			if d.Severity == compile.Error {
				n++
				requireColumn(t, d)
			}
		}
		require.Positive(t, n, src)
	}
}

// TestGrammarErrorsGolden checks the messages for sentences the front end
// cannot read: each is an error with its line, and nothing compiles.
func TestGrammarErrorsGolden(t *testing.T) {
	var b strings.Builder
	for _, s := range corpus(t, "errors.txt") {
		res, err := compileSentence(s)
		var ce *compile.CompileError
		require.ErrorAs(t, err, &ce, s)
		require.Nil(t, res.Policy, s)
		require.NotEmpty(t, ce.Diagnostics, s)
		for _, d := range ce.Diagnostics {
			require.Equal(t, 1, d.Line, "the error names the sentence's line: %s", s)
			requireColumn(t, d)
		}
		b.WriteString(render(s, res, err))
	}
	golden(t, "errors.golden", b.String())
}
