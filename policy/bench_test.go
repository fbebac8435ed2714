package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// benchEngine is the default policy in a fresh world, with a 140-entry
// domain list for http_fetch and a repository with a named remote.
func benchEngine(b *testing.B) (world, *Engine) {
	w := newWorld(b, "sandbox/repo/", "sandbox/src/", "Downloads/")
	for i := 0; i < 10; i++ {
		newFile(b, w.p(fmt.Sprintf("sandbox/src/f%d.go", i)))
	}
	gitRepo(b, w.p("sandbox/repo"), "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n")
	a := DefaultArtifacts()
	var domains []string
	for i := 0; i < 70; i++ {
		domains = append(domains, fmt.Sprintf("site%d.example.com", i), fmt.Sprintf("*.site%d.example.com", i))
	}
	a.Lists.Lists["development-sites"] = ListValues{Values: domains}
	a.Policy.Rules = append([]Rule{{
		Name: "allow-write-downloads", Reason: "r", Then: ironcurtain.Allow,
		If: Condition{Roles: []Role{RoleWritePath}, Server: []string{"filesystem"}, Paths: &PathCondition{Roles: []Role{RoleWritePath}, Within: "~/Downloads"}},
	}}, a.Policy.Rules...)
	e, err := New(a, Config{Home: w.home, Sandbox: w.sandbox})
	if err != nil {
		b.Fatal(err)
	}
	return w, e
}

func newFile(b *testing.B, p string) {
	if err := writeFile(p); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	w, e := benchEngine(b)
	var ten []any
	for i := 0; i < 10; i++ {
		ten = append(ten, w.p(fmt.Sprintf("sandbox/src/f%d.go", i)))
	}
	cases := []struct {
		name string
		c    ironcurtain.ToolCall
		want string
	}{
		{"unknown-tool", call("shell", "exec", "command", "rm -rf /"), RuleUnknownTool},
		{"read-in-sandbox", call("filesystem", "read_file", "path", w.p("sandbox/src/f0.go")), RuleSandboxAllow},
		{"read-outside-escalate", call("filesystem", "read_file", "path", "/etc/hostname"), "escalate-read-outside-sandbox"},
		{"write-within-rule", call("filesystem", "write_file", "path", w.p("Downloads/new.txt"), "content", "x"), "allow-write-downloads"},
		{"read-multiple-10", call("filesystem", "read_multiple_files", "paths", ten), RuleSandboxAllow},
		{"http-fetch-140-list", call("fetch", "http_fetch", "url", "https://docs.site69.example.com/page"), "allow-fetch-development-sites"},
		{"git-push-named-remote", call("git", "git_push", "path", w.p("sandbox/repo"), "remote", "origin"), "escalate-git-push"},
		{"web-search", call("fetch", "web_search", "query", "go generics"), "allow-web-search"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		d, err := e.Evaluate(ctx, tc.c)
		if err != nil || d.Rule != tc.want {
			b.Fatalf("%s: got %s (%s), want %s", tc.name, d.Rule, d.Reason, tc.want)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, tc.c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoadDefault(b *testing.B) {
	home := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(Config{Home: home, Sandbox: filepath.Join(home, "sb")}); err != nil {
			b.Fatal(err)
		}
	}
}
