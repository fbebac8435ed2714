package compile

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// pipeline runs the model stages: annotate tools, write rules for the
// sentences outside the subset, resolve lists, write scenarios, verify on
// the engine and repair — per server, several servers at once.
type pipeline struct {
	c     *compiler
	model Model
	cache answerCache

	mu         sync.Mutex // guards lists
	lists      map[string]*listJob
	progressMu sync.Mutex // one Progress call at a time
}

// listJob resolves one list once, however many servers need it.
type listJob struct {
	once sync.Once
	err  error
}

func (c *compiler) pipe() *pipeline {
	c.pipeOnce.Do(func() {
		c.pipeline = &pipeline{c: c, model: c.opts.Model, cache: answerCache{dir: c.opts.CacheDir}, lists: map[string]*listJob{}}
	})
	return c.pipeline
}

func (p *pipeline) progress(stage, server, format string, a ...any) {
	if f := p.c.opts.Progress; f != nil {
		p.progressMu.Lock()
		defer p.progressMu.Unlock()
		f(Event{Stage: stage, Server: server, Message: fmt.Sprintf(format, a...), Elapsed: max(time.Since(p.c.start), time.Nanosecond)})
	}
}

func (p *pipeline) limit() int {
	if n := p.c.opts.Concurrency; n > 0 {
		return n
	}
	return 4
}

// ask sends a request and parses the answer with parse. An answer that
// does not parse is sent back once, with what is wrong; a second bad
// answer fails the stage. Valid answers are cached.
func (p *pipeline) ask(ctx context.Context, req Request, parse func(string) error) error {
	name := p.model.Name()
	firstKey := p.cache.key(name, req)
	for attempt := 0; ; attempt++ {
		key := p.cache.key(name, req)
		if text, ok := p.cache.get(key); ok && parse(text) == nil {
			p.count(false)
			return nil
		}
		resp, err := p.model.Complete(ctx, req)
		p.count(true)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the model: %w", err)
		}
		perr := parse(resp.Text)
		if perr == nil {
			p.cache.put(key, name, resp.Text)
			if attempt == 1 {
				// The answer the compilation used stands for the first
				// request too, so that the next run asks nothing.
				p.cache.put(firstKey, name, resp.Text)
			}
			return nil
		}
		if attempt == 1 {
			return fmt.Errorf("the model's answer is unusable after a retry: %v; the answer was: %s", perr, clip(resp.Text, 2000))
		}
		msgs := append(slices.Clone(req.Messages),
			Message{Role: "assistant", Text: resp.Text},
			Message{Role: "user", Text: fmt.Sprintf(retryTask, perr)})
		req = Request{System: req.System, Messages: msgs, MaxTokens: req.MaxTokens}
	}
}

// clip shortens a model's answer for a report.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (p *pipeline) count(call bool) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if call {
		p.c.report.ModelCalls++
	} else {
		p.c.report.CacheHits++
	}
}

func userRequest(text string, maxTokens int) Request {
	return Request{System: systemPrompt, Messages: []Message{{Role: "user", Text: text}}, MaxTokens: maxTokens}
}

// resolveList has the model give a list's values, once per list.
func (p *pipeline) resolveList(ctx context.Context, name, typ, description string) error {
	p.mu.Lock()
	job := p.lists[name]
	if job == nil {
		job = &listJob{}
		p.lists[name] = job
	}
	p.mu.Unlock()
	job.once.Do(func() {
		p.progress("lists", "", "@%s", name)
		var b strings.Builder
		b.WriteString(header("lists", ""))
		fmt.Fprintf(&b, listTask, name, typ, description, listFormats[typ])
		req := userRequest(b.String(), 4096)
		var vals []string
		job.err = p.ask(ctx, req, func(text string) error {
			var a valuesAnswer
			if err := decodeAnswer(text, &a); err != nil {
				return err
			}
			v, err := checkListValues(typ, a.Values)
			if err != nil {
				return err
			}
			vals = v
			return nil
		})
		if job.err != nil {
			return
		}
		lv := policy.ListValues{Values: vals, InputHash: p.cache.key(p.model.Name(), req)}
		if t := p.c.opts.Time; !t.IsZero() {
			lv.ResolvedAt = t.UTC().Format(time.RFC3339)
		}
		p.c.mu.Lock()
		p.c.resolved[name] = lv
		p.c.mu.Unlock()
	})
	return job.err
}

