package compile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// Report summarises a compilation.
type Report struct {
	// Sentences is the number of sentences read; Compiled of them the
	// front end compiled, Unparsed it could not read.
	Sentences int `json:"sentences"`
	Compiled  int `json:"compiled"`
	Unparsed  int `json:"unparsed"`
	// Rules and Scenarios count the artifacts' contents.
	Rules     int `json:"rules"`
	Scenarios int `json:"scenarios"`
	// Servers reports the model's work per server, when a model was used.
	Servers []ServerReport `json:"servers,omitempty"`
	// ModelCalls counts requests sent to the model; CacheHits the answers
	// taken from the cache instead.
	ModelCalls int `json:"modelCalls"`
	CacheHits  int `json:"cacheHits"`
	// Read lists each sentence that compiled with the rules it became, in
	// the order written.
	Read []SentenceRules `json:"read,omitempty"`
	// Skipped lists the sentences about servers that are not configured
	// (no annotations describe them): they make no rule.
	Skipped []SkippedSentence `json:"skipped,omitempty"`
}

// SkippedSentence is a sentence about a server that is not configured.
type SkippedSentence struct {
	Line     int    `json:"line"`
	Sentence string `json:"sentence"`
	Server   string `json:"server"`
}

// SentenceRules is one sentence and the rules it became.
type SentenceRules struct {
	Line     int    `json:"line"`
	Sentence string `json:"sentence"`
	// By is "grammar" for the deterministic front end, "model" for the
	// model pipeline.
	By string `json:"by"`
	// Rules are the names of its rules; none for an allow the sandbox
	// already gives.
	Rules []string `json:"rules"`
}

// ServerReport is the model pipeline's outcome for one server.
type ServerReport struct {
	Server string `json:"server"`
	// ModelRules are the rules the model wrote for the server, as last
	// checked on the engine.
	ModelRules []policy.Rule `json:"modelRules,omitempty"`
	// OK: the server's rules pass all its scenarios on the engine.
	OK bool `json:"ok"`
	// Rules is the number of rules the model wrote; Scenarios the number
	// of scenarios checked; Repairs the repair rounds used.
	Rules     int `json:"rules"`
	Scenarios int `json:"scenarios"`
	Repairs   int `json:"repairs"`
	// Failures are the scenarios that still fail.
	Failures []Failure `json:"failures,omitempty"`
	// Error says why the server failed.
	Error string `json:"error,omitempty"`
}

// Failure is a scenario the engine decided otherwise than expected.
type Failure struct {
	Scenario Scenario            `json:"scenario"`
	Got      ironcurtain.Verdict `json:"got"`
	Rule     string              `json:"rule"`
	Reason   string              `json:"reason"`
}

// String renders the failure on one line.
func (f Failure) String() string {
	want := f.Scenario.Expect.String()
	if f.Scenario.Rule != "" {
		want += " by " + f.Scenario.Rule
	}
	return fmt.Sprintf("%s: expected %s, the engine says %s by %s", f.Scenario.Description, want, f.Got, f.Rule)
}

func failures(outs []Outcome) []Failure {
	var out []Failure
	for _, o := range outs {
		if !o.Pass {
			out = append(out, Failure{Scenario: o.Scenario, Got: o.Decision.Verdict, Rule: o.Decision.Rule, Reason: o.Decision.Reason})
		}
	}
	return out
}

// Write writes the report for a person.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d sentence(s): %d compiled by the front end, %d outside the controlled subset\n", r.Sentences, r.Compiled, r.Unparsed)
	fmt.Fprintf(&b, "%d rule(s), %d scenario(s)\n", r.Rules, r.Scenarios)
	if r.ModelCalls > 0 || r.CacheHits > 0 {
		fmt.Fprintf(&b, "model: %d call(s), %d answer(s) from the cache\n", r.ModelCalls, r.CacheHits)
	}
	for _, sr := range r.Read {
		rules := strings.Join(sr.Rules, ", ")
		if rules == "" {
			rules = "no rule (the sandbox allows it already)"
		}
		fmt.Fprintf(&b, "line %d (%s): %s\n  → %s\n", sr.Line, sr.By, sr.Sentence, rules)
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(&b, "line %d (skipped: the %s server is not configured): %s\n", sk.Line, sk.Server, sk.Sentence)
	}
	for _, s := range r.Servers {
		status := "ok"
		if !s.OK {
			status = "FAILED"
		}
		fmt.Fprintf(&b, "server %s: %s — %d model rule(s), %d scenario(s), %d repair round(s)\n", s.Server, status, s.Rules, s.Scenarios, s.Repairs)
		if s.Error != "" {
			fmt.Fprintf(&b, "  %s\n", s.Error)
		}
		for _, r := range s.ModelRules {
			j, _ := json.Marshal(r.If)
			fmt.Fprintf(&b, "  model rule %s: %s if %s, for %q\n", r.Name, r.Then, j, r.Principle)
		}
		for _, f := range s.Failures {
			fmt.Fprintf(&b, "  failing: %s\n", f)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
