package approve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/fakeclock"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

func newClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
}

var dirW = ironcurtain.Scope{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/w"}

func TestGrantsLifecycle(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	g, err := NewGrants(GrantsOptions{Now: clk.Now})
	require.NoError(t, err)
	esc := escalation(pathRes("write-path", "/w/a.txt"))

	a, err := g.Approve(ctx, esc)
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Abstain, a.Answer, "no grant yet")

	kept, err := g.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: time.Hour}, "terminal")
	require.NoError(t, err)
	require.NotEmpty(t, kept.ID)

	later := escalation(pathRes("write-path", "/w/sub/b.txt"))
	later.Call.ID = "c2"
	a, err = g.Approve(ctx, later)
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Equal(t, "grant:"+kept.ID, a.By)

	for name, other := range map[string]ironcurtain.Escalation{
		"outside":     escalation(pathRes("write-path", "/x/b.txt")),
		"other tool":  func() ironcurtain.Escalation { e := later; e.Call.Tool = "delete_file"; return e }(),
		"other serve": func() ironcurtain.Escalation { e := later; e.Call.Server = "git"; return e }(),
		"a denial":    func() ironcurtain.Escalation { e := later; e.Decision.Verdict = ironcurtain.Deny; return e }(),
	} {
		a, err := g.Approve(ctx, other)
		require.NoError(t, err)
		require.Equal(t, ironcurtain.Abstain, a.Answer, name)
	}

	clk.Advance(time.Hour)
	a, err = g.Approve(ctx, later)
	require.NoError(t, err)
	require.Equal(t, ironcurtain.Abstain, a.Answer, "expired")
	require.Empty(t, g.Live())
}

func TestGrantsAddRefusesUnsoundGrants(t *testing.T) {
	g, err := NewGrants(GrantsOptions{})
	require.NoError(t, err)
	esc := escalation(pathRes("write-path", "/w/a.txt"))
	for name, gr := range map[string]ironcurtain.Grant{
		"no scopes":         {TTL: time.Hour},
		"no ttl":            {Scopes: []ironcurtain.Scope{dirW}},
		"root":              {Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/"}}, TTL: time.Hour},
		"relative":          {Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "w"}}, TTL: time.Hour},
		"unclean":           {Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/x/../w"}}, TTL: time.Hour},
		"elsewhere":         {Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: ironcurtain.ScopeDirectory, Value: "/x"}}, TTL: time.Hour},
		"wildcard domain":   {Scopes: []ironcurtain.Scope{{Role: "fetch-url", Kind: ironcurtain.ScopeDomain, Value: "*.com"}}, TTL: time.Hour},
		"unknown kind":      {Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: "anything", Value: "/w"}}, TTL: time.Hour},
		"other role":        {Scopes: []ironcurtain.Scope{{Role: "read-path", Kind: ironcurtain.ScopeDirectory, Value: "/w"}}, TTL: time.Hour},
		"bad arguments sum": {Scopes: []ironcurtain.Scope{{Kind: ironcurtain.ScopeArguments, Value: "abc"}}, TTL: time.Hour},
	} {
		_, err := g.add(esc, gr, "terminal")
		require.Error(t, err, name)
	}
	deny := esc
	deny.Decision.Verdict = ironcurtain.Deny
	_, err = g.add(deny, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: time.Hour}, "terminal")
	require.Error(t, err)
	require.Empty(t, g.Live())

	capped, err := NewGrants(GrantsOptions{MaxTTL: time.Minute})
	require.NoError(t, err)
	kept, err := capped.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: 100 * time.Hour}, "terminal")
	require.NoError(t, err)
	require.Equal(t, time.Minute, kept.TTL)
}

func TestGrantsPersist(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "grants.json")
	g, err := NewGrants(GrantsOptions{Path: path, Now: clk.Now})
	require.NoError(t, err)
	esc := escalation(pathRes("write-path", "/w/a.txt"))
	short, err := g.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: time.Minute}, "terminal")
	require.NoError(t, err)
	long, err := g.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: time.Hour}, "terminal")
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// After a restart, an hour... a minute later: the short grant is gone.
	clk.Advance(2 * time.Minute)
	g2, err := NewGrants(GrantsOptions{Path: path, Now: clk.Now})
	require.NoError(t, err)
	live := g2.Live()
	require.Len(t, live, 1)
	require.Equal(t, long.ID, live[0].ID)
	a, err := g2.Approve(ctx, esc)
	require.NoError(t, err)
	require.Equal(t, "grant:"+long.ID, a.By)

	ok, err := g2.Revoke(long.ID)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = g2.Revoke(short.ID)
	require.NoError(t, err)
	require.False(t, ok)
	g3, err := NewGrants(GrantsOptions{Path: path, Now: clk.Now})
	require.NoError(t, err)
	require.Empty(t, g3.Live(), "a revoked grant stays revoked after a restart")
}

func TestGrantsFileMustBeSound(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		return testtree.WriteMode(t, dir, name, content, mode)
	}
	valid := `{"version":1,"grants":[{"id":"x","server":"fs","tool":"write_file","scopes":[{"role":"write-path","kind":"directory","value":"/w"}],"created":"2026-01-01T00:00:00Z","expires":"2099-01-01T00:00:00Z","by":"terminal","call":"c"}]}`
	_, err := NewGrants(GrantsOptions{Path: write("ok.json", valid, 0o600)})
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		"world readable": {valid, 0o644},
		"group writable": {valid, 0o620},
		"truncated":      {valid[:50], 0o600},
		"empty":          {"", 0o600},
		"wrong version":  {strings.Replace(valid, `"version":1`, `"version":2`, 1), 0o600},
		"unknown field":  {strings.Replace(valid, `"by"`, `"widen":true,"by"`, 1), 0o600},
		"root scope":     {strings.Replace(valid, `"value":"/w"`, `"value":"/"`, 1), 0o600},
		"no scopes":      {strings.Replace(valid, `[{"role":"write-path","kind":"directory","value":"/w"}]`, `[]`, 1), 0o600},
		"trailing data":  {valid + `{}`, 0o600},
	} {
		_, err := NewGrants(GrantsOptions{Path: write(strings.ReplaceAll(name, " ", "-")+".json", tc.content, tc.mode)})
		require.Error(t, err, name)
	}
}

// FuzzGrantsFile loads arbitrary grants files: loading never panics, and a
// file that loads holds only sound grants (no empty scope list, no root
// directory, no wildcard host, no unknown kind).
func FuzzGrantsFile(f *testing.F) {
	f.Add(`{"version":1,"grants":[{"id":"x","server":"fs","tool":"t","scopes":[{"role":"r","kind":"directory","value":"/w"}],"created":"2026-01-01T00:00:00Z","expires":"2099-01-01T00:00:00Z","by":"b","call":"c"}]}`)
	f.Add(`{"version":1,"grants":[]}`)
	f.Add(`{"version":1,"grants":[{"id":"x","server":"fs","tool":"t","scopes":[{"kind":"arguments","value":"` + strings.Repeat("a", 64) + `"}],"expires":"2099-01-01T00:00:00Z"}]}`)
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(t.TempDir(), "grants.json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		g, err := NewGrants(GrantsOptions{Path: p})
		if err != nil {
			return
		}
		for _, gr := range g.Live() {
			if err := checkGrant(gr.Scopes); err != nil {
				t.Fatalf("loaded an unsound grant: %v", err)
			}
		}
	})
}
