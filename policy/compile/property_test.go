package compile

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// A generator of constitutions in the controlled subset, over a few
// directories, domains and a list, so that sentences overlap often.
var (
	propModals = []string{"may", "must ask before", "may never"}
	propDirs   = []string{"~", "~/Documents", "~/Documents/Taxes", "~/Work", "~/Work/Shared", "/nonexistent-ic/srv", "/nonexistent-ic/srv/data"}
	propHosts  = []string{"github.com", "gitlab.com", "*.github.com", "github.com/o/r", "python.org", "@docs", "any public remote", "any remote"}
	propLists  = &policy.Lists{Lists: map[string]policy.ListValues{"docs": {Values: []string{"go.dev", "*.python.org", "github.com"}}}}
)

func genSentence(t *rapid.T, n int) string {
	modal := rapid.SampledFrom(propModals).Draw(t, "modal")
	gerund := modal == "must ask before"
	form := func(v *verb) string {
		if gerund {
			return v.gerund
		}
		return v.base
	}
	pick := func(kind kind, label string) []string {
		var pool []*verb
		for i := range verbs {
			if applies(&verbs[i], kind) {
				pool = append(pool, &verbs[i])
			}
		}
		k := rapid.IntRange(1, 3).Draw(t, label+"-count")
		var out []string
		for i := 0; i < k; i++ {
			out = append(out, form(rapid.SampledFrom(pool).Draw(t, label)))
		}
		return out
	}
	join := func(xs []string) string {
		if len(xs) == 1 {
			return xs[0]
		}
		return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
	}
	var body string
	switch rapid.IntRange(0, 4).Draw(t, "kind") {
	case 0, 1:
		obj := rapid.SampledFrom([]string{"files", "repositories", "files and repositories"}).Draw(t, "object")
		kinds := []kind{kindFiles}
		if obj != "files" {
			kinds = append(kinds, kindRepos)
		}
		var vs []string
		for {
			vs = pick(kindFiles, "verb")
			ok := true
			for _, k := range kinds {
				for _, v := range vs {
					ok = ok && applies(verbIndex[v], k)
				}
			}
			if ok {
				break
			}
		}
		place := rapid.SampledFrom(append([]string{"", "outside the sandbox", "anywhere"}, propDirs...)).Draw(t, "place")
		body = join(vs) + " " + obj
		if strings.HasPrefix(place, "~") || strings.HasPrefix(place, "/") {
			body += " in " + place
		} else if place != "" {
			body += " " + place
		}
	case 2:
		host := rapid.SampledFrom(propHosts).Draw(t, "remote")
		verbsOf := pick(kindRemotes, "remote-verb")
		body = join(verbsOf) + " repositories from " + host
		if strings.HasPrefix(host, "any") {
			body = join(verbsOf) + " from " + host
		}
	case 3:
		host := rapid.SampledFrom([]string{"go.dev", "python.org", "*.python.org", "@docs"}).Draw(t, "site")
		body = form(verbIndex["fetch"]) + " web pages from " + host
		if rapid.Bool().Draw(t, "any-page") {
			body = form(verbIndex["fetch"]) + " any other public web page"
		}
	default:
		body = rapid.SampledFrom([]string{form(verbIndex["search"]) + " the web", idioms[1].base, idioms[0].base}).Draw(t, "other")
		if gerund {
			for _, id := range idioms {
				body = strings.Replace(body, id.base, id.gerund, 1)
			}
		}
	}
	return fmt.Sprintf("- The agent %s %s. {#r%d}\n", modal, body, n)
}

