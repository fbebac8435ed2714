package compile_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// corpusCase is one constitution of testdata/corpus.txt with the calls
// and the decisions its English means.
type corpusCase struct {
	name      string
	line      int
	wantError bool
	wantWarn  bool
	src       string
	calls     []ironcurtain.ToolCall
	want      []ironcurtain.Verdict
	callLines []int
}

func readCorpus(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []corpusCase
	var cur *corpusCase
	inCalls := false
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "=== "):
			out = append(out, corpusCase{name: strings.TrimPrefix(l, "=== "), line: n})
			cur, inCalls = &out[len(out)-1], false
			words := strings.Fields(cur.name)
			switch words[len(words)-1] {
			case "error":
				cur.wantError = true
			case "warn":
				cur.wantWarn = true
			}
		case cur == nil:
		case l == "---":
			inCalls = true
		case inCalls && strings.TrimSpace(l) != "":
			verdict, c := parseCorpusCall(t, n, l)
			cur.calls, cur.want, cur.callLines = append(cur.calls, c), append(cur.want, verdict), append(cur.callLines, n)
		case !inCalls:
			cur.src += l + "\n"
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// parseCorpusCall reads "VERDICT server/tool arg=value ...". A value may
// hold spaces up to the next " name=".
func parseCorpusCall(t *testing.T, line int, l string) (ironcurtain.Verdict, ironcurtain.ToolCall) {
	t.Helper()
	verdict, rest, _ := strings.Cut(l, " ")
	tool, args, _ := strings.Cut(rest, " ")
	server, name, ok := strings.Cut(tool, "/")
	require.True(t, ok, "corpus line %d: %q", line, l)
	c := ironcurtain.ToolCall{Server: server, Tool: name, Arguments: map[string]any{}}
	// Split on " key=" boundaries.
	var keys []int
	for i := 0; i < len(args); i++ {
		if (i == 0 || args[i-1] == ' ') && strings.IndexByte(args[i:], '=') > 0 {
			k := args[i : i+strings.IndexByte(args[i:], '=')]
			if !strings.ContainsAny(k, " /~") {
				keys = append(keys, i)
			}
		}
	}
	for j, start := range keys {
		end := len(args)
		if j+1 < len(keys) {
			end = keys[j+1] - 1
		}
		k, v, _ := strings.Cut(args[start:end], "=")
		var val any = v
		if v != "" && (strings.ContainsRune(`[{"0123456789`, rune(v[0])) || v == "true" || v == "false") {
			require.NoError(t, json.Unmarshal([]byte(v), &val), "corpus line %d", line)
		}
		c.Arguments[k] = val
	}
	var vd ironcurtain.Verdict
	require.NoError(t, vd.UnmarshalText([]byte(verdict)), "corpus line %d", line)
	return vd, c
}

// TestCorpus compiles every constitution of testdata/corpus.txt with the
// deterministic compiler (no model) and replays its calls on the real
// engine: each must decide as its English means. A constitution flagged
// "error" must be refused; one flagged "warn" must compile with a warning;
// every other must compile without one, so that a rule looser or
// stricter than its sentence is never silent.
func TestCorpus(t *testing.T) {
	cases := readCorpus(t)
	require.GreaterOrEqual(t, len(cases), 60)
	accepted, wrong := 0, 0
	for _, cc := range cases {
		ok := t.Run(cc.name, func(t *testing.T) {
			res, err := compile.Compile(context.Background(), []byte(cc.src), compile.Options{Lists: testLists, CheckPaths: true})
			var warns []string
			for _, d := range res.Diagnostics {
				if d.Severity == compile.Warning {
					warns = append(warns, d.String())
				}
			}
			if cc.wantError {
				require.Error(t, err, "line %d: the constitution must be refused", cc.line)
				return
			}
			require.NoError(t, err, "line %d: %s", cc.line, diagText(res))
			if cc.wantWarn {
				require.NotEmpty(t, warns, "line %d: a warning was expected", cc.line)
			} else {
				require.Empty(t, warns, "line %d: no warning was expected", cc.line)
			}
			root, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			cfg := policy.Config{Home: filepath.Join(root, "home"), Sandbox: filepath.Join(root, "sandbox")}
			require.NoError(t, os.Mkdir(cfg.Home, 0o700))
			require.NoError(t, os.Mkdir(cfg.Sandbox, 0o700))
			e, err := policy.New(policy.Artifacts{Policy: res.Policy, Annotations: policy.DefaultAnnotations(), Lists: res.Lists}, cfg)
			require.NoError(t, err)
			var bad []string
			for i, c := range cc.calls {
				d, err := e.Evaluate(context.Background(), c)
				require.NoError(t, err)
				if d.Verdict != cc.want[i] {
					bad = append(bad, fmt.Sprintf("line %d: %s/%s %v: want %s, got %s (%s: %s)", cc.callLines[i], c.Server, c.Tool, c.Arguments, cc.want[i], d.Verdict, d.Rule, d.Reason))
				}
			}
			if len(bad) > 0 {
				wrong++
			}
			require.Empty(t, bad, "%s", policyText(res.Policy))
		})
		if ok {
			accepted++
		}
	}
	t.Logf("corpus: %d of %d constitutions accepted as meant (%.0f %%), %d compiled to wrong decisions", accepted, len(cases), 100*float64(accepted)/float64(len(cases)), wrong)
}

func diagText(res compile.Result) string {
	var b strings.Builder
	for _, d := range res.Diagnostics {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func policyText(p *policy.CompiledPolicy) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	for _, r := range p.Rules {
		j, _ := json.Marshal(r.If)
		fmt.Fprintf(&b, "%s: %s %s\n", r.Name, r.Then, j)
	}
	return b.String()
}
