package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// Engine decides tool calls against a compiled policy. It is built once by
// New, Load or Default — which parse, validate and canonicalise everything —
// and is then safe for concurrent use by any number of goroutines.
type Engine struct {
	home           string
	sandbox        string // canonical; "" when there is none
	insideSandbox  string // trace texts, built once
	outsideSandbox string
	sandboxServers map[string]bool
	trusted        map[string]bool
	allowlists     map[string]*domainSet
	protected      []protectedPath
	marks          *realpath.Marks
	markOwner      []int    // mark index → index in protected
	locations      []string // mark index → the location watched
	tools          map[string]map[string]*tool
	rules          []*rule
	artifacts      Artifacts
	git            repoCache
}

var _ ironcurtain.PolicyEngine = (*Engine)(nil)

type protectedPath struct {
	given     string // as configured
	canonical string // resolved at load
	// sandboxInside: the sandbox lies within this protected path, so paths
	// that end up inside the sandbox are exempt from it (and only those).
	sandboxInside bool
}

// Artifacts are what a policy is made of. Lists may be nil when no rule
// references a dynamic list.
type Artifacts struct {
	Policy      *CompiledPolicy
	Annotations *Annotations
	Lists       *Lists
}

// LoadError reports an artifact that cannot be loaded: which file, which
// rule (or server and tool), and what is wrong with it.
type LoadError struct {
	// File is the artifact's file name, or its kind ("compiled policy",
	// "tool annotations", "dynamic lists", "config") when built in memory.
	File string
	// Where locates the problem inside the file: `rule "x"`,
	// `tool git/git_push argument "path"`, `list "x"`.
	Where string
	Err   error
}

// Error names the file, the place and the problem.
func (e *LoadError) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, e.Where, e.Err)
}

// Unwrap returns the underlying problem.
func (e *LoadError) Unwrap() error { return e.Err }

const (
	filePolicy      = "compiled policy"
	fileAnnotations = "tool annotations"
	fileLists       = "dynamic lists"
	fileConfig      = "config"
)

func loadErr(file, where string, format string, a ...any) *LoadError {
	return &LoadError{File: file, Where: where, Err: fmt.Errorf(format, a...)}
}

// rule is a compiled rule, ready to evaluate.
type rule struct {
	index    int
	name     string
	reason   string
	then     ironcurtain.Verdict
	servers  []string // nil: any
	tools    []string // nil: any
	roles    roleMask
	hasRoles bool
	paths    *pathCond
	domains  *domainCond
	lists    []listCond
	// relevant holds the roles the rule is considered for during per-role
	// evaluation: every role for a rule without role conditions.
	relevant roleMask
	// sideEffects, when set, limits the rule to tools annotated with that
	// value (see sideEffectsFilter).
	sideEffects *bool
	// reach: the rule reaches paths inside the sandbox (Condition.Sandbox
	// is "include" or "only"); only: it decides nothing else.
	reach, only bool
}

type pathCond struct {
	roles  roleMask
	within string // canonical
	detail string // "within <dir>", for traces
}

type domainCond struct {
	roles roleMask
	set   *domainSet
}

type listCond struct {
	roles     roleMask
	matchType string
	values    map[string]bool // emails (lower-cased) and identifiers
	domains   *domainSet      // domains
}

// tool is a compiled annotation and the rules that may apply to it.
type tool struct {
	server, name string
	args         []argAnn
	// argNames are the names of args: a call with any other argument is
	// denied, since what it makes the tool do is not described.
	argNames    map[string]bool
	conditional bool
	static      resolved
	candidates  []*rule
	// recursive: the tool acts on everything beneath a directory it is
	// given (a tree, a search, any git command on a work tree), so a
	// directory that contains a protected path is as good as the path.
	recursive bool
}

// recursiveTools are the tools that walk the directory they are given. Every
// tool of the git server is one too: git reads, stages, resets and cleans the
// whole work tree and git dir its path names.
var recursiveTools = map[string]map[string]bool{
	"filesystem": {"directory_tree": true, "search_files": true},
}

func isRecursiveTool(server, name string) bool {
	return server == "git" || recursiveTools[server][name]
}

type argAnn struct {
	name string
	def  []roleID
	when []whenAnn
}

type whenAnn struct {
	arg    string
	op     string // "equals", "in" or "is"
	equals any
	in     []any
	is     string
	roles  []roleID
}

