package compile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// CompilerName is recorded in every compiled policy's provenance. Its
// version changes whenever the same constitution would compile to
// different rules.
const CompilerName = "ironcurtain-go/policy/compile v1"

// Options configure [Compile]. The zero Options compile the controlled
// subset against the built-in tools' annotations, offline, and fail on any
// sentence outside it.
type Options struct {
	// Annotations are the tools' argument roles. Nil means
	// policy.DefaultAnnotations(): the 44 built-in tools.
	Annotations *policy.Annotations
	// Lists are the values of dynamic lists already known; a list a
	// sentence names must be known here or resolved by the Model.
	Lists *policy.Lists
	// Model, if set, compiles what the front end cannot: sentences
	// outside the subset, tools without annotations, lists without values.
	Model Model
	// Tools are third-party tools, by server, that have no annotations
	// yet; with a Model they are annotated first.
	Tools map[string][]ironcurtain.Tool
	// SkipUnparsed, with no Model, reports sentences outside the subset as
	// warnings and compiles the rest instead of failing. The skipped
	// sentences are not enforced — a skipped "may never" leaves whatever
	// a broader sentence allows — so use it only while writing.
	SkipUnparsed bool
	// CacheDir, if set, keeps the model's valid answers keyed by a hash
	// of the model name and the whole request; a cached answer skips the
	// model but is verified like a fresh one.
	CacheDir string
	// Concurrency bounds the servers compiled at once by the model
	// pipeline. Zero means 4.
	Concurrency int
	// MaxRepairs bounds the repair rounds per server. Zero means 3.
	MaxRepairs int
	// Progress, if set, is told about each model stage as it starts. It
	// is called from several goroutines, one at a time.
	Progress func(Event)
	// CheckPaths warns about absolute directories that do not exist on
	// this machine. It is off by default so that a constitution compiles
	// with the same diagnostics everywhere; the CLI turns it on.
	CheckPaths bool
	// Time is recorded as the policy's generation time; zero records none,
	// so that the artifacts are reproducible.
	Time time.Time
}

// Event is one step of the model pipeline, for showing progress.
type Event struct {
	// Stage is "annotate", "rules", "lists", "scenarios", "verify" or
	// "repair".
	Stage string
	// Server is the server concerned, or "" for lists.
	Server  string
	Message string
	// Elapsed is how long the compilation had run when the stage began,
	// so that a person sees where the time goes.
	Elapsed time.Duration
}

// Result holds a compilation's artifacts and what the compiler has to say.
// On failure the artifacts are nil and Diagnostics and Report say why.
type Result struct {
	Policy    *policy.CompiledPolicy
	Lists     *policy.Lists // nil when no rule uses a list
	Scenarios *Scenarios
	// Annotations are set when the model annotated tools: the given
	// annotations and the new ones. Nil otherwise.
	Annotations *policy.Annotations
	Diagnostics []Diagnostic
	Report      Report
}

// defaultAnnotations decodes the built-in tools' annotations once; the
// compiler never modifies annotations it is given.
var defaultAnnotations = sync.OnceValue(policy.DefaultAnnotations)

// Compile compiles a constitution (Markdown) into policy artifacts. The
// sentences of the controlled subset compile deterministically, without a
// model; the rest go to opts.Model. Every scenario — those the front end
// derives from the sentences and those the model writes — is replayed on
// the real engine, and its verdict is final: a server whose rules still
// fail after repair fails the whole compilation. The error is then a
// *CompileError, or ctx's error.
//
// Compile may be called from several goroutines at once: it only reads
// opts.Annotations and opts.Lists, and opts.Model is safe for concurrent
// use by contract.
func Compile(ctx context.Context, src []byte, opts Options) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	c := newCompiler(src, opts)
	c.start = time.Now()
	defer c.cleanup()
	return c.run(ctx)
}

