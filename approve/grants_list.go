package approve

import (
	"slices"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// GrantInfo is a live grant as a front end shows it. Server, Tool, the
// scopes' values, Description and By are escaped as [Present] escapes, since
// the values come from calls an agent made.
type GrantInfo struct {
	ID          string              `json:"id"`
	Server      string              `json:"server"`
	Tool        string              `json:"tool"`
	Scopes      []ironcurtain.Scope `json:"scopes"`
	Description string              `json:"description"`
	By          string              `json:"by"`
	Created     time.Time           `json:"created"`
	Expires     time.Time           `json:"expires"`
}

// List returns the grants that have not expired, oldest first, escaped for
// a person to read.
func (g *Grants) List() []GrantInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	out := []GrantInfo{}
	for _, r := range g.grants {
		if !now.Before(r.Expires) {
			continue
		}
		scopes := slices.Clone(r.Scopes)
		for i := range scopes {
			scopes[i] = ironcurtain.Scope{Role: escape(scopes[i].Role), Kind: ironcurtain.ScopeKind(escape(string(scopes[i].Kind))), Value: escape(scopes[i].Value)}
		}
		out = append(out, GrantInfo{
			ID: escape(r.ID), Server: escape(r.Server), Tool: escape(r.Tool), Scopes: scopes,
			Description: escape(describe(ironcurtain.Grant{Scopes: r.Scopes})),
			By:          escape(r.By), Created: r.Created, Expires: r.Expires,
		})
	}
	return out
}

// Watch asks that f be called, on a goroutine of its own, after each change
// to the grants (one kept, one revoked). f must not block for long.
func (g *Grants) Watch(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.watchers = append(g.watchers, f)
}

// changed tells the watchers; g.mu is held.
func (g *Grants) changed() {
	ws := slices.Clone(g.watchers)
	if len(ws) == 0 {
		return
	}
	go func() {
		for _, w := range ws {
			w()
		}
	}()
}