// New builds an engine from artifacts in memory. Everything is validated
// now; a policy that loads never fails at evaluation time for a reason
// that was knowable at load.
func New(a Artifacts, cfg Config) (*Engine, error) {
	if a.Policy == nil {
		return nil, &LoadError{File: filePolicy, Err: errors.New("no compiled policy")}
	}
	if a.Annotations == nil {
		return nil, &LoadError{File: fileAnnotations, Err: errors.New("no tool annotations")}
	}
	e := &Engine{home: cfg.home(), artifacts: a}
	if err := e.configure(cfg); err != nil {
		return nil, err
	}
	lists, err := e.expandLists(a.Policy, a.Lists)
	if err != nil {
		return nil, err
	}
	if err := e.compileRules(a.Policy, lists); err != nil {
		return nil, err
	}
	if err := e.compileAnnotations(a.Annotations); err != nil {
		return nil, err
	}
	e.narrowBySideEffects(a.Annotations)
	return e, nil
}

// canonical resolves an absolute or ~-relative path as it is now.
func (e *Engine) canonical(p string) (string, error) {
	p = expandTilde(p, e.home)
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%q is not an absolute path", p)
	}
	return resolvePath(filepath.Clean(p))
}

func (e *Engine) configure(cfg Config) error {
	if cfg.Sandbox != "" {
		s, err := e.canonical(cfg.Sandbox)
		if err != nil {
			return loadErr(fileConfig, "sandbox", "%v", err)
		}
		e.sandbox = s
		e.insideSandbox = "every value is inside the sandbox " + s
		e.outsideSandbox = "outside the sandbox " + s
	}
	e.sandboxServers = set(cfg.SandboxServers)
	if cfg.SandboxServers == nil {
		e.sandboxServers = set([]string{"filesystem", "git"})
	}
	e.trusted = set(cfg.Trusted)
	e.allowlists = map[string]*domainSet{}
	for server, entries := range cfg.DomainAllowlists {
		ds, err := compileDomains(entries)
		if err != nil {
			return loadErr(fileConfig, fmt.Sprintf("domain allowlist of %q", server), "%v", err)
		}
		e.allowlists[server] = ds
	}
	var prot []string
	if !cfg.OmitDefaultProtected {
		prot = append(prot, DefaultProtectedPaths()...)
	}
	prot = append(prot, cfg.Protected...)
	var locations []string
	seen := map[string]bool{}
	for _, given := range prot {
		lex := filepath.Clean(expandTilde(given, e.home))
		if !filepath.IsAbs(lex) {
			return loadErr(fileConfig, "protected path", "%q is not an absolute path", given)
		}
		can, err := resolvePath(lex)
		if err != nil {
			return loadErr(fileConfig, "protected path", "%q: %v", given, err)
		}
		if seen[can] {
			continue
		}
		seen[can] = true
		idx := len(e.protected)
		e.protected = append(e.protected, protectedPath{
			given: given, canonical: can,
			sandboxInside: e.sandbox != "" && realpath.Within(e.sandbox, can),
		})
		// Watch the path in every form a walk could meet it: resolved, as
		// the location of its last component (it may be a symlink that is
		// re-pointed later), and as written.
		forms := []string{can, lex}
		if dir, err := resolvePath(filepath.Dir(lex)); err == nil {
			forms = append(forms, filepath.Join(dir, filepath.Base(lex)))
		}
		for _, f := range forms {
			locations = append(locations, f)
			e.markOwner = append(e.markOwner, idx)
		}
	}
	e.marks = realpath.NewMarks(locations)
	e.locations = locations
	return nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

var listNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// expandLists validates list definitions and values and returns each
// defined list's effective values and type.
func (e *Engine) expandLists(p *CompiledPolicy, l *Lists) (map[string]listDef, error) {
	out := map[string]listDef{}
	for _, d := range p.ListDefinitions {
		where := fmt.Sprintf("list definition %q", d.Name)
		if !listNameRE.MatchString(d.Name) {
			return nil, loadErr(filePolicy, where, "list names must match %s", listNameRE)
		}
		if _, dup := out[d.Name]; dup {
			return nil, loadErr(filePolicy, where, "defined twice")
		}
		switch d.Type {
		case "domains", "emails", "identifiers":
		default:
			return nil, loadErr(filePolicy, where, "unknown list type %q (want domains, emails or identifiers)", d.Type)
		}
		out[d.Name] = listDef{typ: d.Type, present: false}
	}
	if err := inferLists(p, out); err != nil {
		return nil, err
	}
	if l != nil {
		for name, vals := range l.Lists {
			def, ok := out[name]
			if !ok {
				// Values for a list no rule can reference: harmless, and
				// reported by the linter.
				continue
			}
			eff := vals.Effective()
			for _, v := range eff {
				if err := validateListValue(def.typ, v); err != nil {
					return nil, loadErr(fileLists, fmt.Sprintf("list %q", name), "%v%s", err, def.inferredNote())
				}
			}
			def.values, def.present = eff, true
			out[name] = def
		}
	}
	return out, nil
}

type listDef struct {
	typ     string
	values  []string
	present bool
	// inferredFrom names the first rule referencing a list that has no
	// definition: its type is the one that rule's use of it demands.
	inferredFrom string
}

func validateListValue(typ, v string) error {
	switch typ {
	case "domains":
		h := strings.TrimPrefix(v, "*.")
		if v == "*" || strings.Contains(v, "/") || !parseHost(h).ok {
			return fmt.Errorf("%q is not a domain (want example.com or *.example.com)", v)
		}
	case "emails":
		if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t\r\n") {
			return fmt.Errorf("%q is not an email address", v)
		}
	case "identifiers":
		if v == "" || strings.ContainsAny(v, " \t\r\n") {
			return fmt.Errorf("%q is not an identifier", v)
		}
	}
	return nil
}

