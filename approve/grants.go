package approve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// DefaultMaxTTL caps how long a grant lasts unless GrantsOptions says
// otherwise.
const DefaultMaxTTL = 24 * time.Hour

// GrantsOptions configures a [Grants] store. The zero value keeps grants in
// memory, for at most DefaultMaxTTL each.
type GrantsOptions struct {
	// Path, when set, keeps the grants in this JSON file across restarts.
	// It is written atomically with mode 0600; a file readable or writable
	// by others, or one that does not parse, is an error, never an empty
	// store.
	Path string
	// MaxTTL caps each grant's lifetime. Zero means DefaultMaxTTL.
	MaxTTL time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Grants keeps the standing approvals people chose, and answers escalations
// they cover. It is an [ironcurtain.Approver] that approves a covered call
// ("grant:<id>") and abstains otherwise; it never rejects and never answers
// a decision that is not an escalation.
//
// A grant enters only through a human approval passed through a [Chain] (or
// from the file it keeps). Nothing the agent sends can create or widen one:
// a grant covers one server and tool, and only calls whose canonical
// resources — as the policy reported them — fall within every one of its
// scopes, until it expires.
//
// Grants is safe for concurrent use.
type Grants struct {
	path   string
	maxTTL time.Duration
	now    func() time.Time

	mu     sync.Mutex
	grants []grantRecord
	// watchers are told, after the lock is released, that the grants
	// changed (see Watch).
	watchers []func()

	// createTemp makes the temporary file save writes; tests replace it to
	// inject failures.
	createTemp func(dir, pattern string) (tempFile, error)
}

// tempFile is what save needs of the temporary file it writes.
type tempFile interface {
	Name() string
	Chmod(os.FileMode) error
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

func osCreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// grantRecord is a grant as kept.
type grantRecord struct {
	ID      string              `json:"id"`
	Server  string              `json:"server"`
	Tool    string              `json:"tool"`
	Scopes  []ironcurtain.Scope `json:"scopes"`
	Created time.Time           `json:"created"`
	Expires time.Time           `json:"expires"`
	// By is who granted it; Call the call whose approval made it.
	By   string `json:"by"`
	Call string `json:"call"`
}

type grantsFile struct {
	Version int           `json:"version"`
	Grants  []grantRecord `json:"grants"`
}

const grantsVersion = 1

// NewGrants returns a store, loading opts.Path if it exists. Expired grants in
// the file are dropped.
func NewGrants(opts GrantsOptions) (*Grants, error) {
	g := &Grants{path: opts.Path, maxTTL: opts.MaxTTL, now: opts.Now, createTemp: osCreateTemp}
	if g.maxTTL <= 0 {
		g.maxTTL = DefaultMaxTTL
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.path == "" {
		return g, nil
	}
	recs, err := load(g.path)
	if err != nil {
		return nil, err
	}
	now := g.now()
	for _, r := range recs {
		if now.Before(r.Expires) {
			g.grants = append(g.grants, r)
		}
	}
	return g, nil
}

// Approve approves esc if a live grant covers it.
func (g *Grants) Approve(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	if esc.Decision.Verdict != ironcurtain.Escalate {
		return ironcurtain.Approval{}, nil // a grant never overrides a denial
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for _, r := range g.grants {
		if now.Before(r.Expires) && r.Server == esc.Call.Server && r.Tool == esc.Call.Tool && covers(r.Scopes, esc) {
			return ironcurtain.Approval{
				Answer: ironcurtain.Approve,
				By:     "grant:" + r.ID,
				Reason: fmt.Sprintf("covered by grant %s (%s), given by %s until %s", r.ID, describe(ironcurtain.Grant{Scopes: r.Scopes}), r.By, r.Expires.Format(time.RFC3339)),
			}, nil
		}
	}
	return ironcurtain.Approval{}, nil
}

// Revoke removes the grant with the given ID. It reports whether there was
// one.
func (g *Grants) Revoke(id string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.grants, func(r grantRecord) bool { return r.ID == id })
	if i < 0 {
		return false, nil
	}
	next := slices.Delete(slices.Clone(g.grants), i, i+1)
	if err := g.save(next); err != nil {
		return false, err
	}
	g.grants = next
	defer g.changed()
	return true, nil
}

// Live returns the grants that have not expired, as grants with their IDs.
func (g *Grants) Live() []ironcurtain.Grant {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var out []ironcurtain.Grant
	for _, r := range g.grants {
		if now.Before(r.Expires) {
			out = append(out, ironcurtain.Grant{ID: r.ID, Scopes: slices.Clone(r.Scopes), TTL: r.Expires.Sub(now)})
		}
	}
	return out
}

// add keeps a grant a person chose when approving esc, made by by. The grant
// must be sound on its own (known scope kinds, clean directories below the
// root, plain host names, a positive TTL, at least one scope) and must cover
// esc itself: a person can narrow what they saw into a grant, or keep it
// as it is, but not grant for resources the call did not touch. The TTL is
// capped at the store's maximum. It returns the grant as kept, with its ID.
func (g *Grants) add(esc ironcurtain.Escalation, gr ironcurtain.Grant, by string) (ironcurtain.Grant, error) {
	if esc.Decision.Verdict != ironcurtain.Escalate {
		return ironcurtain.Grant{}, errors.New("approve: a grant can only answer an escalation")
	}
	if err := checkGrant(gr.Scopes); err != nil {
		return ironcurtain.Grant{}, err
	}
	if gr.TTL <= 0 {
		return ironcurtain.Grant{}, errors.New("approve: a grant needs a positive TTL")
	}
	if !covers(gr.Scopes, esc) {
		return ironcurtain.Grant{}, errors.New("approve: the grant does not cover the call it answers")
	}
	ttl := min(gr.TTL, g.maxTTL)
	var idb [8]byte
	_, _ = rand.Read(idb[:])

	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	rec := grantRecord{
		ID: hex.EncodeToString(idb[:]), Server: esc.Call.Server, Tool: esc.Call.Tool,
		Scopes: slices.Clone(gr.Scopes), Created: now, Expires: now.Add(ttl), By: by, Call: esc.Call.ID,
	}
	next := slices.DeleteFunc(slices.Clone(g.grants), func(r grantRecord) bool { return !now.Before(r.Expires) })
	next = append(next, rec)
	if err := g.save(next); err != nil {
		return ironcurtain.Grant{}, err
	}
	g.grants = next
	defer g.changed()
	return ironcurtain.Grant{ID: rec.ID, Scopes: slices.Clone(rec.Scopes), TTL: ttl}, nil
}

func checkGrant(scopes []ironcurtain.Scope) error {
	if len(scopes) == 0 {
		return errors.New("approve: a grant needs at least one scope")
	}
	for _, s := range scopes {
		if err := checkScope(s); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
	}
	return nil
}

// save writes recs to the file, if there is one: a temporary file in the
// same directory, synced, then renamed over the old one.
func (g *Grants) save(recs []grantRecord) error {
	if g.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(grantsFile{Version: grantsVersion, Grants: recs}, "", "  ")
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	dir := filepath.Dir(g.path)
	tmp, err := g.createTemp(dir, ".grants-*.tmp")
	if err != nil {
		return fmt.Errorf("approve: saving grants: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	// Each step runs only if every step before it succeeded, and the file is
	// renamed over the saved grants only then: a partial file never replaces
	// them.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(data, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), g.path)
	}
	if err != nil {
		return fmt.Errorf("approve: saving grants: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	return nil
}

// load reads a grants file. A missing file is an empty store.
func load(path string) ([]grantRecord, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("approve: grants file %s must be a regular file of mode 0600 or stricter, not %v", path, info.Mode())
	}
	var file grantsFile
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("approve: grants file %s is corrupt: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("approve: grants file %s is corrupt: data after the grants", path)
	}
	if file.Version != grantsVersion {
		return nil, fmt.Errorf("approve: grants file %s has version %d, want %d", path, file.Version, grantsVersion)
	}
	for _, r := range file.Grants {
		if err := checkGrant(r.Scopes); err != nil || r.ID == "" || r.Server == "" || r.Tool == "" || r.Expires.IsZero() {
			return nil, fmt.Errorf("approve: grants file %s is corrupt: grant %q is not valid", path, r.ID)
		}
	}
	return file.Grants, nil
}