// serverWork is one server's way through the model stages.
type serverWork struct {
	rep   ServerReport
	rules []ruleJSON // the model's rules, in its order
	lists []listJSON // the lists its first answer defined
	es    []entry
	scens []Scenario
}

func (w *serverWork) failed() bool { return w.rep.Error != "" }

// each runs f for 0..n-1, p.limit() at a time. f returns only ctx's
// error: a server's failure is in its report, and the others go on.
func (p *pipeline) each(ctx context.Context, n int, f func(context.Context, int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.limit())
	for i := 0; i < n; i++ {
		g.Go(func() error { return f(gctx, i) })
	}
	return g.Wait()
}

// runModel compiles the sentences outside the subset, server by server,
// several at once: first every server's rules; then the lists they
// define, merged in server order so that one name always means one list;
// then each server's lists, scenarios, verification and repairs. Only
// ctx's error is returned; a server's failure is in its report.
func (c *compiler) runModel(ctx context.Context, sentenceScens []Scenario) ([]ServerReport, error) {
	if len(c.unparsed) == 0 {
		return nil, nil
	}
	p := c.pipe()
	servers := c.ix.servers
	work := make([]serverWork, len(servers))
	for i, s := range servers {
		work[i].rep.Server = s
	}
	err := p.each(ctx, len(work), func(ctx context.Context, i int) error {
		return p.rulesStage(ctx, &work[i])
	})
	if err != nil {
		return nil, err
	}
	for i := range work {
		c.mergeLists(&work[i])
	}
	err = p.each(ctx, len(work), func(ctx context.Context, i int) error {
		return p.checkStage(ctx, &work[i], sentenceScens)
	})
	if err != nil {
		return nil, err
	}
	reps := make([]ServerReport, len(work))
	seen := map[string]bool{}
	for i := range work {
		w := &work[i]
		reps[i] = w.rep
		if !w.rep.OK {
			continue
		}
		for _, e := range w.es {
			// Two servers' models may pick the same name: the later
			// server's rule is renamed after its server.
			if seen[e.rule.Name] {
				e.rule.Name += "-" + w.rep.Server
			}
			seen[e.rule.Name] = true
			c.modelEntries = append(c.modelEntries, e)
		}
		c.modelScens = append(c.modelScens, w.scens...)
	}
	return reps, nil
}

func (p *pipeline) rulesStage(ctx context.Context, w *serverWork) error {
	rules, lists, es, err := p.rules(ctx, w.rep.Server)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.rep.Error = "rules: " + err.Error()
		return nil
	}
	w.rules, w.lists, w.es = rules, lists, es
	return nil
}

// mergeLists records the lists a server's model defined. The first
// server (in name order) to define a name defines it; a later one that
// gives it another type fails.
func (c *compiler) mergeLists(w *serverWork) {
	if w.failed() {
		return
	}
	for _, l := range w.lists {
		if prev, ok := c.modelDefs[l.Name]; ok {
			if prev.typ != l.Type {
				w.rep.Error = fmt.Sprintf("rules: @%s holds %s here but %s for another server", l.Name, l.Type, prev.typ)
				return
			}
			continue
		}
		c.modelDefs[l.Name] = modelList{typ: l.Type, description: l.Description}
	}
}