// expand resolves "@list" entries of an allowed list.
func expand(allowed []string, lists map[string]listDef, wantType, where string) ([]string, error) {
	var out []string
	for _, a := range allowed {
		name, isRef := strings.CutPrefix(a, "@")
		if !isRef {
			out = append(out, a)
			continue
		}
		def, ok := lists[name]
		if !ok {
			return nil, loadErr(filePolicy, where, "undefined list @%s", name)
		}
		if def.typ != wantType {
			return nil, loadErr(filePolicy, where, "list @%s holds %s, not %s", name, def.typ, wantType)
		}
		if !def.present {
			if def.inferredFrom != "" {
				return nil, loadErr(filePolicy, where, "list @%s has no values: it has no listDefinitions entry and no dynamic lists file holds it", name)
			}
			return nil, loadErr(filePolicy, where, "list @%s has no values (no dynamic lists file, or the list is missing from it)", name)
		}
		out = append(out, def.values...)
	}
	return out, nil
}

func rolesMask(roles []Role, file, where, field string) (roleMask, error) {
	if len(roles) == 0 {
		return 0, loadErr(file, where, "%s: an empty role list matches nothing; remove it to match every role", field)
	}
	var m roleMask
	for _, r := range roles {
		id, err := lookupRole(r)
		if err != nil {
			return 0, loadErr(file, where, "%s: %v", field, err)
		}
		m |= 1 << id
	}
	return m, nil
}

func (e *Engine) compileRules(p *CompiledPolicy, lists map[string]listDef) error {
	names := map[string]bool{}
	for i, r := range p.Rules {
		where := fmt.Sprintf("rule %q", r.Name)
		if r.Name == "" {
			where = fmt.Sprintf("rule #%d", i+1)
			return loadErr(filePolicy, where, "rule has no name")
		}
		if names[r.Name] {
			return loadErr(filePolicy, where, "duplicate rule name")
		}
		names[r.Name] = true
		c, err := e.compileRule(i, r, lists, where)
		if err != nil {
			return err
		}
		e.rules = append(e.rules, c)
	}
	return nil
}