// compiler is the state of one compilation.
type compiler struct {
	src  string
	opts Options
	ann  *policy.Annotations
	ix   *annIndex

	diags    []Diagnostic
	report   Report
	defs     map[string]*statement
	unparsed []item
	entries  []entry // the sentences' rules, in order written
	noRule   []SentenceRules
	skipped  []string // servers skipped: not configured
	start    time.Time

	known map[string]policy.ListValues

	envOnce sync.Once
	env     *ScenarioEnv
	envErr  error

	// Set by the model pipeline.
	pipeOnce     sync.Once
	pipeline     *pipeline
	annotated    bool // the model added annotations
	modelEntries []entry
	modelScens   []Scenario
	// modelDefs are written between the model's stages, by one
	// goroutine; resolved and report's counters are guarded by mu.
	modelDefs map[string]modelList
	mu        sync.Mutex
	resolved  map[string]policy.ListValues
}

func newCompiler(src []byte, opts Options) *compiler {
	c := &compiler{src: string(src), opts: opts, defs: map[string]*statement{},
		known: map[string]policy.ListValues{}, modelDefs: map[string]modelList{}, resolved: map[string]policy.ListValues{}}
	// The caller's annotations are only read; annotate copies them before
	// adding the model's.
	c.ann = opts.Annotations
	if c.ann == nil {
		c.ann = defaultAnnotations()
	}
	c.ix = indexAnnotations(c.ann)
	if opts.Lists != nil {
		for name, v := range opts.Lists.Lists {
			c.known[name] = v
		}
	}
	return c
}

func (c *compiler) errorf(line int, sentence, format string, a ...any) {
	c.errorAt(line, sentence, "", format, a...)
}

// errorAt reports an error at the first occurrence of at in the sentence,
// or at its start: every error about a sentence says its column.
func (c *compiler) errorAt(line int, sentence, at, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	col := 0
	if sentence != "" {
		col = 1
		if i := strings.Index(sentence, at); at != "" && i >= 0 {
			col = i + 1
		}
		msg = fmt.Sprintf("column %d: %s", col, msg)
	}
	c.diags = append(c.diags, Diagnostic{Line: line, Severity: Error, Sentence: sentence, Column: col, Message: msg})
}

func (c *compiler) warnf(line int, sentence, format string, a ...any) {
	c.diags = append(c.diags, Diagnostic{Line: line, Severity: Warning, Sentence: sentence, Message: fmt.Sprintf(format, a...)})
}

func (c *compiler) failed() bool {
	return slices.ContainsFunc(c.diags, func(d Diagnostic) bool { return d.Severity == Error })
}

func (c *compiler) fail(servers []ServerReport) (Result, error) {
	sort.SliceStable(c.diags, func(i, j int) bool { return c.diags[i].Line < c.diags[j].Line })
	var errs []Diagnostic
	for _, d := range c.diags {
		if d.Severity == Error {
			errs = append(errs, d)
		}
	}
	return Result{Diagnostics: c.diags, Report: c.report}, &CompileError{Diagnostics: errs, Servers: servers}
}

