package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// The IronCurtain corpus: the calls of IronCurtain's own engine-level tests
// (test/policy-engine.test.ts, its stress tests and the engine part of its
// dynamic-lists tests), each in the policy context its test builds, with the
// decision IronCurtain's engine reaches. Written as our own fixtures in
// testdata/ironcurtain: one file per test file, one context per policy.
//
// A case's "ironcurtain" is the reference's decision. Without "want" ours
// must be the same verdict and rule; with "want", ours is that instead, and
// it must be stricter than the reference's (or, at the same verdict, another
// rule), with "why" saying why. A context with "loadError" is a policy we
// refuse where IronCurtain loads it, also with "why".

type corpusFile struct {
	Source   string          `json:"source"`
	Contexts []corpusContext `json:"contexts"`
}

type corpusContext struct {
	Name        string          `json:"name"`
	Policy      json.RawMessage `json:"policy"`      // an object, or the name of a directory in testdata/ironcurtain
	Annotations json.RawMessage `json:"annotations"` // likewise
	Lists       json.RawMessage `json:"lists"`
	Config      corpusConfig    `json:"config"`
	// Repos are git repositories to create: path → .git/config text.
	Repos map[string]string `json:"repos"`
	// LoadError: substrings of the error our Load gives.
	LoadError []string     `json:"loadError"`
	Why       string       `json:"why"`
	Cases     []corpusCase `json:"cases"`
}

type corpusConfig struct {
	Sandbox          string              `json:"sandbox"`
	Protected        []string            `json:"protected"`
	DomainAllowlists map[string][]string `json:"domainAllowlists"`
	Trusted          []string            `json:"trusted"`
}

type corpusCase struct {
	Name        string          `json:"name"`
	Server      string          `json:"server"`
	Tool        string          `json:"tool"`
	Arguments   map[string]any  `json:"arguments"`
	IronCurtain corpusDecision  `json:"ironcurtain"`
	Want        *corpusDecision `json:"want"`
	Why         string          `json:"why"`
	// Reason, if set, is the reason the agent must be given.
	Reason string `json:"reason"`
}

type corpusDecision struct {
	Decision ironcurtain.Verdict `json:"decision"`
	Rule     string              `json:"rule"`
}

// corpusWorld is where a context's paths live. IronCurtain's tests use
// fixed directories (/tmp/ironcurtain-sandbox, /home/user/...); the fixtures
// name them by placeholder, all beneath the test's temporary directory.
type corpusWorld struct {
	tmp, home, sandbox, project string
}

func newCorpusWorld(t *testing.T) corpusWorld {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	w := corpusWorld{tmp: tmp, home: filepath.Join(tmp, "home"), sandbox: filepath.Join(tmp, "ironcurtain-sandbox"), project: filepath.Join(tmp, "project")}
	for _, d := range []string{w.home, w.sandbox, w.project} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	return w
}

// expand replaces the placeholders $SB (the sandbox), $HOME, $PROJECT
// (IronCurtain's checkout) and $TMP (the real temporary directory).
func (w corpusWorld) expand(s string) string {
	return strings.NewReplacer("$SB", w.sandbox, "$HOME", w.home, "$PROJECT", w.project, "$TMP", w.tmp).Replace(s)
}

func (w corpusWorld) expandAll(v any) any {
	switch x := v.(type) {
	case string:
		return w.expand(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = w.expandAll(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = w.expandAll(e)
		}
		return out
	}
	return v
}

// artifact returns an artifact's JSON, placeholders expanded: inline, or the
// named shared one. The text is expanded as it is, so that the order of
// annotated arguments (which decides attribution) is kept.
func (w corpusWorld) artifact(t *testing.T, raw json.RawMessage, file string) []byte {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		b, err := os.ReadFile(filepath.Join("testdata", "ironcurtain", name, file))
		require.NoError(t, err)
		raw = b
	}
	for _, p := range []string{w.sandbox, w.home, w.project, w.tmp} {
		q, err := json.Marshal(p)
		require.NoError(t, err)
		require.Equal(t, `"`+p+`"`, string(q), "a placeholder's path needs no escaping in JSON")
	}
	return []byte(w.expand(string(raw)))
}

