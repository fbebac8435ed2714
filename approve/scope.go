package approve

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// ArgumentsHash returns the value of an "arguments" scope for args: the hex
// SHA-256 of args encoded as JSON, whose object keys encoding/json sorts.
// Nil and empty arguments hash alike.
func ArgumentsHash(args map[string]any) (string, error) {
	h, err := ironcurtain.ArgumentsDigest(args)
	if err != nil {
		return "", fmt.Errorf("approve: %w", err)
	}
	return h, nil
}

// ExactGrant returns a grant for exactly the arguments of the escalated call,
// for ttl.
func ExactGrant(esc ironcurtain.Escalation, ttl time.Duration) (ironcurtain.Grant, error) {
	h, err := ArgumentsHash(esc.Call.Arguments)
	if err != nil {
		return ironcurtain.Grant{}, err
	}
	return ironcurtain.Grant{Scopes: []ironcurtain.Scope{{Kind: ironcurtain.ScopeArguments, Value: h}}, TTL: ttl}, nil
}

// historyRoles name path roles whose values say little about what is at
// stake (rewriting or deleting history), so a directory scope would grant
// far more than the person saw.
var historyRoles = []string{"write-history", "delete-history"}

// ScopedGrant returns the broader grant a person may choose instead of the
// exact one: for each escalated role (every resource role when the decision
// names none), paths within their common directory, URLs on their one host,
// or an identifier's one value. It reports false when some role cannot be
// scoped that way — values on several hosts, several different identifiers,
// a history role, a common directory that is the root — since a grant that
// leaves an escalated role unconstrained would cover too much.
func ScopedGrant(esc ironcurtain.Escalation, ttl time.Duration) (ironcurtain.Grant, bool) {
	var scopes []ironcurtain.Scope
	for _, role := range escalatedRoles(esc.Decision) {
		if slices.Contains(historyRoles, role) {
			return ironcurtain.Grant{}, false
		}
		var vals []ironcurtain.Resource
		for _, r := range esc.Decision.Resources {
			if r.Role == role {
				vals = append(vals, r)
			}
		}
		sc, ok := scopeFor(role, vals)
		if !ok {
			return ironcurtain.Grant{}, false
		}
		scopes = append(scopes, sc)
	}
	if len(scopes) == 0 {
		return ironcurtain.Grant{}, false
	}
	return ironcurtain.Grant{Scopes: scopes, TTL: ttl}, true
}

func scopeFor(role string, vals []ironcurtain.Resource) (ironcurtain.Scope, bool) {
	if len(vals) == 0 {
		return ironcurtain.Scope{}, false
	}
	kind := vals[0].Kind
	for _, v := range vals {
		if v.Kind != kind {
			return ironcurtain.Scope{}, false
		}
	}
	switch kind {
	case "path":
		for _, v := range vals {
			if !cleanAbs(v.Value) {
				return ironcurtain.Scope{}, false
			}
		}
		dir := path.Dir(vals[0].Value)
		for _, v := range vals[1:] {
			for !within(v.Value, dir) {
				dir = path.Dir(dir)
			}
		}
		if !cleanAbs(dir) || dir == "/" {
			return ironcurtain.Scope{}, false
		}
		return ironcurtain.Scope{Role: role, Kind: ironcurtain.ScopeDirectory, Value: dir}, true
	case "url":
		host := strings.ToLower(vals[0].Host)
		for _, v := range vals {
			if host == "" || !strings.EqualFold(v.Host, host) {
				return ironcurtain.Scope{}, false
			}
		}
		return ironcurtain.Scope{Role: role, Kind: ironcurtain.ScopeDomain, Value: host}, true
	}
	for _, v := range vals {
		if v.Value != vals[0].Value {
			return ironcurtain.Scope{}, false
		}
	}
	return ironcurtain.Scope{Role: role, Kind: ironcurtain.ScopeExact, Value: vals[0].Value}, true
}

// escalatedRoles are the roles a grant must constrain: those the decision
// escalated on, or every role it has resources for.
func escalatedRoles(d ironcurtain.Decision) []string {
	if len(d.EscalatedRoles) > 0 {
		return d.EscalatedRoles
	}
	var roles []string
	for _, r := range d.Resources {
		if !slices.Contains(roles, r.Role) {
			roles = append(roles, r.Role)
		}
	}
	return roles
}

