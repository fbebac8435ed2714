package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/gitrepo"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// Names of the engine's own (structural) rules. Compiled rules keep their
// names.
const (
	RuleTrustedServer      = "trusted-server"
	RuleProtectedPath      = "structural-protected-path"
	RuleUnresolvablePath   = "structural-unresolvable-path"
	RuleForbiddenURL       = "structural-forbidden-url"
	RuleIntrospectionAllow = "structural-introspection-allow"
	RuleDomainEscalate     = "structural-domain-escalate"
	RuleUnknownTool        = "structural-unknown-tool"
	RuleUnknownArgument    = "structural-unknown-argument"
	RuleSandboxAllow       = "structural-sandbox-allow"
	RuleDefaultDeny        = "default-deny"
)

// Outcomes recorded in trace steps besides verdicts.
const (
	outMatch   = ironcurtain.TraceMatch
	outNoMatch = ironcurtain.TraceNoMatch
	outSkip    = ironcurtain.TraceSkip
)

// Evaluate decides a call. It canonicalises the arguments — paths resolved
// as the kernel would, URLs parsed and normalised, identifiers lower-cased —
// judges the canonical values, and returns them in Decision.Arguments so
// that the tool is given exactly what was judged. It never modifies
// call.Arguments.
//
// The order is IronCurtain's: trusted servers; then the structural
// invariants (protected paths, introspection, sandbox containment, server
// domain allowlists, unknown tools); then the compiled rules, first match
// per role, the strictest role winning, nothing matched meaning deny.
//
// The only error is ctx's; every other problem is a Deny decision that says
// why.
func (e *Engine) Evaluate(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	if err := ctx.Err(); err != nil {
		return ironcurtain.Decision{}, err
	}
	ev := evaluation{e: e, call: call, trace: make([]ironcurtain.TraceStep, 0, 4)}
	d := ev.run()
	if ev.canon != nil {
		d.Arguments = ev.canon
	}
	d.Resources = ev.resources
	d.Trace = ev.trace
	return d, nil
}

// evaluation is the state of one Evaluate call.
type evaluation struct {
	e    *Engine
	call ironcurtain.ToolCall
	t    *tool
	rr   resolved

	canon     map[string]any // canonical arguments, copied on first change
	values    [len(registry)][]string
	valueArgs [len(registry)][]string // the argument each value came from
	urls      [len(registry)][]*urlVal
	resources []ironcurtain.Resource
	trace     []ironcurtain.TraceStep

	protectedHit   string // first canonical path that touches a protected path
	protectedGiven string
	protectedArg   string
	containsHit    string // the directory containing protectedHit, when it is not the path itself
	unresolvable   string // first path that cannot be resolved, and why
	forbidden      string // first URL that is never acceptable, and why
	pathCount      int
}

// urlVal is one URL-role value, with what it resolves to.
type urlVal struct {
	arg      string
	v        urlValue
	done     bool
	resolved []urlValue // every URL it may contact; nil when unresolvable
}

func (ev *evaluation) step(s ironcurtain.TraceStep) { ev.trace = append(ev.trace, s) }

func (ev *evaluation) decide(v ironcurtain.Verdict, rule, reason string) ironcurtain.Decision {
	ev.step(ironcurtain.TraceStep{Check: "decision", Rule: rule, Outcome: ironcurtain.TraceVerdict(v), Detail: reason})
	return ironcurtain.Decision{Verdict: v, Rule: rule, Reason: reason}
}