func (c *compiler) run(ctx context.Context) (Result, error) {
	if c.opts.Model != nil && len(c.opts.Tools) > 0 {
		if err := c.annotate(ctx); err != nil {
			return Result{Diagnostics: c.diags, Report: c.report}, err
		}
	}
	c.read()
	c.lowerAll()
	c.collectLists()
	needModel := len(c.unparsed) > 0 || len(c.opts.Tools) > 0
	for _, it := range c.unparsed {
		msg := "outside the controlled subset: " + it.problem
		d := Diagnostic{Line: it.line, Severity: Error, Sentence: it.text, Column: it.column, Message: msg, Unparsed: true}
		switch {
		case c.opts.Model != nil:
			d.Severity, d.Message = Warning, msg+"; compiled by the model"
		case c.opts.SkipUnparsed:
			d.Severity, d.Message = Warning, msg+"; skipped, NOT enforced"
		}
		c.diags = append(c.diags, d)
	}
	if len(c.opts.Tools) > 0 && c.opts.Model == nil {
		c.errorf(0, "", "tools without annotations need a model to annotate them")
	}
	if c.failed() {
		return c.fail(nil)
	}
	sentenceOrder, err := c.order(c.entries)
	if err != nil {
		c.errorf(0, "", "%v", err)
		return c.fail(nil)
	}
	c.diags = append(c.diags, conflicts(sentenceOrder)...)
	if err := c.resolveSentenceLists(ctx); err != nil {
		return Result{Diagnostics: c.diags, Report: c.report}, err
	}
	if c.failed() {
		return c.fail(nil)
	}
	gen := &scenarioGen{ix: c.ix, m: &meaning{ix: c.ix, rules: sentenceOrder, lists: c.listValues()}, seen: map[string]bool{}}
	for i := range sentenceOrder {
		gen.forEntry(&sentenceOrder[i])
	}
	sentenceScens := gen.out
	var servers []ServerReport
	if needModel && c.opts.Model != nil {
		var err error
		servers, err = c.runModel(ctx, sentenceScens)
		c.report.Servers = servers
		if err != nil {
			return Result{Diagnostics: c.diags, Report: c.report}, err
		}
		if c.failed() || slices.ContainsFunc(servers, func(s ServerReport) bool { return !s.OK }) {
			return c.fail(failedServers(servers))
		}
	}
	all := append(slices.Clone(c.entries), c.modelEntries...)
	final, err := c.order(all)
	if err != nil {
		c.errorf(0, "", "%v", err)
		return c.fail(nil)
	}
	scens := append(slices.Clone(sentenceScens), c.modelScens...)
	sort.SliceStable(scens, func(i, j int) bool { return scens[i].Line < scens[j].Line })
	res, err := c.artifacts(final, scens)
	if err != nil {
		c.errorf(0, "", "%v", err)
		return c.fail(nil)
	}
	outs, err := c.verify(ctx, res.Policy, res.Lists, scens)
	var le *policy.LoadError
	if errors.As(err, &le) {
		c.errorf(0, "", "the compiled policy does not load: %v", err)
		return c.fail(nil)
	}
	if err != nil {
		return Result{Diagnostics: c.diags, Report: c.report}, err
	}
	if fs := failures(outs); len(fs) > 0 {
		// The front end's own scenarios failing is a compiler bug; say so.
		byServer := map[string][]Failure{}
		for _, f := range fs {
			byServer[f.Scenario.Call.Server] = append(byServer[f.Scenario.Call.Server], f)
		}
		for _, s := range slices.Sorted(maps.Keys(byServer)) {
			servers = append(servers, ServerReport{Server: s, Failures: byServer[s], Scenarios: len(scens),
				Error: "the final policy fails scenarios on the engine"})
		}
		c.report.Servers = servers
		return c.fail(failedServers(servers))
	}
	c.report.Rules, c.report.Scenarios = len(final), len(scens)
	c.report.Read = c.readReport(all)
	sort.SliceStable(c.diags, func(i, j int) bool { return c.diags[i].Line < c.diags[j].Line })
	res.Diagnostics, res.Report = c.diags, c.report
	return res, nil
}

func failedServers(ss []ServerReport) []ServerReport {
	var out []ServerReport
	for _, s := range ss {
		if !s.OK {
			out = append(out, s)
		}
	}
	return out
}