// checkStage resolves the lists a server's rules need, has the model write
// its scenarios, and verifies the rules on the engine, repairing them in
// bounded rounds.
func (p *pipeline) checkStage(ctx context.Context, w *serverWork, sentenceScens []Scenario) error {
	if w.failed() {
		return nil
	}
	c, server := p.c, w.rep.Server
	fail := func(stage string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.rep.Error = stage + ": " + err.Error()
		return nil
	}
	if err := p.resolveLists(ctx, w.es); err != nil {
		return fail("lists", err)
	}
	scens, err := p.scenarios(ctx, server, w.es)
	if err != nil {
		return fail("scenarios", err)
	}
	// The compiler's own invariants are checked with the model's
	// scenarios, and written with them.
	w.scens = append(scens, c.invariants(server)...)
	all := slices.DeleteFunc(slices.Clone(sentenceScens), func(s Scenario) bool { return s.Call.Server != server })
	all = append(all, w.scens...)
	w.rep.Scenarios = len(all)
	maxRounds := c.opts.MaxRepairs
	if maxRounds == 0 {
		maxRounds = 3
	}
	for round := 0; ; round++ {
		p.progress("verify", server, "%d rule(s), %d scenario(s)", len(w.es), len(all))
		fails, problem, err := p.check(ctx, w.es, all)
		if err != nil {
			return fail("verify", err)
		}
		w.rep.Failures = fails
		w.rep.ModelRules = w.rep.ModelRules[:0]
		for _, e := range w.es {
			w.rep.ModelRules = append(w.rep.ModelRules, e.rule)
		}
		if problem == "" && len(fails) == 0 {
			w.rep.OK, w.rep.Rules = true, len(w.es)
			return nil
		}
		if round == maxRounds {
			if problem == "" {
				problem = fmt.Sprintf("%d scenario(s) still fail after %d repair round(s)", len(fails), round)
			}
			w.rep.Error = problem
			return nil
		}
		w.rep.Repairs++
		p.progress("repair", server, "round %d: %d failing scenario(s)", round+1, len(fails))
		if w.rules, w.es, err = p.repair(ctx, server, w.rules, w.lists, fails, problem); err != nil {
			return fail("repair", err)
		}
		if err := p.resolveLists(ctx, w.es); err != nil {
			return fail("lists", err)
		}
	}
}

// resolveLists resolves the lists the model's rules name that have no
// values yet.
func (p *pipeline) resolveLists(ctx context.Context, es []entry) error {
	c := p.c
	for _, e := range es {
		for _, ref := range listRefs(e.rule) {
			if _, ok := c.known[ref.name]; ok {
				continue
			}
			desc := ""
			if st := c.defs[ref.name]; st != nil {
				desc = st.defText
			} else {
				desc = c.modelDefs[ref.name].description
			}
			if err := p.resolveList(ctx, ref.name, ref.typ, strings.TrimSuffix(desc, ".")); err != nil {
				return fmt.Errorf("@%s: %v", ref.name, err)
			}
		}
	}
	return nil
}

// context renders what every rules, scenarios and repair request shares:
// the engine, the server's tools and the sentences to compile.
func (p *pipeline) context(server string) string {
	c := p.c
	var b strings.Builder
	b.WriteString(engineNotes)
	fmt.Fprintf(&b, "\n\nTools of the server %s, with each argument's roles:\n%s", server, describeTools(c.ix.tools[server]))
	b.WriteString("\nKnown lists: ")
	var names []string
	for name, vals := range c.listValues() {
		preview := vals
		if len(preview) > 5 {
			preview = preview[:5]
		}
		names = append(names, fmt.Sprintf("@%s (%s, ...)", name, strings.Join(preview, ", ")))
	}
	slices.Sort(names)
	if len(names) == 0 {
		names = []string{"none"}
	}
	b.WriteString(strings.Join(names, "; "))
	b.WriteString("\n\nThe constitution, for context:\n---\n")
	b.WriteString(c.src)
	b.WriteString("\n---\n\nThe sentences to compile (line: sentence):\n")
	for _, it := range c.unparsed {
		fmt.Fprintf(&b, "%d: %s\n", it.line, it.text)
	}
	return b.String()
}

// sentenceRules are the rules compiled from sentences for a server.
func (c *compiler) sentenceRules(server string) []policy.Rule {
	var out []policy.Rule
	for _, e := range c.entries {
		if slices.Contains(e.rule.If.Server, server) {
			out = append(out, e.rule)
		}
	}
	return out
}