func (ev *evaluation) run() ironcurtain.Decision {
	e, call := ev.e, ev.call
	if e.trusted[call.Server] {
		ev.step(ironcurtain.TraceStep{Check: RuleTrustedServer, Outcome: outMatch, Detail: "the server is trusted: no rule is consulted"})
		return ev.decide(ironcurtain.Allow, RuleTrustedServer, fmt.Sprintf("server %q is trusted", call.Server))
	}
	ev.t = e.tools[call.Server][call.Tool]
	if ev.t == nil {
		ev.step(ironcurtain.TraceStep{Check: RuleUnknownTool, Outcome: outMatch, Detail: "no annotation describes this tool's arguments"})
		return ev.decide(ironcurtain.Deny, RuleUnknownTool, fmt.Sprintf("unknown tool: %s/%s", call.Server, call.Tool))
	}
	if name, ok := ev.t.unknownArgument(call.Arguments); ok {
		ev.step(ironcurtain.TraceStep{Check: RuleUnknownArgument, Argument: name, Outcome: outMatch, Detail: "the tool's annotation does not describe this argument"})
		return ev.decide(ironcurtain.Deny, RuleUnknownArgument, fmt.Sprintf("unknown argument %q of %s/%s: its annotation does not say what it makes the tool do", name, call.Server, call.Tool))
	}
	ev.rr = ev.t.resolve(call.Arguments)
	ev.canonicalize()
	ev.gitLocations()

	if ev.protectedHit != "" && ev.containsHit != "" {
		ev.step(ironcurtain.TraceStep{Check: RuleProtectedPath, Argument: ev.protectedArg, Value: ev.containsHit, Outcome: outMatch,
			Detail: "the call moves, deletes, overwrites or walks a directory that contains the protected path " + ev.protectedGiven})
		return ev.decide(ironcurtain.Deny, RuleProtectedPath, "access to a protected path is forbidden: "+ev.protectedHit+" lies inside "+ev.containsHit)
	}
	if ev.protectedHit != "" {
		ev.step(ironcurtain.TraceStep{Check: RuleProtectedPath, Argument: ev.protectedArg, Value: ev.protectedHit, Outcome: outMatch,
			Detail: "the path is, or passes through, the protected path " + ev.protectedGiven})
		return ev.decide(ironcurtain.Deny, RuleProtectedPath, "access to a protected path is forbidden: "+ev.protectedHit)
	}
	ev.step(ironcurtain.TraceStep{Check: RuleProtectedPath, Outcome: outNoMatch, Detail: "no path touches a protected path"})
	if ev.unresolvable != "" {
		return ev.decide(ironcurtain.Deny, RuleUnresolvablePath, ev.unresolvable)
	}
	if ev.forbidden != "" {
		return ev.decide(ironcurtain.Deny, RuleForbiddenURL, ev.forbidden)
	}
	if call.Server == "filesystem" && call.Tool == "list_allowed_directories" && len(call.Arguments) == 0 {
		ev.step(ironcurtain.TraceStep{Check: RuleIntrospectionAllow, Outcome: outMatch})
		return ev.decide(ironcurtain.Allow, RuleIntrospectionAllow, "listing the allowed directories is always allowed")
	}
	sandboxed := ev.sandboxResolution()
	if d, ok := ev.domainGate(); ok {
		return d
	}
	ev.enrichGitRemote()
	return ev.compiledRules(sandboxed)
}

// setCanon records the canonical form of an argument, copying the map on
// the first change so the caller's arguments are never modified.
func (ev *evaluation) setCanon(name string, v any) {
	if ev.canon == nil {
		ev.canon = make(map[string]any, len(ev.call.Arguments))
		for k, x := range ev.call.Arguments {
			ev.canon[k] = x
		}
	}
	ev.canon[name] = v
}

// canonicalize canonicalises every value of every resource argument, by
// the argument's category, collecting values per role.
func (ev *evaluation) canonicalize() {
	for _, a := range ev.rr.args {
		cat := CategoryOpaque
		lower := false
		for _, id := range a.roles {
			info := id.info()
			if info.category != CategoryOpaque {
				cat = info.category
			}
			lower = lower || info.lower
		}
		raw, present := ev.call.Arguments[a.name]
		if !present || len(a.roles) == 0 {
			continue
		}
		switch x := raw.(type) {
		case string:
			c := ev.canonValue(a, cat, lower, x)
			if c != x {
				ev.setCanon(a.name, c)
			}
		case []any:
			var out []any
			for i, el := range x {
				s, ok := el.(string)
				if !ok {
					continue
				}
				if c := ev.canonValue(a, cat, lower, s); c != s {
					if out == nil {
						out = append([]any(nil), x...)
					}
					out[i] = c
				}
			}
			if out != nil {
				ev.setCanon(a.name, out)
			}
		}
	}
}

// canonValue canonicalises one value and records it under each of the
// argument's roles.
func (ev *evaluation) canonValue(a resolvedArg, cat Category, lower bool, s string) string {
	c := s
	var uv *urlVal
	switch cat {
	case CategoryPath:
		c = ev.canonPath(a.name, s)
		ev.checkContains(a, c)
	case CategoryURL:
		var v urlValue
		if hasRole(a.roles, RoleGitRemoteURL) {
			v = parseGitURL(s)
		} else {
			v = parseFetchURL(s)
		}
		if v.forbidden != "" && ev.forbidden == "" {
			ev.forbidden = fmt.Sprintf("%s (argument %q)", v.forbidden, a.name)
		}
		c = v.canonical
		uv = &urlVal{arg: a.name, v: v}
	default:
		if lower {
			c = strings.ToLower(s)
		}
	}
	for _, id := range a.roles {
		if !addUnique(&ev.values[id], c) {
			continue
		}
		ev.valueArgs[id] = append(ev.valueArgs[id], a.name)
		if uv != nil {
			ev.urls[id] = append(ev.urls[id], uv)
		}
		if id.isResource() {
			res := ironcurtain.Resource{Argument: a.name, Role: id.String(), Kind: ironcurtain.ResourceKind(cat.String()), Value: c}
			if uv != nil {
				res.Host = uv.v.host.name
			}
			ev.resources = append(ev.resources, res)
		}
	}
	return c
}

