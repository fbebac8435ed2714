package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

// propWorld is a generated home directory: a sandbox, a protected .ssh,
// Documents, and random directories, files and symlinks between them.
type propWorld struct {
	home, sandbox, ssh string
}

var propNames = []string{"sandbox", ".ssh", "Documents", "a", "b", "l1", "l2", "..", "."}

func genPropWorld(t *rapid.T) propWorld {
	home, err := os.MkdirTemp("", "policy-prop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(home) })
	home, _ = filepath.EvalSymlinks(home)
	w := propWorld{home: home, sandbox: filepath.Join(home, "sandbox"), ssh: filepath.Join(home, ".ssh")}
	for _, d := range []string{"sandbox", ".ssh", "Documents"} {
		_ = os.MkdirAll(filepath.Join(home, d), 0o755)
	}
	_ = os.WriteFile(filepath.Join(w.ssh, "id_rsa"), []byte("key"), 0o600)
	n := rapid.IntRange(0, 10).Draw(t, "entries")
	for i := 0; i < n; i++ {
		dir := filepath.Join(home, rapid.SampledFrom([]string{"sandbox", "Documents", ".ssh", "sandbox/a", "."}).Draw(t, "dir"))
		p := filepath.Join(dir, rapid.SampledFrom([]string{"a", "b", "l1", "l2"}).Draw(t, "name"))
		testtree.Make(t, home, p, propNames)
	}
	return w
}

func (w propWorld) genPath(t *rapid.T) string {
	parts := rapid.SliceOfN(rapid.SampledFrom(append(propNames, "new", "id_rsa", ".SSH")), 1, 6).Draw(t, "path")
	p := strings.Join(parts, "/")
	switch rapid.IntRange(0, 2).Draw(t, "form") {
	case 0:
		return p // relative: against the sandbox
	case 1:
		return "~/" + p
	}
	return w.home + "/" + p
}

// kernelTarget returns where the kernel lands for p (relative to the
// sandbox), creating the file if needed; ok is false if it cannot, or if the
// resolver places p outside the generated home: creating it there would
// write into the machine's own directories.
func (w propWorld) kernelTarget(p string) (string, bool) {
	if strings.HasPrefix(p, "~/") {
		p = w.home + p[1:]
	} else if !strings.HasPrefix(p, "/") {
		p = w.sandbox + "/" + p
	}
	if r, _, err := realpath.Resolve(p, nil); err != nil || r == w.home || !realpath.Within(r, w.home) {
		return "", false
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", false
	}
	_ = f.Close()
	r, err := filepath.EvalSymlinks(p)
	return r, err == nil
}

// rulePool are rules of every kind, the most permissive included.
var rulePool = []string{
	`{"name":"allow-everything","if":{},"then":"allow","reason":"r"}`,
	`{"name":"allow-fs","if":{"server":["filesystem"]},"then":"allow","reason":"r"}`,
	`{"name":"allow-root","if":{"paths":{"roles":["read-path","write-path","delete-path"],"within":"/"}},"then":"allow","reason":"r"}`,
	`{"name":"allow-home-read","if":{"roles":["read-path"],"paths":{"roles":["read-path"],"within":"~"}},"then":"allow","reason":"r"}`,
	`{"name":"allow-ssh","if":{"paths":{"roles":["read-path","write-path"],"within":"~/.ssh"}},"then":"allow","reason":"r"}`,
	`{"name":"escalate-writes","if":{"roles":["write-path"]},"then":"escalate","reason":"r"}`,
	`{"name":"deny-docs","if":{"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"deny","reason":"r"}`,
	`{"name":"escalate-all","if":{},"then":"escalate","reason":"r"}`,
}

const propAnnotations = `{"servers":{"filesystem":{"tools":[
 {"toolName":"read_file","args":{"path":["read-path"]}},
 {"toolName":"write_file","args":{"path":["write-path"],"content":["none"]}},
 {"toolName":"move_file","args":{"source":["read-path","delete-path"],"destination":["write-path"]}}]}}}`

func genRules(t *rapid.T) []string {
	return rapid.SliceOfNDistinct(rapid.SampledFrom(rulePool), 0, len(rulePool), rapid.ID[string]).Draw(t, "rules")
}

func propEngine(t *rapid.T, w propWorld, rules []string) *Engine {
	a, err := ReadArtifacts([]byte(`{"rules":[`+strings.Join(rules, ",")+`]}`), []byte(propAnnotations), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a, Config{Home: w.home, Sandbox: w.sandbox, OmitDefaultProtected: true, Protected: []string{"~/.ssh"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func genCall(t *rapid.T, w propWorld) (ironcurtain.ToolCall, []string) {
	switch rapid.IntRange(0, 2).Draw(t, "tool") {
	case 0:
		p := w.genPath(t)
		return ironcurtain.ToolCall{Server: "filesystem", Tool: "read_file", Arguments: map[string]any{"path": p}}, []string{p}
	case 1:
		p := w.genPath(t)
		return ironcurtain.ToolCall{Server: "filesystem", Tool: "write_file", Arguments: map[string]any{"path": p, "content": "x"}}, []string{p}
	}
	s, d := w.genPath(t), w.genPath(t)
	return ironcurtain.ToolCall{Server: "filesystem", Tool: "move_file", Arguments: map[string]any{"source": s, "destination": d}}, []string{s, d}
}

// judgeDrawnCall draws a call in w and judges it under rules, failing on an
// evaluation error; it returns the decision and the call's paths.
func judgeDrawnCall(t *rapid.T, w propWorld, rules []string) (ironcurtain.Decision, []string) {
	e := propEngine(t, w, rules)
	c, paths := genCall(t, w)
	d, err := e.Evaluate(context.Background(), c)
	require.NoError(t, err)
	return d, paths
}

// TestPropertyProtectedNeverAllowed: whatever the rules — allow-everything
// included — a call whose path the kernel would resolve into the protected
// directory is never allowed.
func TestPropertyProtectedNeverAllowed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genPropWorld(t)
		d, paths := judgeDrawnCall(t, w, genRules(t))
		for _, p := range paths {
			target, ok := w.kernelTarget(p)
			if ok && realpath.Within(target, w.ssh) {
				require.NotEqual(t, ironcurtain.Allow, d.Verdict, "%s lands in %s but was allowed by %s", p, target, d.Rule)
			}
		}
	})
}

// TestPropertySandboxAllowIsInTheSandbox: a structural sandbox allow is
// only ever given for paths the kernel resolves inside the sandbox.
func TestPropertySandboxAllowIsInTheSandbox(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genPropWorld(t)
		d, paths := judgeDrawnCall(t, w, nil)
		if d.Verdict != ironcurtain.Allow {
			return
		}
		require.Equal(t, RuleSandboxAllow, d.Rule, "with no rules only the sandbox can allow")
		for _, p := range paths {
			if target, ok := w.kernelTarget(p); ok {
				require.True(t, realpath.Within(target, w.sandbox), "%s lands at %s, outside the sandbox", p, target)
			}
		}
	})
}

