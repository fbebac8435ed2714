package compile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

var (
	fuzzIxOnce sync.Once
	fuzzAnn    *policy.Annotations
	fuzzIx     *annIndex
)

// FuzzSentence feeds arbitrary text to the sentence parser. It must never
// panic, and a sentence it accepts must compile to rules the engine loads,
// whose scenarios the engine decides as expected.
func FuzzSentence(f *testing.F) {
	for _, name := range []string{"sentences.txt", "errors.txt"} {
		file, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				f.Add(l)
			}
		}
		file.Close()
	}
	fuzzIxOnce.Do(func() {
		fuzzAnn = policy.DefaultAnnotations()
		fuzzIx = indexAnnotations(fuzzAnn)
	})
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseSentence(1, s)
		if err != nil {
			if _, ok := err.(*parseError); !ok {
				t.Fatalf("%q: error of type %T", s, err)
			}
			return
		}
		if st.defList != "" {
			return
		}
		es, err := lower(st)
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, e := range es {
			if names[e.rule.Name] {
				return // the compiler reports it: two rules, one name
			}
			names[e.rule.Name] = true
		}
		lists := map[string][]string{}
		var defs []policy.ListDefinition
		vals := &policy.Lists{Lists: map[string]policy.ListValues{}}
		for i := range es {
			es[i].reg = regionOf(es[i].rule, fuzzIx)
			if len(es[i].reg.cells) == 0 {
				return // the compiler reports it: it governs nothing
			}
			for _, ref := range listRefs(es[i].rule) {
				if _, ok := lists[ref.name]; !ok {
					lists[ref.name] = []string{"example.com"}
					defs = append(defs, policy.ListDefinition{Name: ref.name, Type: ref.typ})
					vals.Lists[ref.name] = policy.ListValues{Values: lists[ref.name]}
				}
			}
		}
		ordered, err := order(es)
		if err != nil {
			t.Fatalf("%q: one sentence's rules cannot be ordered: %v", s, err)
		}
		pol := &policy.CompiledPolicy{ListDefinitions: defs}
		for _, e := range ordered {
			pol.Rules = append(pol.Rules, e.rule)
		}
		cfg := policy.Config{Home: "/nonexistent-ic/home", Sandbox: "/nonexistent-ic/sandbox"}
		eng, err := policy.New(policy.Artifacts{Policy: pol, Annotations: fuzzAnn, Lists: vals}, cfg)
		if errors.Is(err, realpath.ErrLoop) {
			// A path the sentence names is a symlink loop on this machine:
			// the engine rightly refuses to judge by it.
			t.Skipf("%q: %v", s, err)
		}
		if err != nil {
			t.Fatalf("%q: the engine refuses the rules: %v", s, err)
		}
		gen := &scenarioGen{ix: fuzzIx, m: &meaning{ix: fuzzIx, rules: ordered, lists: lists}, seen: map[string]bool{}}
		for i := range ordered {
			gen.forEntry(&ordered[i])
		}
		outs, err := Replay(context.Background(), eng, gen.out)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if !o.Pass {
				t.Fatalf("%q: scenario %s: expected %s by %s, the engine says %s by %s", s, o.Scenario.Description, o.Scenario.Expect, o.Scenario.Rule, o.Decision.Verdict, o.Decision.Rule)
			}
		}
	})
}

// FuzzDecodeAnswer: whatever the model writes, decoding either fails with
// an error or yields exactly one object that decodes the same again.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"rules":[]}`, "```json\n{\"rules\":[],\"lists\":[]}\n```", "```\n```", "```", `{"rules":[]} trailing`,
		`{"rules":[{"name":"r","then":"allow","if":{"server":["fs"]}}]}`, `{"unknown":1}`, ` [1] `, "```json\n{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var a rulesAnswer
		if err := decodeAnswer(text, &a); err != nil {
			return
		}
		again, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%q decoded into a value that does not encode: %v", text, err)
		}
		var b rulesAnswer
		if err := decodeAnswer(string(again), &b); err != nil {
			t.Fatalf("%q: its own encoding %s does not decode: %v", text, again, err)
		}
	})
}

// FuzzDocument: whatever Markdown is given, splitting it into sentences
// and clauses never loses text to an empty rule, every sentence lies on a
// line of the document, and each clause that parses lowers or fails with
// a parse error — never a panic.
func FuzzDocument(f *testing.F) {
	for _, s := range []string{
		"The agent may read and write files in the project directory, may perform read-only git operations without approval, and must ask permission before pushing to remote repositories.",
		"The agent may read and write files in the project directory. It must ask me before pushing to any remote. Never delete permanently.",
		"# H\n\n- **The agent** may read “~/a b”.\n  More.\n1) Never delete files; it may read files in ~/x, but not in ~/x/y.\n",
		"```\n- x\n```\n<!-- c\n-->\n> q\n---\n| t |\n",
		"It may read files in ~/a and ~/b, and can't write files in ~/a. Don't push.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		lines := strings.Count(doc, "\n") + 1
		for _, it := range split(doc) {
			if it.line < 1 || it.line > lines {
				t.Fatalf("%q: sentence %q on line %d of %d", doc, it.text, it.line, lines)
			}
			if strings.TrimSpace(it.text) == "" {
				t.Fatalf("%q: an empty sentence", doc)
			}
			for _, cl := range splitClauses(it.text) {
				st, err := parseSentence(it.line, cl)
				if err != nil {
					if _, ok := err.(*parseError); !ok {
						t.Fatalf("%q: error of type %T", cl, err)
					}
					continue
				}
				if st.defList == "" {
					_, _ = lower(st)
				}
			}
		}
	})
}

// FuzzReadScenarios: either format of test-scenarios.json, however
// malformed, is decoded or refused, never half-read: every scenario
// accepted names a server and a tool, and "not allow" expects no allow.
func FuzzReadScenarios(f *testing.F) {
	f.Add([]byte(`{"scenarios":[{"description":"d","source":"sentence","call":{"server":"filesystem","tool":"read_file","arguments":{"path":"a"}},"expect":"allow"}]}`))
	f.Add([]byte(`{"generatedAt":"x","constitutionHash":"y","inputHash":"z","scenarios":[{"description":"d","request":{"serverName":"filesystem","toolName":"read_file","arguments":{}},"expectedDecision":"not-allow","reasoning":"r","source":"generated"}]}`))
	f.Add([]byte(`{"scenarios":[{"request":{"serverName":"","toolName":"t"},"expectedDecision":"allow"}]}`))
	f.Add([]byte(`{"scenarios":[{"request":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadScenarios(data)
		if err != nil {
			return
		}
		for _, sc := range s.Scenarios {
			if sc.Call.Server == "" || sc.Call.Tool == "" {
				t.Fatalf("a scenario without a server or tool was accepted: %+v", sc)
			}
			if sc.NotAllow && sc.Expect != ironcurtain.Deny {
				t.Fatalf("a not-allow scenario expects %s", sc.Expect)
			}
		}
	})
}

// TestReadScenariosNotAllowCannotAlwaysPass: a scenario that expects allow
// and "not allow" at once would pass on every verdict; it is refused.
func TestReadScenariosNotAllowCannotAlwaysPass(t *testing.T) {
	_, err := ReadScenarios([]byte(`{"scenarios":[{"description":"d","source":"sentence","call":{"server":"s","tool":"t","arguments":{}},"expect":"allow","notAllow":true}]}`))
	if err == nil || !strings.Contains(err.Error(), "notAllow") {
		t.Fatalf("accepted, or refused for another reason: %v", err)
	}
}