// TestCompileProperties: for random constitutions of the subset,
//   - the compilation succeeds, or fails only because rules cannot be
//     ordered, or a sentence makes several rules under one {#name};
//   - every compiled rule loads into the engine and every scenario passes
//     (Compile replays them; a failure would be a CompileError);
//   - compiling again gives byte-identical artifacts;
//   - on random calls, the engine decides as the scenarios' model of the
//     ordered rules does, so scenario expectations can be trusted.
func TestCompileProperties(t *testing.T) {
	ann := policy.DefaultAnnotations()
	ix := indexAnnotations(ann)
	env, err := NewScenarioEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		count := rapid.IntRange(1, 6).Draw(t, "sentences")
		for i := 0; i < count; i++ {
			b.WriteString(genSentence(t, i))
		}
		src := []byte(b.String())
		opts := Options{Annotations: ann, Lists: propLists}
		res, err := Compile(context.Background(), src, opts)
		if err != nil {
			ce, ok := err.(*CompileError)
			if !ok || len(ce.Servers) > 0 {
				t.Fatalf("%s\n%v", src, err)
			}
			for _, d := range ce.Diagnostics {
				if !strings.Contains(d.Message, "cannot be ordered") && !strings.Contains(d.Message, "names one rule") {
					t.Fatalf("%s\n%v", src, d)
				}
			}
			return
		}
		again, err := Compile(context.Background(), src, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, pair := range [][2]any{{res.Policy, again.Policy}, {res.Lists, again.Lists}, {res.Scenarios, again.Scenarios}} {
			x, _ := Encode(pair[0])
			y, _ := Encode(pair[1])
			if string(x) != string(y) {
				t.Fatalf("artifact %d differs between two compilations of\n%s", i, src)
			}
		}
		eng, err := policy.New(policy.Artifacts{Policy: res.Policy, Annotations: ann, Lists: res.Lists}, env.Config())
		if err != nil {
			t.Fatalf("the compiled rules do not load: %v\n%s", err, src)
		}
		var es []entry
		for _, r := range res.Policy.Rules {
			es = append(es, entry{rule: r})
		}
		lists := map[string][]string{}
		for name, v := range propLists.Lists {
			lists[name] = v.Effective()
		}
		m := &meaning{ix: ix, rules: es, lists: lists}
		for i := 0; i < 20; i++ {
			call := genCall(t, ix)
			want := m.decide(call)
			d, err := eng.Evaluate(context.Background(), call.ToolCall())
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != want.verdict || d.Rule != want.rule {
				t.Fatalf("%s %v: the engine says %s by %s, the model %s by %s\n%s", call.Tool, call.Arguments, d.Verdict, d.Rule, want.verdict, want.rule, src)
			}
		}
	})
}

var (
	propPaths = []string{"~/Documents/a.txt", "~/Documents/Taxes/b.txt", "~/Documents-other/c", "~/Work/x", "~/Work/Shared/y",
		"/nonexistent-ic/srv/z", "/nonexistent-ic/srv/data/q", "/nonexistent-ic/opt/q", "rel.txt", "~/.ssh/id_rsa", "~/notes"}
	propPages   = []string{"https://go.dev/doc", "https://www.python.org/", "https://docs.python.org/3/", "https://example.com/", "http://10.0.0.1/", "http://localhost:8080/"}
	propRemotes = []string{"https://github.com/o/r.git", "https://github.com/x/y.git", "git@gitlab.com:o/r.git", "https://codeberg.org/o/r.git", "https://api.github.com/o/r", "https://192.0.2.1/o/r.git"}
)

// genCall draws a call of a built-in tool with every resource argument
// given a value, and mode arguments drawn from the values the annotations
// distinguish.
func genCall(t *rapid.T, ix *annIndex) Call {
	server := rapid.SampledFrom([]string{serverFilesystem, serverGit, serverFetch}).Draw(t, "server")
	tool := rapid.SampledFrom(ix.tools[server]).Draw(t, "tool")
	args := map[string]any{}
	vs := variants(tool)
	for k, v := range rapid.SampledFrom(vs).Draw(t, "variant") {
		args[k] = v
	}
	for _, a := range tool.resolve(args) {
		for _, r := range a.roles {
			switch category(r) {
			case policy.CategoryPath:
				args[a.name] = rapid.SampledFrom(propPaths).Draw(t, a.name)
			case policy.CategoryURL:
				pool := propPages
				if r == policy.RoleGitRemoteURL {
					pool = propRemotes
				}
				args[a.name] = rapid.SampledFrom(pool).Draw(t, a.name)
			default:
				continue
			}
			break
		}
	}
	return Call{Server: server, Tool: tool.name, Arguments: args}
}

// TestMeaningSandboxPerValueForGit: a git call with one path in the sandbox
// and one under a denied place is decided per value, as the engine does for
// both sandbox servers (found by TestCompileProperties).
func TestMeaningSandboxPerValueForGit(t *testing.T) {
	ann := policy.DefaultAnnotations()
	src := []byte("- The agent may never read repositories in ~. {#r0}\n")
	res, err := Compile(context.Background(), src, Options{Annotations: ann, Lists: propLists})
	if err != nil {
		t.Fatal(err)
	}
	env, err := NewScenarioEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	eng, err := policy.New(policy.Artifacts{Policy: res.Policy, Annotations: ann, Lists: res.Lists}, env.Config())
	if err != nil {
		t.Fatal(err)
	}
	var es []entry
	for _, r := range res.Policy.Rules {
		es = append(es, entry{rule: r})
	}
	m := &meaning{ix: indexAnnotations(ann), rules: es}
	call := Call{Server: serverGit, Tool: "git_worktree", Arguments: map[string]any{"mode": "remove", "path": "rel.txt", "worktreePath": "~/Documents/a.txt"}}
	d, err := eng.Evaluate(context.Background(), call.ToolCall())
	if err != nil {
		t.Fatal(err)
	}
	want := m.decide(call)
	if d.Verdict != want.verdict || d.Rule != want.rule || d.Rule != "r0" {
		t.Fatalf("engine %s by %s, model %s by %s; want deny by r0 from both", d.Verdict, d.Rule, want.verdict, want.rule)
	}
}