func hasRole(ids []roleID, r Role) bool {
	for _, id := range ids {
		if id.info().name == r {
			return true
		}
	}
	return false
}

func addUnique(xs *[]string, v string) bool {
	for _, x := range *xs {
		if x == v {
			return false
		}
	}
	*xs = append(*xs, v)
	return true
}

// canonPath resolves a path value and checks it against the protected
// paths. A relative path is resolved against the sandbox.
func (ev *evaluation) canonPath(arg, s string) string {
	e := ev.e
	ev.pathCount++
	p := expandTilde(s, e.home)
	if !strings.HasPrefix(p, "/") {
		if p == "" && ev.unresolvable == "" {
			// An empty path names nothing, not the sandbox (the filesystem
			// server refuses it; git's "" is rewritten before the policy).
			// It is still resolved, so that a protected path it would
			// reach is reported first.
			ev.unresolvable = fmt.Sprintf("argument %q is an empty path, which names nothing", arg)
		}
		if e.sandbox == "" {
			if ev.unresolvable == "" {
				ev.unresolvable = fmt.Sprintf("the relative path %q cannot be judged: no sandbox directory is configured to resolve it against", s)
			}
			return s
		}
		p = e.sandbox + "/" + p
	}
	c, hits, err := realpath.Resolve(p, e.marks)
	if err != nil {
		if ev.unresolvable == "" {
			ev.unresolvable = fmt.Sprintf("the path %q cannot be resolved: %v", s, cause(err))
		}
		return s
	}
	if ev.protectedHit == "" && hits.Any() {
		for i, owner := range e.markOwner {
			if !hits.Has(i) {
				continue
			}
			pp := e.protected[owner]
			if pp.sandboxInside && realpath.Within(c, e.sandbox) {
				continue // the sandbox's own contents, inside a protected tree
			}
			ev.protectedHit, ev.protectedGiven, ev.protectedArg = c, pp.given, arg
			break
		}
	}
	return c
}

// checkContains denies a path that contains a protected path when the call
// acts on what lies beneath it: a move, rename or delete of the directory
// (the protected path would leave with it and be read under a new name), a
// write over it, or a tool that walks it. Only reading the directory itself
// (listing its names, its metadata) is left to the rules.
func (ev *evaluation) checkContains(a resolvedArg, c string) {
	e := ev.e
	if ev.protectedHit != "" || !strings.HasPrefix(c, "/") {
		return
	}
	acts := ev.t.recursive
	for _, id := range a.roles {
		if id.info().category == CategoryPath && id.info().name != RoleReadPath {
			acts = true
		}
	}
	if !acts {
		return
	}
	for i, loc := range e.locations {
		if loc == c || !realpath.Within(loc, c) {
			continue
		}
		pp := e.protected[e.markOwner[i]]
		if pp.sandboxInside && realpath.Within(loc, e.sandbox) {
			continue
		}
		ev.protectedHit, ev.protectedGiven, ev.protectedArg = pp.canonical, pp.given, a.name
		ev.containsHit = c
		return
	}
}

// cause strips the path from a resolution error: the path is already in the
// message, and the agent need not see host paths twice.
func cause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// sandboxResolution marks the path roles whose every value lies inside the
// sandbox, for the servers that get sandbox containment.
func (ev *evaluation) sandboxResolution() roleMask {
	e := ev.e
	if e.sandbox == "" || !e.sandboxServers[ev.call.Server] || ev.pathCount == 0 {
		return 0
	}
	var resolvedRoles roleMask
	for _, id := range ev.rr.order {
		if !pathRoles.has(id) || len(ev.values[id]) == 0 {
			continue
		}
		all := true
		for i, v := range ev.values[id] {
			if !realpath.Within(v, e.sandbox) {
				all = false
				ev.step(ironcurtain.TraceStep{Check: RuleSandboxAllow, Argument: ev.valueArgs[id][i], Role: id.String(), Value: v, Outcome: outNoMatch, Detail: e.outsideSandbox})
				break
			}
		}
		if all && ev.reachesSandbox(id) {
			ev.step(ironcurtain.TraceStep{Check: RuleSandboxAllow, Role: id.String(), Outcome: outSkip, Detail: "a rule reaches paths inside the sandbox"})
			continue
		}
		if all {
			resolvedRoles |= 1 << id
			ev.step(ironcurtain.TraceStep{Check: RuleSandboxAllow, Role: id.String(), Outcome: outMatch, Detail: e.insideSandbox})
		}
	}
	return resolvedRoles
}