func (p *pipeline) rules(ctx context.Context, server string) ([]ruleJSON, []listJSON, []entry, error) {
	p.progress("rules", server, "%d sentence(s)", len(p.c.unparsed))
	text := header("rules", server) + p.context(server) +
		"\nRules already compiled for this server, in order:\n" + compactRules(p.c.sentenceRules(server)) +
		"\n" + fmt.Sprintf(rulesTask, server, server)
	var rules []ruleJSON
	var lists []listJSON
	var es []entry
	err := p.ask(ctx, userRequest(text, 8192), func(t string) error {
		var a rulesAnswer
		if err := decodeAnswer(t, &a); err != nil {
			return err
		}
		got, err := p.c.modelRules(server, a.Rules, a.Lists)
		if err != nil {
			return err
		}
		rules, lists, es = a.Rules, a.Lists, got
		return nil
	})
	return rules, lists, es, err
}

func (p *pipeline) scenarios(ctx context.Context, server string, es []entry) ([]Scenario, error) {
	p.progress("scenarios", server, "")
	text := header("scenarios", server) + p.context(server) + "\n" + fmt.Sprintf(scenariosTask, server)
	var out []Scenario
	err := p.ask(ctx, userRequest(text, 16384), func(t string) error {
		var a scenariosAnswer
		if err := decodeAnswer(t, &a); err != nil {
			return err
		}
		s, err := p.c.modelScenarios(server, a.Scenarios, es)
		if err != nil {
			return err
		}
		out = s
		return nil
	})
	return out, err
}

func (p *pipeline) repair(ctx context.Context, server string, rules []ruleJSON, lists []listJSON, fails []Failure, problem string) ([]ruleJSON, []entry, error) {
	var b strings.Builder
	b.WriteString(header("repair", server))
	b.WriteString(p.context(server))
	b.WriteString("\nRules compiled from the other sentences (fixed):\n" + compactRules(p.c.sentenceRules(server)))
	b.WriteString("\nYour rules, in your order:\n")
	for _, r := range rules {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteString("\n")
	}
	if problem != "" {
		b.WriteString("\nProblem: " + problem + "\n")
	}
	if len(fails) > 0 {
		b.WriteString("\nFailing scenarios:\n")
		for _, f := range fails {
			call, _ := json.Marshal(f.Scenario.Call)
			fmt.Fprintf(&b, "- %s (line %d): %s expected %s; the engine says %s by rule %q: %s\n",
				f.Scenario.Description, f.Scenario.Line, call, f.Scenario.Expect, f.Got, f.Rule, f.Reason)
		}
	}
	b.WriteString("\n" + fmt.Sprintf(repairTask, server))
	var next []ruleJSON
	var es []entry
	err := p.ask(ctx, userRequest(b.String(), 8192), func(t string) error {
		var a patchAnswer
		if err := decodeAnswer(t, &a); err != nil {
			return err
		}
		patched, err := applyPatch(rules, a.Operations)
		if err != nil {
			return err
		}
		got, err := p.c.modelRules(server, patched, lists)
		if err != nil {
			return err
		}
		next, es = patched, got
		return nil
	})
	return next, es, err
}

// check orders the sentences' rules with the server's model rules, builds
// the engine, and replays the scenarios. problem reports rules that cannot
// be ordered or do not load; err only a failure to run at all.
func (p *pipeline) check(ctx context.Context, model []entry, scens []Scenario) (fails []Failure, problem string, err error) {
	c := p.c
	ordered, err := c.order(append(slices.Clone(c.entries), model...))
	if err != nil {
		return nil, err.Error(), nil
	}
	pol, lists, err := c.buildPolicy(ordered)
	if err != nil {
		return nil, err.Error(), nil
	}
	env, err := c.environment()
	if err != nil {
		return nil, "", err
	}
	e, err := policy.New(policy.Artifacts{Policy: pol, Annotations: c.ann, Lists: lists}, env.Config())
	if err != nil {
		return nil, "the rules do not load: " + err.Error(), nil
	}
	outs, err := Replay(ctx, e, scens)
	if err != nil {
		return nil, "", err
	}
	return failures(outs), "", nil
}
