package git

import (
	"fmt"
	"slices"
	"strings"
)

// A repository's configuration can name programs under keys whose middle
// part is chosen freely (filter.<driver>.clean, merge.<driver>.driver,
// diff.<driver>.textconv, ...), and .gitattributes selects the drivers by
// name. No fixed list of overrides covers such keys, so before running a
// command the server lists the configuration's keys (includes followed,
// `git config --list --name-only -z --includes`) and overrides every
// dangerous one by its exact name. Empty values make git skip a filter,
// and make it fail — not run anything — for the other program keys.

// keyRule says what to do with one kind of configuration key.
type keyRule struct {
	section string // lower-case section
	sub     int    // 1: needs a subsection, 0: must have none, -1: either
	names   []string
	value   string // override value
	refuse  bool   // refuse network commands instead of overriding
}

var keyRules = []keyRule{
	{section: "filter", sub: 1, names: []string{"clean", "smudge", "process"}, value: ""},
	{section: "filter", sub: 1, names: []string{"required"}, value: "false"},
	{section: "diff", sub: 1, names: []string{"textconv", "command"}, value: ""},
	{section: "diff", sub: 0, names: []string{"external"}, value: ""},
	{section: "merge", sub: 1, names: []string{"driver"}, value: ""},
	{section: "trailer", sub: 1, names: []string{"cmd", "command"}, value: ""},
	{section: "gpg", sub: 1, names: []string{"program"}, value: ""},
	{section: "core", sub: 0, names: []string{"alternaterefscommand"}, value: ""},
	{section: "remote", sub: 1, names: []string{"uploadpack"}, value: "git-upload-pack"},
	{section: "remote", sub: 1, names: []string{"receivepack"}, value: "git-receive-pack"},
	{section: "remote", sub: 1, names: []string{"vcs"}, value: ""},
	{section: "remote", sub: 1, names: []string{"proxy"}, refuse: true},
	{section: "color", sub: 0, names: nil, value: "false"}, // any color.<command>
	{section: "pager", sub: 0, names: nil, value: "false"}, // any pager.<command>
	{section: "http", sub: -1, names: []string{"sslverify"}, value: "true"},
	{section: "http", sub: -1, names: []string{"followredirects"}, value: "false"},
	{section: "http", sub: -1, names: []string{"savecookies"}, value: "false"},
	{section: "http", sub: -1, names: []string{"proxy", "sslcainfo", "sslcapath", "cookiefile", "curloptresolve"}, refuse: true},
}

// splitKey splits "section.sub.sec.name" at its first and last dots; the
// subsection is whatever lies between and may itself contain dots.
func splitKey(key string) (section, name string, hasSub, ok bool) {
	first := strings.IndexByte(key, '.')
	last := strings.LastIndexByte(key, '.')
	if first <= 0 || last == len(key)-1 {
		return "", "", false, false
	}
	return strings.ToLower(key[:first]), strings.ToLower(key[last+1:]), first != last, true
}

// ruleFor returns the rule that matches key, if any.
func ruleFor(key string) (keyRule, bool) {
	section, name, hasSub, ok := splitKey(key)
	if !ok {
		return keyRule{}, false
	}
	for _, r := range keyRules {
		if r.section != section {
			continue
		}
		if (r.sub == 1 && !hasSub) || (r.sub == 0 && hasSub) {
			continue
		}
		if r.names != nil && !slices.Contains(r.names, name) {
			continue
		}
		return r, true
	}
	return keyRule{}, false
}

// repoOverrides is what a repository's configuration keys call for.
type repoOverrides struct {
	config []configEntry // overrides, applied to every command
	refuse []string      // keys that make the server refuse network commands
}

// overridesFor classifies the configuration keys listed by git.
func overridesFor(keys []string) repoOverrides {
	var o repoOverrides
	seen := make(map[string]bool)
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		r, ok := ruleFor(k)
		switch {
		case !ok:
		case r.refuse:
			o.refuse = append(o.refuse, k)
		default:
			o.config = append(o.config, configEntry{k, r.value})
		}
	}
	return o
}

// parseConfigKeys parses `git config --list --name-only -z` output: keys
// separated by NUL. A key holding a newline cannot be overridden exactly
// and is reported as an error, so the caller fails closed.
func parseConfigKeys(out []byte) ([]string, error) {
	recs, err := nulTerminated(out, "configuration key")
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range recs {
		if k == "" {
			continue
		}
		if strings.ContainsAny(k, "\n\r") {
			return nil, fmt.Errorf("configuration key %q contains a line break", k)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// refusalText explains refused configuration keys to the model.
func refusalText(keys []string) string {
	return fmt.Sprintf("refused: the repository's configuration sets %s, which would let the repository choose "+
		"where this transfer goes or which certificates it trusts; remove the setting (the server's operator can "+
		"configure proxies and CA bundles instead)", strings.Join(keys, ", "))
}