// TestPropertyUnknownToolsDenied: a tool no annotation describes is denied,
// whatever the rules say.
func TestPropertyUnknownToolsDenied(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := propWorld{home: "/nonexistent-home", sandbox: "/nonexistent-home/sandbox"}
		e := propEngine(t, w, genRules(t))
		server := rapid.SampledFrom([]string{"filesystem", "git", "shell", ""}).Draw(t, "server")
		tool := rapid.StringMatching(`[a-z_]{0,12}`).Draw(t, "tool")
		if server == "filesystem" && (tool == "read_file" || tool == "write_file" || tool == "move_file") {
			return
		}
		d, err := e.Evaluate(context.Background(), ironcurtain.ToolCall{Server: server, Tool: tool, Arguments: map[string]any{"path": "/x"}})
		require.NoError(t, err)
		require.Equal(t, ironcurtain.Deny, d.Verdict)
		require.Equal(t, RuleUnknownTool, d.Rule)
	})
}

// TestPropertyCanonicalIdempotent: canonicalising canonical arguments
// changes nothing, and judging them gives the same decision — except that a
// path which merely passes through a protected directory ("~/.ssh/..") is
// denied as written but not in its canonical form, which no longer passes
// through it. The written form is never judged more leniently.
func TestPropertyCanonicalIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genPropWorld(t)
		e := propEngine(t, w, genRules(t))
		c, _ := genCall(t, w)
		d1, _ := e.Evaluate(context.Background(), c)
		if d1.Arguments == nil || d1.Rule == RuleUnresolvablePath {
			return
		}
		c2 := c
		c2.Arguments = d1.Arguments
		d2, _ := e.Evaluate(context.Background(), c2)
		if d2.Arguments != nil {
			require.Equal(t, d1.Arguments, d2.Arguments)
		}
		if d1.Rule == RuleProtectedPath {
			return
		}
		require.Equal(t, d1.Verdict, d2.Verdict)
		require.Equal(t, d1.Rule, d2.Rule)
	})
}