// reachesSandbox reports whether a rule that reaches the sandbox matches
// some value of role id.
func (ev *evaluation) reachesSandbox(id roleID) bool {
	for _, v := range ev.values[id] {
		if ev.sandboxRule(id, v) != nil {
			return true
		}
	}
	return false
}

// sandboxRule is the first rule reaching the sandbox that matches value v
// of role id, or nil: it decides v before the structural sandbox allow.
func (ev *evaluation) sandboxRule(id roleID, v string) *rule {
	for _, r := range ev.t.candidates {
		if !r.reach || !r.relevant.has(id) || r.hasRoles && ev.rr.mask&r.roles == 0 {
			continue
		}
		if r.paths != nil && !realpath.Within(v, r.paths.within) {
			continue
		}
		if (r.domains != nil || len(r.lists) > 0) && !ev.condsHold(r, id) {
			continue
		}
		return r
	}
	return nil
}

// resolveURL works out every URL a value may contact: itself, or for a git
// remote name, the URLs the repository's configuration gives it, with
// insteadOf rewriting applied to all of them.
func (ev *evaluation) resolveURL(u *urlVal) []urlValue {
	if u.done {
		return u.resolved
	}
	u.done = true
	git, err := ev.repoConfig()
	if err != nil {
		// The configuration git reads cannot be read: where git would
		// connect cannot be known, and nothing is allowed on a guess.
		return nil
	}
	if !u.v.name {
		u.resolved = []urlValue{u.v}
		if git != nil && u.v.matchable() {
			for _, r := range git.remoteURLsOf(u.v.canonical) {
				u.resolved = append(u.resolved, parseGitURL(r))
			}
		}
		return u.resolved
	}
	if git == nil {
		return nil
	}
	for _, r := range git.remoteURLs(u.v.canonical) {
		u.resolved = append(u.resolved, parseGitURL(r))
	}
	return u.resolved
}

// repoConfig loads the configuration of the repository the call's "path"
// argument names; nil if there is none. An error means the configuration
// git would read cannot be read (too large, unparsable, unreadable, an
// include the engine cannot follow): the caller fails closed.
func (ev *evaluation) repoConfig() (*gitConfig, error) {
	p, ok := ev.pathArg()
	if !ok {
		return nil, nil
	}
	cfg, found, err := ev.e.git.load(p, ev.e.home)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	return cfg, nil
}

// pathArg returns the canonical "path" argument of the call.
func (ev *evaluation) pathArg() (string, bool) {
	args := ev.call.Arguments
	if ev.canon != nil {
		args = ev.canon
	}
	p, ok := args["path"].(string)
	if !ok || !filepath.IsAbs(p) {
		return "", false
	}
	return p, true
}

// urlAllowed reports whether every URL a value may contact is allowed by
// set, and the first domain that is not.
func (ev *evaluation) urlAllowed(u *urlVal, set *domainSet) (string, bool) {
	rs := ev.resolveURL(u)
	if len(rs) == 0 {
		return u.v.canonical, false
	}
	for _, r := range rs {
		if r.forbidden != "" || !r.matchable() || !set.match(r.host, r.full) {
			return r.full, false
		}
	}
	return "", true
}

// domainGate escalates a URL outside its server's domain allowlist.
func (ev *evaluation) domainGate() (ironcurtain.Decision, bool) {
	set := ev.e.allowlists[ev.call.Server]
	if set == nil {
		return ironcurtain.Decision{}, false
	}
	for _, id := range ev.rr.order {
		for _, u := range ev.urls[id] {
			if bad, ok := ev.urlAllowed(u, set); !ok {
				ev.step(ironcurtain.TraceStep{Check: RuleDomainEscalate, Argument: u.arg, Role: id.String(), Value: u.v.canonical, Outcome: outMatch,
					Detail: fmt.Sprintf("%q is not in the allowlist of server %q", bad, ev.call.Server)})
				d := ev.decide(ironcurtain.Escalate, RuleDomainEscalate, fmt.Sprintf("URL domain %q is not in the allowlist for server %q", bad, ev.call.Server))
				d.EscalatedRoles = []string{id.String()}
				return d, true
			}
		}
	}
	return ironcurtain.Decision{}, false
}