func (c corpusContext) load(t *testing.T, w corpusWorld) (*Engine, error) {
	for p, config := range c.Repos {
		gitRepo(t, w.expand(p), config)
	}
	a, err := ReadArtifacts(w.artifact(t, c.Policy, "compiled-policy.json"), w.artifact(t, c.Annotations, "tool-annotations.json"), w.artifact(t, c.Lists, ""))
	require.NoError(t, err, "the fixture decodes")
	cfg := Config{Home: w.home, OmitDefaultProtected: true, Trusted: c.Config.Trusted}
	if c.Config.Sandbox != "" {
		cfg.Sandbox = w.expand(c.Config.Sandbox)
	}
	for _, p := range c.Config.Protected {
		cfg.Protected = append(cfg.Protected, w.expand(p))
	}
	if c.Config.DomainAllowlists != nil {
		cfg.DomainAllowlists = map[string][]string{}
		for server, list := range c.Config.DomainAllowlists {
			cfg.DomainAllowlists[server] = append([]string{}, list...)
		}
	}
	return New(a, cfg)
}

func loadCorpus(t *testing.T) map[string]corpusFile {
	t.Helper()
	paths, err := filepath.Glob("testdata/ironcurtain/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := map[string]corpusFile{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var f corpusFile
		require.NoError(t, dec.Decode(&f), p)
		out[filepath.Base(p)] = f
	}
	return out
}

func TestIronCurtainCorpus(t *testing.T) {
	files := loadCorpus(t)
	calls, stricter := 0, 0
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		f := files[name]
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			for _, c := range f.Contexts {
				t.Run(c.Name, func(t *testing.T) {
					w := newCorpusWorld(t)
					e, err := c.load(t, w)
					if len(c.LoadError) > 0 {
						require.NotEmpty(t, c.Why, "a policy we refuse says why")
						require.Error(t, err, "IronCurtain loads this policy; we refuse it")
						for _, s := range c.LoadError {
							require.Contains(t, err.Error(), s)
						}
						return
					}
					require.NoError(t, err)
					for _, tc := range c.Cases {
						t.Run(tc.Name, func(t *testing.T) {
							args, _ := w.expandAll(tc.Arguments).(map[string]any)
							if args == nil {
								args = map[string]any{}
							}
							d := decide(t, e, ironcurtain.ToolCall{Server: tc.Server, Tool: tc.Tool, Arguments: args})
							got := corpusDecision{Decision: d.Verdict, Rule: d.Rule}
							want := tc.IronCurtain
							if tc.Want != nil {
								want = *tc.Want
								require.NotEmpty(t, tc.Why, "a case where we differ says why")
								require.NotEqual(t, tc.IronCurtain, want, "a case that says we differ must differ")
								require.False(t, tc.IronCurtain.Decision.Stricter(want.Decision),
									"never looser than IronCurtain: it says %s, we say %s", tc.IronCurtain.Decision, want.Decision)
							}
							require.Equal(t, want, got, "reason: %s", d.Reason)
							if tc.Reason != "" {
								require.Equal(t, tc.Reason, d.Reason)
							}
						})
						calls++
						if tc.Want != nil && tc.Want.Decision != tc.IronCurtain.Decision {
							stricter++
						}
					}
				})
			}
		})
	}
	t.Logf("%d IronCurtain calls, %d decided more strictly", calls, stricter)
}

// String renders a decision for failure messages.
func (d corpusDecision) String() string { return fmt.Sprintf("%s/%s", d.Decision, d.Rule) }

// TestCorpusFixturesAreCanonical keeps the fixtures readable: every case
// names what it checks, says which IronCurtain decision it is, and a
// context either loads or says why not.
func TestCorpusFixturesAreCanonical(t *testing.T) {
	seen := map[string]bool{}
	for name, f := range loadCorpus(t) {
		require.NotEmpty(t, f.Source, name)
		for _, c := range f.Contexts {
			key := name + "/" + c.Name
			require.False(t, seen[key], "duplicate context %s", key)
			seen[key] = true
			require.True(t, len(c.LoadError) > 0 || len(c.Cases) > 0, key)
			names := map[string]bool{}
			for _, tc := range c.Cases {
				require.NotEmpty(t, tc.Name, key)
				require.False(t, names[tc.Name], "duplicate case %s/%s", key, tc.Name)
				names[tc.Name] = true
				require.NotEmpty(t, tc.IronCurtain.Rule, "%s/%s: IronCurtain's decision", key, tc.Name)
				if tc.Want == nil {
					require.Empty(t, tc.Why, "%s/%s: why without a difference", key, tc.Name)
				}
			}
		}
	}
}