// read splits the constitution into sentences, the sentences into
// clauses, and parses each clause.
func (c *compiler) read() {
	for _, it := range split(c.src) {
		clauses := splitClauses(it.text)
		var sts []*statement
		var failed *item
		var problems []string
		column := 0
		for _, cl := range clauses {
			if len(sts) > 0 {
				cl = resolvePronoun(cl, sts[len(sts)-1])
			}
			st, err := parseSentence(it.line, cl)
			if err != nil {
				if pe, ok := err.(*parseError); ok && column == 0 {
					// The column in the sentence as written, where the
					// clause is written there verbatim.
					column = pe.Column
					if i := strings.Index(it.text, strings.TrimSuffix(strings.TrimSpace(cl), ".")); i > 0 {
						column += i
					}
				}
				// Every clause's problem is reported at once.
				if len(clauses) > 1 {
					problems = append(problems, fmt.Sprintf("in %q: %s", cl, err))
				} else {
					problems = append(problems, err.Error())
				}
				continue
			}
			sts = append(sts, st)
		}
		if len(problems) > 0 {
			x := it
			x.problem = strings.Join(problems, "; ")
			x.column = max(column, 1)
			failed = &x
		}
		if failed != nil {
			if svc := mentionedService(it.text); svc != nil && c.ix.tools[svc.server] == nil {
				c.report.Sentences++
				c.skip(it.line, it.text, svc)
				continue
			}
			if it.prose && !ruleLike(it.text) && len(clauses) == 1 {
				if forbidsRE.MatchString(it.text) {
					// A prohibition the grammar cannot read, left
					// out, leaves the agent freer than the sentence.
					c.warnf(it.line, it.text, "this reads like a prohibition but is not a rule, so it is NOT enforced (%s): start it with \"The agent must never\" or \"Never\"", failed.problem)
					continue
				}
				c.diags = append(c.diags, Diagnostic{Line: it.line, Severity: Note, Sentence: it.text, Message: "read as commentary: it does not say what the agent may do"})
				continue
			}
			c.report.Sentences++
			c.unparsed = append(c.unparsed, *failed)
			continue
		}
		c.report.Sentences++
		c.report.Compiled++
		for i, st := range sts {
			if len(sts) > 1 {
				st.principle = it.text
			}
			if i > 0 {
				carryPlace(sts[i-1], st)
			}
			c.statement(st)
		}
	}
	c.report.Unparsed = len(c.unparsed)
}

// statement records one parsed clause: a list definition or rules.
func (c *compiler) statement(st *statement) {
	if st.service != nil && !c.resolveService(st) {
		return
	}
	for _, w := range st.warnings {
		c.warnf(st.line, st.text, "%s", w)
	}
	for _, n := range st.notes {
		c.diags = append(c.diags, Diagnostic{Line: st.line, Severity: Note, Sentence: st.text, Message: n})
	}
	if st.defList != "" {
		if prev, dup := c.defs[st.defList]; dup {
			c.errorAt(st.line, st.text, "@"+st.defList, "@%s is already defined on line %d", st.defList, prev.line)
			return
		}
		c.defs[st.defList] = st
		return
	}
	es, err := lower(st)
	if pe, ok := err.(*parseError); ok {
		c.diags = append(c.diags, Diagnostic{Line: st.line, Severity: Error, Sentence: st.text, Column: max(pe.Column, 1), Message: pe.Error()})
		return
	}
	if err != nil {
		c.errorf(st.line, st.text, "%v", err)
		return
	}
	for _, w := range meaningWarnings(st, es, c.ix, c.opts.CheckPaths) {
		c.warnf(st.line, st.text, "%s", w)
	}
	if len(es) == 0 && st.place == placeSandbox {
		c.noRule = append(c.noRule, SentenceRules{Line: st.line, Sentence: principle(st), By: "grammar", Rules: []string{}})
		c.diags = append(c.diags, Diagnostic{Line: st.line, Severity: Note, Sentence: st.text,
			Message: "no rule: inside the sandbox the engine allows this already"})
	}
	c.entries = append(c.entries, es...)
}

// readReport pairs each sentence with its rules, in the order written.
func (c *compiler) readReport(all []entry) []SentenceRules {
	out := slices.Clone(c.noRule)
	idx := map[string]int{}
	for _, e := range all {
		by := "grammar"
		if e.model {
			by = "model"
		}
		key := fmt.Sprintf("%d\x00%s\x00%s", e.line, e.rule.Principle, by)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, SentenceRules{Line: e.line, Sentence: e.rule.Principle, By: by})
		}
		out[i].Rules = append(out[i].Rules, e.rule.Name)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// carryPlace gives a clause without a place the place of the clause before
// it, when both are about files or repositories: "may read and write
// files in the project directory and may perform read-only git
// operations" reads git in the project directory.
//
// Only an allow takes the place: it is narrowed by it, never widened; a
// deny or an ask without a place keeps its breadth.
func carryPlace(prev, st *statement) {
	if st.verdict != ironcurtain.Allow || st.place != placeNone || prev.place != placePaths && prev.place != placeSandbox {
		return
	}
	local := func(s *statement) bool {
		for _, k := range s.kinds {
			if k != kindFiles && k != kindRepos {
				return false
			}
		}
		return len(s.kinds) > 0
	}
	if !local(prev) || !local(st) {
		return
	}
	st.place, st.paths = prev.place, slices.Clone(prev.paths)
	st.notes = append(st.notes, "the place is taken from the clause before")
}