func cleanAbs(p string) bool { return strings.HasPrefix(p, "/") && path.Clean(p) == p }

// within reports whether p is dir or below it, on path component boundaries.
// Both must be clean absolute paths; anything else is not within.
func within(p, dir string) bool {
	if !cleanAbs(p) || !cleanAbs(dir) {
		return false
	}
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// holds reports whether scope s is met by the escalated call: every value of
// its role satisfies it, and there is at least one.
func holds(s ironcurtain.Scope, esc ironcurtain.Escalation) bool {
	if s.Kind == ironcurtain.ScopeArguments {
		h, err := ArgumentsHash(esc.Call.Arguments)
		return err == nil && h == s.Value
	}
	n := 0
	for _, r := range esc.Decision.Resources {
		if r.Role != s.Role {
			continue
		}
		n++
		var ok bool
		switch s.Kind {
		case ironcurtain.ScopeExact:
			ok = r.Value == s.Value
		case ironcurtain.ScopeDirectory:
			ok = r.Kind == ironcurtain.ResourcePath && within(r.Value, s.Value)
		case ironcurtain.ScopeDomain:
			ok = r.Kind == ironcurtain.ResourceURL && r.Host != "" && strings.EqualFold(r.Host, s.Value)
		}
		if !ok {
			return false
		}
	}
	return n > 0
}

// covers reports whether scopes, all together, cover the escalation: each
// holds, and — unless one pins the exact arguments — every escalated role is
// constrained by one of them, so a grant for one role never waves through a
// call escalated for another.
func covers(scopes []ironcurtain.Scope, esc ironcurtain.Escalation) bool {
	if len(scopes) == 0 {
		return false
	}
	exact := false
	for _, s := range scopes {
		if !holds(s, esc) {
			return false
		}
		exact = exact || s.Kind == ironcurtain.ScopeArguments
	}
	if exact {
		return true
	}
	for _, role := range escalatedRoles(esc.Decision) {
		if !slices.ContainsFunc(scopes, func(s ironcurtain.Scope) bool { return s.Role == role }) {
			return false
		}
	}
	return true
}

// checkScope validates one scope of a grant about to be kept or loaded.
func checkScope(s ironcurtain.Scope) error {
	switch s.Kind {
	case ironcurtain.ScopeArguments:
		if len(s.Value) != 64 || strings.Trim(s.Value, "0123456789abcdef") != "" || s.Role != "" {
			return errors.New("an arguments scope needs a SHA-256 and no role")
		}
		return nil
	case ironcurtain.ScopeExact, ironcurtain.ScopeDirectory, ironcurtain.ScopeDomain:
	default:
		return fmt.Errorf("unknown scope kind %q", s.Kind)
	}
	switch {
	case s.Role == "":
		return fmt.Errorf("a %s scope needs a role", s.Kind)
	case s.Value == "":
		return fmt.Errorf("a %s scope needs a value", s.Kind)
	case s.Kind == ironcurtain.ScopeDirectory && (!cleanAbs(s.Value) || s.Value == "/"):
		return fmt.Errorf("directory scope %q is not a clean absolute path below the root", s.Value)
	case s.Kind == ironcurtain.ScopeDomain && (strings.ContainsAny(s.Value, "*/:@ ") || s.Value != strings.ToLower(s.Value)):
		return fmt.Errorf("domain scope %q is not a lower-case host name", s.Value)
	}
	return nil
}

// describe renders a grant for a person: "write-path within /w, fetch-url on
// example.com" or "these exact arguments".
func describe(g ironcurtain.Grant) string {
	parts := make([]string, 0, len(g.Scopes))
	for _, s := range g.Scopes {
		switch s.Kind {
		case ironcurtain.ScopeArguments:
			parts = append(parts, "these exact arguments")
		case ironcurtain.ScopeDirectory:
			parts = append(parts, s.Role+" within "+s.Value)
		case ironcurtain.ScopeDomain:
			parts = append(parts, s.Role+" on "+s.Value)
		default:
			parts = append(parts, s.Role+" = "+s.Value)
		}
	}
	return strings.Join(parts, ", ")
}