// TestPropertyAppendingRulesKeepsDecisions: a rule appended at the end never
// changes a decision an earlier rule (or a structural check) made; it can
// only decide what fell through to the default deny.
func TestPropertyAppendingRulesKeepsDecisions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genPropWorld(t)
		rules := genRules(t)
		extra := rapid.SampledFrom(rulePool).Draw(t, "extra")
		for _, r := range rules {
			if r == extra {
				return
			}
		}
		before := propEngine(t, w, rules)
		after := propEngine(t, w, append(append([]string(nil), rules...), extra))
		c, _ := genCall(t, w)
		d1, _ := before.Evaluate(context.Background(), c)
		if d1.Rule == RuleDefaultDeny {
			return
		}
		d2, _ := after.Evaluate(context.Background(), c)
		require.Equal(t, d1.Verdict, d2.Verdict)
		require.Equal(t, d1.Rule, d2.Rule)
	})
}

// TestDecisionsIndependentOfInterleaving evaluates the same calls serially
// and from many goroutines at once; every decision must be the same.
func TestDecisionsIndependentOfInterleaving(t *testing.T) {
	w := newWorld(t, "sandbox/repo/", "sandbox/link -> $HOME/.ssh", "Downloads/x")
	gitRepo(t, w.p("sandbox/repo"), "[remote \"origin\"]\n\turl = https://github.com/alice/project\n")
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	var calls []ironcurtain.ToolCall
	for i := 0; i < 50; i++ {
		calls = append(calls,
			call("filesystem", "read_file", "path", fmt.Sprintf("f%d.txt", i)),
			call("filesystem", "read_file", "path", "link/id_rsa"),
			call("filesystem", "read_multiple_files", "paths", []any{"a", "~/Downloads/x", "/etc/hosts"}),
			call("git", "git_push", "path", w.p("sandbox/repo"), "remote", "origin"),
			call("fetch", "http_fetch", "url", fmt.Sprintf("https://h%d.example.com/", i)),
			call("github", "get_repo", "owner", "Alice", "repo", "project"),
		)
	}
	want := make([]ironcurtain.Decision, len(calls))
	for i, c := range calls {
		want[i] = decide(t, e, c)
	}
	got := make([]ironcurtain.Decision, len(calls))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(calls); i += 8 {
				j := len(calls) - 1 - i // a different order from the serial run
				d, err := e.Evaluate(context.Background(), calls[j])
				if err != nil {
					panic(err)
				}
				got[j] = d
			}
		}(g)
	}
	wg.Wait()
	for i := range calls {
		require.Equal(t, want[i].Verdict, got[i].Verdict)
		require.Equal(t, want[i].Rule, got[i].Rule)
		require.Equal(t, want[i].Reason, got[i].Reason)
		require.Equal(t, want[i].Arguments, got[i].Arguments)
	}
}

func TestEvaluateHonoursContext(t *testing.T) {
	w := newWorld(t)
	e := w.defaultEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Evaluate(ctx, call("filesystem", "read_file", "path", "x"))
	require.ErrorIs(t, err, context.Canceled)
}