// splitClauses splits a compound sentence at each ",", ";", "and" or
// "but" that a new modal follows ("may read X, may write Y, and must ask
// before Z"); the subject of the first clause is carried to the others.
func splitClauses(text string) []string {
	var out []string
	subject := "The agent "
	if m := subjectRE.FindString(text); m != "" {
		subject = m
	}
	start := 0
	quote := false
	for i := 0; i < len(text); i++ {
		ch := text[i]
		if ch == '`' || ch == '"' {
			quote = !quote
		}
		if quote || (ch != ',' && ch != ';' && ch != ' ') {
			continue
		}
		j := i + 1
		rest := strings.TrimLeft(text[j:], " ")
		low := strings.ToLower(strings.ReplaceAll(rest, "’", "'"))
		but := false
		for _, w := range []string{"and ", "but ", "then "} {
			if strings.HasPrefix(low, w) {
				low, rest, but = low[len(w):], rest[len(w):], w == "but "
				break
			}
		}
		if ch == ' ' && len(low) == len(strings.ToLower(strings.TrimLeft(text[j:], " "))) {
			continue // a bare space needs "and" or "but"
		}
		hasSubject := false
		if m := subjectRE.FindString(low); m != "" {
			low, rest, hasSubject = low[len(m):], rest[len(m):], true
		}
		for _, w := range []string{"also ", "only ", "then "} {
			if strings.HasPrefix(low, w) && !strings.HasPrefix(low, "only if") {
				low, rest = low[len(w):], rest[len(w):]
			}
		}
		opener := startsWithAny(low, modals) || (!hasSubject && startsWithAny(low, imperatives))
		// "may create branches but not delete them": "but not" and a
		// verb is a prohibition of its own.
		if neg := butNot(low); but && !opener && !hasSubject && neg > 0 {
			rest = "must not " + rest[neg:]
			opener = true
		}
		if !opener {
			continue
		}
		head := strings.TrimRight(strings.TrimSpace(text[start:i]), ",;")
		if head != "" {
			out = append(out, head)
		}
		if startsWithAny(low, imperatives) && !hasSubject {
			text = text[:j] + rest
		} else {
			text = text[:j] + subject + rest
		}
		start = j
		i = j + len(subject) - 1
	}
	out = append(out, strings.TrimSpace(text[start:]))
	return out
}

// pronounRE is a clause ending in "them" or "it", which stands for the
// object of the clause before: "may create branches but not delete them".
var pronounRE = regexp.MustCompile(`(?i)\s(?:them|it)(\.?)$`)

// resolvePronoun replaces a clause's final "them" or "it" with the words
// after the verbs of the clause before.
func resolvePronoun(cl string, prev *statement) string {
	m := pronounRE.FindStringSubmatchIndex(cl)
	if m == nil || prev.service != nil || prev.idiom != nil || prev.restOff >= prev.bodyEnd {
		return cl
	}
	obj := strings.TrimSpace(prev.text[prev.restOff:prev.bodyEnd])
	return cl[:m[0]] + " " + obj + cl[m[2]:m[3]]
}

// butNot returns the length of "not " or "never " when low starts with it
// and a verb follows (low is what follows "but"), else 0.
func butNot(low string) int {
	for _, w := range []string{"not ", "never "} {
		if strings.HasPrefix(low, w) {
			if v, _, _ := strings.Cut(low[len(w):], " "); verbIndex[strings.TrimRight(v, ".,")] != nil {
				return len(w)
			}
		}
	}
	return 0
}

// forbidsRE spots a prohibition anywhere in a sentence.
var forbidsRE = regexp.MustCompile(`(?i)\b(?:never|must not|mustn't|may not|cannot|can't|can not|don't|do not|should not|shouldn't|not allowed|forbidden|prohibited)\b`)

var subjectRE = regexp.MustCompile(`(?i)^(?:the agent|the assistant|it|claude|you)\s+`)

