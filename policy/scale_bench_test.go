package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// The scaling benchmarks: what a decision and a load cost as a policy
// grows in rules, in domain-list entries, and as a call grows in paths.
// Read them as tables: nothing may grow faster than linearly, and a
// domain lookup not at all.
//
//	go test -run '^$' -bench 'Scale' -benchmem ./policy

var scaleSizes = []int{10, 100, 1000, 10000}

// withRules is the default policy with n write rules ahead of it that the
// benchmark's call satisfies the role of but not the place: each is
// checked, none matches, and the call falls through to the default rules.
func withRules(w world, n int) Artifacts {
	a := DefaultArtifacts()
	extra := make([]Rule, n)
	for i := range extra {
		extra[i] = Rule{
			Name: fmt.Sprintf("allow-write-area-%d", i), Reason: "r", Then: ironcurtain.Allow,
			If: Condition{Roles: []Role{RoleWritePath}, Server: []string{"filesystem"},
				Paths: &PathCondition{Roles: []Role{RoleWritePath}, Within: w.p(fmt.Sprintf("areas/a%d", i))}},
		}
	}
	a.Policy.Rules = append(extra, a.Policy.Rules...)
	return a
}

// withDomains is the default policy whose development-sites list holds n
// entries, half exact names and half wildcards.
func withDomains(n int) Artifacts {
	a := DefaultArtifacts()
	domains := make([]string, 0, n)
	for i := range n {
		if i%2 == 0 {
			domains = append(domains, fmt.Sprintf("site%d.example.com", i))
		} else {
			domains = append(domains, fmt.Sprintf("*.site%d.example.org", i))
		}
	}
	a.Lists.Lists = maps1(a.Lists.Lists)
	a.Lists.Lists["development-sites"] = ListValues{Values: domains}
	return a
}

// maps1 copies a map of lists, so that the default artifacts are never
// changed in place.
func maps1(m map[string]ListValues) map[string]ListValues {
	out := make(map[string]ListValues, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustEngine(b *testing.B, a Artifacts, w world) *Engine {
	b.Helper()
	e, err := New(a, Config{Home: w.home, Sandbox: w.sandbox})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func benchDecide(b *testing.B, e *Engine, c ironcurtain.ToolCall, rule string) {
	b.Helper()
	ctx := context.Background()
	d, err := e.Evaluate(ctx, c)
	if err != nil || d.Rule != rule {
		b.Fatalf("got %s (%s, %v), want %s", d.Rule, d.Reason, err, rule)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaleRules: a write outside the sandbox checked against n
// rules that do not match it, then decided by the default policy.
func BenchmarkScaleRules(b *testing.B) {
	w := newWorld(b)
	c := call("filesystem", "write_file", "path", w.p("Documents/new.txt"), "content", "x")
	for _, n := range scaleSizes {
		e := mustEngine(b, withRules(w, n), w)
		b.Run(fmt.Sprintf("decide/rules=%d", n), func(b *testing.B) {
			benchDecide(b, e, c, "escalate-write-outside-sandbox")
		})
	}
	benchLoad(b, w, "rules", scaleSizes, func(n int) Artifacts { return withRules(w, n) })
}

// benchLoad measures building an engine from the artifacts build(n)
// returns, for each n of sizes, as sub-benchmarks "load/<unit>=<n>".
func benchLoad(b *testing.B, w world, unit string, sizes []int, build func(int) Artifacts) {
	for _, n := range sizes {
		a := build(n)
		b.Run(fmt.Sprintf("load/%s=%d", unit, n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mustEngine(b, a, w)
			}
		})
	}
}

// BenchmarkScaleDomains: an http_fetch of a host near the end of a
// development-sites list of n entries, of a host under a wildcard, and of
// a host in no entry at all; and loading such a list.
func BenchmarkScaleDomains(b *testing.B) {
	w := newWorld(b)
	sizes := []int{10, 1000, 100000}
	for _, n := range sizes {
		e := mustEngine(b, withDomains(n), w)
		exact := call("fetch", "http_fetch", "url", fmt.Sprintf("https://site%d.example.com/page", (n-2)/2*2))
		wild := call("fetch", "http_fetch", "url", fmt.Sprintf("https://docs.site%d.example.org/page", n-1))
		miss := call("fetch", "http_fetch", "url", "https://nowhere.example.net/page")
		b.Run(fmt.Sprintf("decide-exact/entries=%d", n), func(b *testing.B) { benchDecide(b, e, exact, "allow-fetch-development-sites") })
		b.Run(fmt.Sprintf("decide-wildcard/entries=%d", n), func(b *testing.B) { benchDecide(b, e, wild, "allow-fetch-development-sites") })
		b.Run(fmt.Sprintf("decide-miss/entries=%d", n), func(b *testing.B) { benchDecide(b, e, miss, "escalate-fetch-public-pages") })
	}
	benchLoad(b, w, "entries", sizes, withDomains)
}

// BenchmarkScalePaths: read_multiple_files of n files in the sandbox.
func BenchmarkScalePaths(b *testing.B) {
	w := newWorld(b)
	var paths []any
	for i := range 1000 {
		p := w.p(fmt.Sprintf("sandbox/many/f%d.txt", i))
		newFile(b, p)
		paths = append(paths, p)
	}
	e := mustEngine(b, DefaultArtifacts(), w)
	for _, n := range []int{1, 10, 100, 1000} {
		c := call("filesystem", "read_multiple_files", "paths", slices.Clone(paths[:n]))
		b.Run(fmt.Sprintf("decide/paths=%d", n), func(b *testing.B) { benchDecide(b, e, c, RuleSandboxAllow) })
	}
}
