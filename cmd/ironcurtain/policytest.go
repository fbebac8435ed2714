package main

// ironcurtain policy test DIR: replay a compiled policy's scenarios.
// ironcurtain policy diff OLD NEW [--calls AUDIT.jsonl]: the calls whose
// decision changes between two policies.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// policyDir is a compiled policy's files: a directory holding
// compiled-policy.json and maybe dynamic-lists.json, tool-annotations.json
// and test-scenarios.json, or the path of a compiled-policy.json beside
// them.
type policyDir struct {
	dir, policy string
}

func openPolicyDir(p string) (policyDir, error) {
	st, err := os.Stat(p)
	if err != nil {
		return policyDir{}, err
	}
	if st.IsDir() {
		return policyDir{dir: p, policy: filepath.Join(p, compile.PolicyFile)}, nil
	}
	return policyDir{dir: filepath.Dir(p), policy: p}, nil
}

// file returns the path of an artifact beside the policy, or "" when it is
// not there.
func (d policyDir) file(name string) string {
	p := filepath.Join(d.dir, name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// load builds the engine. Annotations come from the directory, else from
// the flag, else the built-in tools'.
func (d policyDir) load(annotations string, cfg policy.Config) (*policy.Engine, error) {
	files := policy.Files{Policy: d.policy, Lists: d.file(compile.ListsFile), Annotations: d.file(compile.AnnotationsFile)}
	if files.Annotations == "" {
		files.Annotations = annotations
	}
	return policy.Load(files, cfg)
}

func (d policyDir) scenarios() ([]compile.Scenario, error) {
	p := d.file(compile.ScenariosFile)
	if p == "" {
		return nil, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	s, err := compile.ReadScenarios(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	return s.Scenarios, nil
}

// envFlags choose the home and sandbox scenarios are replayed under.
type envFlags struct {
	home, sandbox, annotations string
}

func (f *envFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.home, "home", "", `the directory "~" stands for (default: a fresh temporary directory)`)
	fs.StringVar(&f.sandbox, "sandbox", "", "the sandbox directory (default: a fresh temporary directory)")
	fs.StringVar(&f.annotations, "annotations", "", "tool-annotations.json when the policy directory has none (default: the built-in tools)")
}

// config makes the engine settings: the flags', with fresh temporary
// directories for those not given when fresh is set. cleanup removes them.
func (f *envFlags) config(fresh bool) (cfg policy.Config, cleanup func(), err error) {
	cleanup = func() {}
	if fresh && (f.home == "" || f.sandbox == "") {
		env, err := compile.NewScenarioEnv()
		if err != nil {
			return cfg, cleanup, err
		}
		cfg, cleanup = env.Config(), func() { env.Close() }
	}
	if f.home != "" {
		if cfg.Home, err = filepath.Abs(f.home); err != nil {
			return cfg, cleanup, err
		}
	}
	if f.sandbox != "" {
		if cfg.Sandbox, err = filepath.Abs(f.sandbox); err != nil {
			return cfg, cleanup, err
		}
	}
	return cfg, cleanup, nil
}

func runPolicyTest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("ironcurtain policy test", "usage: ironcurtain policy test DIR [flags]   replay DIR/test-scenarios.json on DIR's policy", stderr)
	var ef envFlags
	ef.register(fs)
	verbose := fs.Bool("v", false, "show passing scenarios too")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	fail := failer(stderr, "ironcurtain policy test")
	d, err := openPolicyDir(pos[0])
	if err != nil {
		return fail("%v", err)
	}
	scens, err := d.scenarios()
	if err != nil {
		return fail("%v", err)
	}
	if scens == nil {
		return fail("%s has no %s", d.dir, compile.ScenariosFile)
	}
	cfg, cleanup, err := ef.config(true)
	defer cleanup()
	if err != nil {
		return fail("%v", err)
	}
	e, err := d.load(ef.annotations, cfg)
	if err != nil {
		return fail("%v", err)
	}
	outs, err := compile.Replay(ctx, e, scens)
	if err != nil {
		return fail("%v", err)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	failed := 0
	for _, o := range outs {
		if o.Pass && !*verbose {
			continue
		}
		status := "ok  "
		if !o.Pass {
			status = "FAIL"
			failed++
		}
		s := o.Scenario
		want := s.Expect.String()
		if s.NotAllow {
			want = "not allow"
		}
		if s.Rule != "" {
			want += " by " + s.Rule
		}
		fmt.Fprintf(w, "%s line %d: %s: want %s, got %s by %s", status, s.Line, s.Description, want, o.Decision.Verdict, o.Decision.Rule)
		if !o.Pass {
			fmt.Fprintf(w, " (%s)", o.Decision.Reason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d scenario(s): %d passed, %d failed\n", len(outs), len(outs)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func runPolicyDiff(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("ironcurtain policy diff", "usage: ironcurtain policy diff OLD NEW [--calls AUDIT.jsonl] [flags]\n"+
		"  lists the calls whose decision changes; exit 0 none, 1 some, 2 trouble", stderr)
	var ef envFlags
	ef.register(fs)
	calls := fs.String("calls", "", `an audit log (JSON Lines) whose calls to replay, "-" for stdin (default: both policies' scenarios and probe calls of every tool)`)
	rules := fs.Bool("rules", false, "also list calls decided by another rule with the same verdict")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	fail := failer(stderr, "ironcurtain policy diff")
	var dirs [2]policyDir
	for i, p := range pos {
		if dirs[i], err = openPolicyDir(p); err != nil {
			return fail("%v", err)
		}
	}
	// Recorded calls carry the machine's real paths: replay them under
	// the real home unless told otherwise. Probes and scenarios are
	// portable: replay them in fresh directories.
	recorded := *calls != ""
	if recorded && ef.home == "" {
		if ef.home, err = os.UserHomeDir(); err != nil {
			return fail("%v", err)
		}
	}
	cfg, cleanup, err := ef.config(!recorded)
	defer cleanup()
	if err != nil {
		return fail("%v", err)
	}
	var engines [2]*policy.Engine
	for i, d := range dirs {
		if engines[i], err = d.load(ef.annotations, cfg); err != nil {
			return fail("%v", err)
		}
	}
	var list []compile.Call
	if recorded {
		list, err = readAuditCalls(*calls, stdin, stderr)
		if err != nil {
			return fail("%v", err)
		}
	} else {
		for _, d := range dirs {
			scens, err := d.scenarios()
			if err != nil {
				return fail("%v", err)
			}
			for _, s := range scens {
				list = append(list, s.Call)
			}
		}
		for _, e := range engines {
			list = append(list, compile.Probes(e.Artifacts().Annotations, e.Artifacts().Policy)...)
		}
	}
	changed, total, err := diffCalls(ctx, engines, list, *rules, stdout)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stderr, "%d of %d call(s) change\n", changed, total)
	if changed > 0 {
		return 1
	}
	return 0
}

// diffCalls decides each distinct call on both engines and writes those
// whose verdict (or, with rules, rule) differs.
func diffCalls(ctx context.Context, engines [2]*policy.Engine, calls []compile.Call, rules bool, stdout io.Writer) (changed, total int, err error) {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	seen := map[string]bool{}
	for _, c := range calls {
		key, _ := json.Marshal(c)
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		total++
		var d [2]ironcurtain.Decision
		for i, e := range engines {
			if d[i], err = e.Evaluate(ctx, c.ToolCall()); err != nil {
				return changed, total, err
			}
		}
		if d[0].Verdict == d[1].Verdict && (!rules || d[0].Rule == d[1].Rule) {
			continue
		}
		changed++
		args, _ := json.Marshal(c.Arguments)
		fmt.Fprintf(w, "%s/%s %s: %s (%s) -> %s (%s)\n", c.Server, c.Tool, args, d[0].Verdict, d[0].Rule, d[1].Verdict, d[1].Rule)
	}
	return changed, total, nil
}

// auditCall is what policy diff reads of an audit entry: the call. Every
// other field — decisions, approvals, the hash chain — is ignored. This
// project's log nests the call under "call" in records of type "call"; a
// flat entry (the call's fields at the top) is read too.
type auditCall struct {
	Server    string         `json:"server"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
	Call      *struct {
		Server    string         `json:"server"`
		Tool      string         `json:"tool"`
		Arguments map[string]any `json:"arguments"`
	} `json:"call"`
}

// readAuditCalls reads the calls of an audit log, one JSON object per
// line. Lines that are not entries are skipped and counted on stderr.
func readAuditCalls(name string, stdin io.Reader, stderr io.Writer) ([]compile.Call, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	in := bufio.NewReaderSize(r, 64<<10)
	var out []compile.Call
	skipped := 0
	for {
		line, tooLong, err := readLine(in, maxRequestLine)
		if err != nil && len(line) == 0 && !tooLong {
			if !errors.Is(err, io.EOF) {
				return nil, err
			}
			break
		}
		if strings.TrimSpace(string(line)) == "" && !tooLong {
			continue
		}
		var a auditCall
		ok := !tooLong && json.Unmarshal(line, &a) == nil
		if ok && a.Call != nil && a.Server == "" {
			a.Server, a.Tool, a.Arguments = a.Call.Server, a.Call.Tool, a.Call.Arguments
		}
		if !ok || a.Server == "" || a.Tool == "" {
			skipped++
			continue
		}
		if a.Arguments == nil {
			a.Arguments = map[string]any{}
		}
		out = append(out, compile.Call{Server: a.Server, Tool: a.Tool, Arguments: a.Arguments})
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "ironcurtain policy diff: %s: skipped %d line(s) that are not audit entries\n", name, skipped)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no calls in it (%d line(s) read): is it an audit log?", name, skipped)
	}
	return out, nil
}