func startsWithAny(low string, ms []modal) bool {
	for _, m := range ms {
		w := strings.Join(m.words, " ")
		if strings.HasPrefix(low, w+" ") {
			return true
		}
	}
	return false
}

// lowerAll checks the sentences' rules against the annotations.
func (c *compiler) lowerAll() {
	names := map[string]int{}
	for i := range c.entries {
		e := &c.entries[i]
		e.reg = regionOf(e.rule, c.ix)
		if len(e.reg.cells) == 0 {
			c.errorf(e.line, e.rule.Principle, "%s", c.noCells(e.rule))
		}
		if p := e.rule.If.Paths; p != nil && isProtected(p.Within) {
			c.warnf(e.line, e.rule.Principle, "%s is a protected path: no rule can open it, so this sentence has no effect there", p.Within)
		}
		if prev, dup := names[e.rule.Name]; dup && prev != e.line {
			c.errorAt(e.line, e.rule.Principle, "{#", "rule name %q is also made by line %d: name one of them with {#name} at the end of the sentence", e.rule.Name, prev)
		} else if dup {
			c.errorf(e.line, e.rule.Principle, "the sentence makes two rules named %q", e.rule.Name)
		}
		names[e.rule.Name] = e.line
	}
}

// noCells explains why a rule governs no tool.
func (c *compiler) noCells(r policy.Rule) string {
	for _, s := range r.If.Server {
		if c.ix.tools[s] == nil {
			return fmt.Sprintf("no annotations describe the %s server's tools, so this sentence governs nothing", s)
		}
		for _, t := range r.If.Tool {
			if c.ix.tool(s, t) == nil {
				return fmt.Sprintf("the %s server has no tool %q", s, t)
			}
		}
	}
	var roles []string
	for _, x := range r.If.Roles {
		roles = append(roles, string(x))
	}
	return fmt.Sprintf("no tool of %s has an argument with the role(s) %s, so this sentence governs nothing", strings.Join(r.If.Server, ", "), strings.Join(roles, ", "))
}

// order computes the regions the model's rules lack and orders entries.
func (c *compiler) order(es []entry) ([]entry, error) {
	for i := range es {
		if es[i].reg == nil {
			es[i].reg = regionOf(es[i].rule, c.ix)
		}
	}
	return order(es)
}

// artifacts assembles the policy, lists and scenarios.
func (c *compiler) artifacts(final []entry, scens []Scenario) (Result, error) {
	pol, lists, err := c.buildPolicy(final)
	if err != nil {
		return Result{}, err
	}
	sum := sha256.Sum256([]byte(c.src))
	constHash := hex.EncodeToString(sum[:])
	pol.ConstitutionHash = constHash
	prov := &policy.Provenance{Constitution: constHash, Compiler: CompilerName}
	model := ""
	if c.opts.Model != nil {
		model = c.opts.Model.Name()
		prov.Model = model
	}
	if !c.opts.Time.IsZero() {
		prov.Time = c.opts.Time.UTC().Format(time.RFC3339)
		pol.GeneratedAt = prov.Time
	}
	pol.Provenance = prov
	for _, s := range c.skipped {
		pol.SkippedServers = append(pol.SkippedServers, policy.SkippedServer{ServerName: s,
			Reason: "the constitution speaks of it, but no tool annotations describe it"})
	}
	pol.InputHash = inputHash(constHash, c.ann, lists, model)
	res := Result{Policy: pol, Lists: lists, Scenarios: &Scenarios{ConstitutionHash: constHash, Scenarios: scens}}
	if res.Scenarios.Scenarios == nil {
		res.Scenarios.Scenarios = []Scenario{}
	}
	if c.annotated {
		res.Annotations = c.ann
	}
	return res, nil
}

// inputHash covers everything the rules were compiled from: the
// constitution, the annotations, the lists, the model and its prompts.
func inputHash(constHash string, ann *policy.Annotations, lists *policy.Lists, model string) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{CompilerName, constHash, ann, lists, model})
	if model != "" {
		h.Write([]byte(promptsDigest))
	}
	return hex.EncodeToString(h.Sum(nil))
}