// compileRule compiles one rule, each kind of condition by its own
// function; where names the rule in errors.
func (e *Engine) compileRule(i int, r Rule, lists map[string]listDef, where string) (*rule, error) {
	switch r.Then {
	case ironcurtain.Allow, ironcurtain.Deny, ironcurtain.Escalate:
	default:
		return nil, loadErr(filePolicy, where, "invalid verdict")
	}
	c := &rule{index: i, name: r.Name, reason: ruleReason(r), then: r.Then, relevant: allRoles, sideEffects: sideEffectsFilter(r)}
	for _, compile := range []func(*rule, Rule, string) error{
		compileSandboxReach,
		compileTargets,
		e.compilePaths,
		func(c *rule, r Rule, where string) error { return compileDomainCond(c, r, lists, where) },
		func(c *rule, r Rule, where string) error { return compileListConds(c, r, lists, where) },
	} {
		if err := compile(c, r, where); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// compileSandboxReach: whether a deny or escalate rule reaches paths
// inside the sandbox, which the structural rule allows otherwise.
func compileSandboxReach(c *rule, r Rule, where string) error {
	switch r.If.Sandbox {
	case "":
	case SandboxInclude, SandboxOnly:
		if r.Then == ironcurtain.Allow {
			return loadErr(filePolicy, where, "sandbox: only deny and escalate rules reach the sandbox; paths inside it are allowed already")
		}
		c.reach, c.only = true, r.If.Sandbox == SandboxOnly
	default:
		return loadErr(filePolicy, where, "sandbox %q (want %q or %q)", r.If.Sandbox, SandboxInclude, SandboxOnly)
	}
	return nil
}

// compileTargets: the servers, tools and argument roles a rule is about.
func compileTargets(c *rule, r Rule, where string) error {
	if r.If.Server != nil {
		if len(r.If.Server) == 0 {
			return loadErr(filePolicy, where, "server: an empty list matches nothing; remove it to match every server")
		}
		c.servers = slices.Clone(r.If.Server)
	}
	if r.If.Tool != nil {
		if len(r.If.Tool) == 0 {
			return loadErr(filePolicy, where, "tool: an empty list matches nothing; remove it to match every tool")
		}
		c.tools = slices.Clone(r.If.Tool)
	}
	if r.If.Roles != nil {
		m, err := rolesMask(r.If.Roles, filePolicy, where, "roles")
		if err != nil {
			return err
		}
		c.roles, c.hasRoles = m, true
		c.relevant &= m
	}
	return nil
}

// rolesIn is rolesMask for a condition of the policy file that only some
// roles can meet: a role outside allowed (described as kind) is refused.
func rolesIn(roles []Role, where, field string, allowed roleMask, kind string) (roleMask, error) {
	m, err := rolesMask(roles, filePolicy, where, field)
	if err != nil {
		return 0, err
	}
	if m&^allowed != 0 {
		return 0, loadErr(filePolicy, where, "%s may only name %s", field, kind)
	}
	return m, nil
}

// compilePaths: a paths condition, its directory resolved now.
func (e *Engine) compilePaths(c *rule, r Rule, where string) error {
	pc := r.If.Paths
	if pc == nil {
		return nil
	}
	m, err := rolesIn(pc.Roles, where, "paths.roles", pathRoles, "path roles")
	if err != nil {
		return err
	}
	w := expandTilde(pc.Within, e.home)
	if !filepath.IsAbs(w) {
		return loadErr(filePolicy, where, "paths.within %q is not absolute (write /abs/dir or ~/dir)", pc.Within)
	}
	can, err := resolvePath(filepath.Clean(w))
	if err != nil {
		return loadErr(filePolicy, where, "paths.within %q: %w", pc.Within, err)
	}
	c.paths = &pathCond{roles: m, within: can, detail: "within " + can}
	c.relevant &= m
	return nil
}

// compileDomainCond: a domains condition, lists expanded.
func compileDomainCond(c *rule, r Rule, lists map[string]listDef, where string) error {
	dc := r.If.Domains
	if dc == nil {
		return nil
	}
	m, err := rolesIn(dc.Roles, where, "domains.roles", urlRoles, "URL roles (fetch-url, git-remote-url)")
	if err != nil {
		return err
	}
	if len(dc.Allowed) == 0 {
		return loadErr(filePolicy, where, "domains.allowed is empty")
	}
	entries, err := expand(dc.Allowed, lists, "domains", where)
	if err != nil {
		return err
	}
	ds, err := compileDomains(entries)
	if err != nil {
		return loadErr(filePolicy, where, "domains.allowed: %v", err)
	}
	c.domains = &domainCond{roles: m, set: ds}
	c.relevant &= m
	return nil
}

// compileListConds: the lists conditions, each a set of domains, emails
// or identifiers.
func compileListConds(c *rule, r Rule, lists map[string]listDef, where string) error {
	if r.If.Lists == nil {
		return nil
	}
	if len(r.If.Lists) == 0 {
		return loadErr(filePolicy, where, "lists: an empty list of conditions; remove it")
	}
	var any roleMask
	for _, lc := range r.If.Lists {
		cond, err := compileListCond(lc, lists, where)
		if err != nil {
			return err
		}
		c.lists = append(c.lists, cond)
		any |= cond.roles
	}
	c.relevant &= any
	return nil
}

func compileListCond(lc ListCondition, lists map[string]listDef, where string) (listCond, error) {
	m, err := rolesMask(lc.Roles, filePolicy, where, "lists.roles")
	if err != nil {
		return listCond{}, err
	}
	if len(lc.Allowed) == 0 {
		return listCond{}, loadErr(filePolicy, where, "lists.allowed is empty")
	}
	switch lc.MatchType {
	case "domains", "emails", "identifiers":
	default:
		return listCond{}, loadErr(filePolicy, where, "lists.matchType %q (want domains, emails or identifiers)", lc.MatchType)
	}
	entries, err := expand(lc.Allowed, lists, lc.MatchType, where)
	if err != nil {
		return listCond{}, err
	}
	cond := listCond{roles: m, matchType: lc.MatchType}
	if lc.MatchType == "domains" {
		if cond.domains, err = compileDomains(entries); err != nil {
			return listCond{}, loadErr(filePolicy, where, "lists.allowed: %v", err)
		}
		return cond, nil
	}
	cond.values = map[string]bool{}
	for _, v := range entries {
		if lc.MatchType == "emails" {
			v = strings.ToLower(v)
		}
		cond.values[v] = true
	}
	return cond, nil
}

func (e *Engine) compileAnnotations(a *Annotations) error {
	e.tools = map[string]map[string]*tool{}
	for server, sa := range a.Servers {
		if server == "" {
			return loadErr(fileAnnotations, "servers", "empty server name")
		}
		tools := map[string]*tool{}
		for _, ta := range sa.Tools {
			where := fmt.Sprintf("tool %s/%s", server, ta.ToolName)
			if ta.ToolName == "" {
				return loadErr(fileAnnotations, where, "tool has no name")
			}
			if _, dup := tools[ta.ToolName]; dup {
				return loadErr(fileAnnotations, where, "annotated twice")
			}
			t := &tool{server: server, name: ta.ToolName, recursive: isRecursiveTool(server, ta.ToolName), argNames: map[string]bool{}}
			for _, arg := range ta.Args {
				aw := fmt.Sprintf("%s argument %q", where, arg.Name)
				aa, err := compileArg(arg, aw)
				if err != nil {
					return err
				}
				if len(aa.when) > 0 {
					t.conditional = true
				}
				t.args = append(t.args, aa)
				t.argNames[aa.name] = true
			}
			if !t.conditional {
				t.static = t.resolve(nil)
			}
			for _, r := range e.rules {
				if (r.servers == nil || slices.Contains(r.servers, server)) &&
					(r.tools == nil || slices.Contains(r.tools, ta.ToolName)) {
					t.candidates = append(t.candidates, r)
				}
			}
			tools[ta.ToolName] = t
		}
		e.tools[server] = tools
	}
	return nil
}

func compileArg(arg Arg, where string) (argAnn, error) {
	if arg.Name == "" {
		return argAnn{}, loadErr(fileAnnotations, where, "empty argument name")
	}
	aa := argAnn{name: arg.Name}
	cats := map[Category]bool{}
	ids := func(roles []Role) ([]roleID, error) {
		var out []roleID
		for _, r := range roles {
			id, err := lookupRole(r)
			if err != nil {
				return nil, loadErr(fileAnnotations, where, "%v", err)
			}
			if c := id.info().category; c != CategoryOpaque {
				cats[c] = true
			}
			out = append(out, id)
		}
		return out, nil
	}
	var err error
	if aa.def, err = ids(arg.Spec.Default); err != nil {
		return aa, err
	}
	for i, w := range arg.Spec.When {
		ww := fmt.Sprintf("%s when #%d", where, i+1)
		wa, err := condition(w.Condition)
		if err != nil {
			return aa, loadErr(fileAnnotations, ww, "%v", err)
		}
		if wa.roles, err = ids(w.Roles); err != nil {
			return aa, err
		}
		aa.when = append(aa.when, wa)
	}
	if len(cats) > 1 {
		return aa, loadErr(fileAnnotations, where, "an argument may not mix path, URL and identifier roles")
	}
	return aa, nil
}

// condition compiles a conditional role's condition; the error says what
// is wrong with it.
func condition(c RoleCondition) (whenAnn, error) {
	if c.Arg == "" {
		return whenAnn{}, errors.New("condition names no argument")
	}
	wa := whenAnn{arg: c.Arg}
	ops := 0
	if len(c.Equals) > 0 {
		ops++
		wa.op = "equals"
		if err := json.Unmarshal(c.Equals, &wa.equals); err != nil {
			return whenAnn{}, fmt.Errorf("equals: %w", err)
		}
	}
	if c.In != nil {
		ops++
		wa.op, wa.in = "in", c.In
	}
	if c.Is != "" {
		ops++
		wa.op, wa.is = "is", c.Is
		switch c.Is {
		case "present", "absent", "truthy", "falsy":
		default:
			return whenAnn{}, fmt.Errorf("is: %q (want present, absent, truthy or falsy)", c.Is)
		}
	}
	if ops != 1 {
		return whenAnn{}, errors.New("a condition needs exactly one of equals, in and is")
	}
	return wa, nil
}

// resolvePath resolves a path without watching for marks.
func resolvePath(p string) (string, error) {
	c, _, err := realpath.Resolve(p, nil)
	return c, err
}