// enrichGitRemote gives a git call without a remote the remotes it would
// use by default, read from the repository's configuration, when the
// repository is inside the sandbox (as IronCurtain does).
func (ev *evaluation) enrichGitRemote() {
	if ev.call.Server != "git" {
		return
	}
	remote, ok := roleIDOf(RoleGitRemoteURL)
	if !ok || !ev.rr.mask.has(remote) || len(ev.urls[remote]) > 0 {
		return
	}
	p, ok := ev.pathArg()
	if !ok || (ev.e.sandbox != "" && !realpath.Within(p, ev.e.sandbox)) {
		return
	}
	cfg, err := ev.repoConfig()
	if err != nil {
		// Which remote git would use cannot be known: judge an unknown
		// one, which no rule allows.
		u := &urlVal{arg: "remote", v: urlValue{canonical: "(unreadable repository configuration)"}, done: true}
		ev.urls[remote] = append(ev.urls[remote], u)
		ev.values[remote] = append(ev.values[remote], u.v.canonical)
		ev.valueArgs[remote] = append(ev.valueArgs[remote], "remote")
		ev.step(ironcurtain.TraceStep{Check: "git-remote-enrichment", Argument: "remote", Role: string(RoleGitRemoteURL), Outcome: outMatch,
			Detail: "no remote was given and the repository's configuration cannot be read: " + err.Error()})
		return
	}
	if cfg == nil {
		return
	}
	for _, name := range cfg.defaultRemotes() {
		v := parseGitURL(name)
		u := &urlVal{arg: "remote", v: v}
		ev.resolveURL(u)
		ev.urls[remote] = append(ev.urls[remote], u)
		ev.values[remote] = append(ev.values[remote], name)
		ev.valueArgs[remote] = append(ev.valueArgs[remote], "remote")
		ev.step(ironcurtain.TraceStep{Check: "git-remote-enrichment", Argument: "remote", Role: string(RoleGitRemoteURL), Value: name, Outcome: outMatch,
			Detail: "no remote was given; the repository's default remote is judged"})
	}
}

func roleIDOf(r Role) (roleID, bool) {
	id, ok := roleIndex[r]
	return id, ok
}

// gitLocations makes the locations of the repository a git call acts on —
// git dir, common dir, work tree, object directories, resolved the way git
// resolves them — values of the "path" argument's path roles, so that they
// are judged like the path itself: a repository inside the sandbox whose
// .git file, commondir, core.worktree or alternates lead outside it is not
// a sandbox call. Discovery stops where the git server stops it: above the
// sandbox for a path inside the sandbox. A repository that cannot be
// resolved makes the path unresolvable (fail closed); no repository at all
// adds nothing (the git server then refuses the call itself).
func (ev *evaluation) gitLocations() {
	if ev.call.Server != "git" {
		return
	}
	p, ok := ev.pathArg()
	if !ok {
		return
	}
	var arg *resolvedArg
	for i := range ev.rr.args {
		if ev.rr.args[i].name == "path" {
			arg = &ev.rr.args[i]
		}
	}
	if arg == nil {
		return
	}
	ceiling := ""
	if sb := ev.e.sandbox; sb != "" && realpath.Within(p, sb) {
		ceiling = filepath.Dir(sb)
	}
	// A path that does not exist yet (a clone or init destination) is
	// discovered from its nearest existing ancestor, as git would.
	dir := p
	for !isDirPath(dir) {
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
	repo, err := gitrepo.Discover(dir, ceiling)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return
	}
	if err != nil {
		if ev.unresolvable == "" {
			ev.unresolvable = fmt.Sprintf("the repository at %q cannot be resolved: %v", p, err)
		}
		return
	}
	if repo.IncludesSkipped && ev.unresolvable == "" {
		ev.unresolvable = fmt.Sprintf("the repository at %q includes other configuration files, which could move its work tree; its locations cannot be judged", p)
		return
	}
	for _, loc := range repo.Locations() {
		c := ev.canonPath("path", loc)
		for _, id := range arg.roles {
			if !pathRoles.has(id) || !addUnique(&ev.values[id], c) {
				continue
			}
			ev.valueArgs[id] = append(ev.valueArgs[id], "path")
			ev.resources = append(ev.resources, ironcurtain.Resource{Argument: "path", Role: id.String(), Kind: ironcurtain.ResourcePath, Value: c})
		}
	}
}

func isDirPath(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
