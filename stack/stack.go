// Package stack assembles the trusted side of a contained agent from the
// SDK's parts: a policy engine, the built-in tool servers rooted at a
// sandbox, any other tool servers, a hash-chained audit log, an approver
// chain, and the Gate in front of them all.
//
// It is what `ironcurtain serve`, `ironcurtain exec` and the quickstart use;
// an application that wants the same wiring uses it too, and one that wants
// other wiring reads it as an example.
//
//	s, err := stack.New(ctx, stack.Options{
//		Sandbox: "/home/me/agent-sandbox",
//		Audit:   "/home/me/agent-audit.jsonl",
//		Human:   &approve.Terminal{},
//	})
//	if err != nil { ... }
//	defer s.Close()
//	res, err := s.Gate.Call(ctx, ironcurtain.ToolCall{Server: "filesystem", Tool: "read_text_file",
//		Arguments: map[string]any{"path": "notes.md"}})
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
)

// The built-in servers, by the names the default policy knows them by.
const (
	Filesystem = fs.ServerName
	Git        = git.ServerName
	Fetch      = web.ServerName
)

// DefaultBuiltins are the built-in servers a stack offers when
// Options.Builtins is nil.
var DefaultBuiltins = []string{Filesystem, Git, Fetch}

// DefaultDomainAllowlists returns the lists that limit the git server to
// GitHub and GitLab: a remote anywhere else escalates before any rule is
// consulted. Each call returns a fresh map.
func DefaultDomainAllowlists() map[string][]string {
	return map[string][]string{
		Git: {"github.com", "*.github.com", "gitlab.com", "*.gitlab.com"},
	}
}

// Options configures a [Stack]. Only Sandbox is required; every other zero
// value is the least-privileged default.
type Options struct {
	// Sandbox is the agent's own directory, created (mode 0700) if missing.
	// The built-in filesystem and git servers are rooted there (and in the
	// directories the policy's rules name).
	Sandbox string
	// Policy names the policy files; empty names mean the embedded default
	// policy and the built-in tools' annotations.
	Policy policy.Files
	// Protected are further protected paths, beyond the policy engine's
	// defaults, the policy files and the audit log.
	Protected []string
	// DomainAllowlists limit the domains each server's URL arguments may
	// name. Nil means DefaultDomainAllowlists; an empty map means none.
	DomainAllowlists map[string][]string
	// Trusted servers are allowed every call without evaluation. Use with
	// care.
	Trusted []string
	// Builtins are the built-in servers to offer: any of Filesystem, Git and
	// Fetch. Nil means DefaultBuiltins; an empty, non-nil slice means none.
	Builtins []string
	// Servers are further tool servers, by name. The stack closes them.
	Servers map[string]ironcurtain.ToolServer
	// Fetch configures the fetch server (search provider, limits). Its
	// CheckRedirect is set by the stack: every redirect hop is judged by the
	// policy like the first URL.
	Fetch web.Options
	// Git configures the git server beyond its roots and default directory,
	// which the stack sets; when Git.Jail is set, every path the policy
	// protects is added to its Protected (masked inside the roots).
	Git git.Options
	// Vault holds credentials; the audit log redacts every value in it.
	Vault ironcurtain.CredentialVault
	// Audit is the audit log file. Empty means no audit log.
	Audit string
	// AuditNoSync skips the fsync after each audit record.
	AuditNoSync bool
	// Human answers escalations last. Nil means nobody is asked, and an
	// escalation that no grant or automatic approver approves is denied.
	Human ironcurtain.Approver
	// Auto is asked before the person; it may only approve or pass.
	Auto ironcurtain.Approver
	// GrantsFile keeps standing grants across restarts. Empty means grants
	// live in memory for the stack's lifetime.
	GrantsFile string
	// CallTimeout and EscalationTimeout bound each tool call and each
	// approval; zero means the Gate's defaults.
	CallTimeout, EscalationTimeout time.Duration
	// Logger receives operator diagnostics. Nil means silent.
	Logger *slog.Logger
}

// Stack is an assembled trusted side: call tools through Gate.
type Stack struct {
	// Gate is the chokepoint; hand it to a sandbox or the MCP proxy.
	Gate *ironcurtain.Gate
	// Policy is the policy engine the Gate consults.
	Policy *policy.Engine
	// Grants holds the standing grants.
	Grants *approve.Grants
	// Servers are the tool servers, by name.
	Servers map[string]ironcurtain.ToolServer

	audit   *audit.Log
	closers []io.Closer
}

// New assembles a stack. On error, everything already opened is closed.
//
// It refuses (see [CheckOutOfReach], errors.Is(err, ErrWithinReach)) an
// audit log or grants file that the sandbox, or any directory the policy
// serves to the tools, holds, or whose directory it holds.
//
// Before it serves anything it compares the policy's tool annotations with
// the tools each server serves (see [policy.Engine.CheckTools]): when an
// annotated argument is not one the tool takes, or a tool takes an argument
// no annotation gives a role, the policy cannot judge calls to it and New
// fails with an error satisfying errors.Is(err, policy.ErrDrift) that names
// every such argument and the likely renames.
func New(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Sandbox == "" {
		return nil, errors.New("stack: Options.Sandbox is required")
	}
	sandbox, err := filepath.Abs(opts.Sandbox)
	if err != nil {
		return nil, fmt.Errorf("stack: sandbox: %w", err)
	}
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		return nil, fmt.Errorf("stack: sandbox: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Stack{Servers: map[string]ironcurtain.ToolServer{}}
	defer func() {
		if err != nil {
			s.closeAll()
			if s.audit != nil {
				_ = s.audit.Close()
			}
		}
	}()

	protected := slices.Clone(opts.Protected)
	// The stack's own files are made absolute and protected from the agent.
	for _, f := range []struct {
		path *string
		name string
	}{{&opts.Audit, "audit"}, {&opts.GrantsFile, "grants"}} {
		if *f.path == "" {
			continue
		}
		abs, err := filepath.Abs(*f.path)
		if err != nil {
			return nil, fmt.Errorf("stack: %s: %w", f.name, err)
		}
		*f.path = abs
		protected = append(protected, abs)
	}
	allow := opts.DomainAllowlists
	if allow == nil {
		allow = DefaultDomainAllowlists()
	}
	s.Policy, err = policy.Load(opts.Policy, policy.Config{
		Sandbox: sandbox, Protected: protected, DomainAllowlists: allow, Trusted: opts.Trusted,
	})
	if err != nil {
		return nil, err
	}
	writable := []Writable{{What: "the sandbox", Dir: sandbox}}
	for _, r := range s.Policy.Roots() {
		writable = append(writable, Writable{What: "a directory the policy serves to the tools", Dir: r})
	}
	if err := CheckOutOfReach(opts.Audit, opts.GrantsFile, writable...); err != nil {
		return nil, err
	}

	builtins := opts.Builtins
	if builtins == nil {
		builtins = DefaultBuiltins
	}
	for _, b := range builtins {
		srv, err := s.builtin(b, sandbox, opts, log)
		if err != nil {
			return nil, fmt.Errorf("stack: server %s: %w", b, err)
		}
		s.add(b, srv)
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Servers)) {
		if _, dup := s.Servers[name]; dup {
			return nil, fmt.Errorf("stack: server %q is both built in and given", name)
		}
		s.add(name, opts.Servers[name])
	}
	if err := s.checkDrift(ctx, log); err != nil {
		return nil, err
	}
	// Servers given from outside may change their tools later; the built-in
	// ones never do.
	for name := range opts.Servers {
		if !slices.Contains(opts.Trusted, name) {
			s.Servers[name] = newDriftGuard(name, s.Servers[name], s.Policy, log)
		}
	}

	var auditor ironcurtain.Auditor
	if opts.Audit != "" {
		s.audit, err = audit.Open(ctx, opts.Audit, audit.Options{Vault: opts.Vault, NoSync: opts.AuditNoSync})
		if err != nil {
			return nil, fmt.Errorf("stack: audit: %w", err)
		}
		auditor = s.audit
	}
	s.Grants, err = approve.NewGrants(approve.GrantsOptions{Path: opts.GrantsFile})
	if err != nil {
		return nil, fmt.Errorf("stack: grants: %w", err)
	}
	approver := widen{next: approve.Chain{Grants: s.Grants, Auto: opts.Auto, Human: opts.Human}, servers: s.Servers, log: log}
	s.Gate, err = ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: s.Servers, Policy: s.Policy, Approver: approver, Audit: auditor,
		CallTimeout: opts.CallTimeout, EscalationTimeout: opts.EscalationTimeout, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.closers = nil // the Gate closes the servers now
	return s, nil
}

func (s *Stack) add(name string, srv ironcurtain.ToolServer) {
	s.Servers[name] = srv
	if c, ok := srv.(io.Closer); ok {
		s.closers = append(s.closers, c)
	}
}

// builtin starts one built-in server.
func (s *Stack) builtin(name, sandbox string, opts Options, log *slog.Logger) (ironcurtain.ToolServer, error) {
	switch name {
	case Fetch:
		o := opts.Fetch
		o.CheckRedirect = redirectChecker(s.Policy, name)
		return web.New(o)
	case Filesystem, Git:
	default:
		return nil, fmt.Errorf("no built-in server %q (want %s)", name, strings.Join(DefaultBuiltins, ", "))
	}
	roots := existingDirs(s.Policy.Roots(), log)
	if name == Filesystem {
		return fs.New(fs.Options{Roots: roots})
	}
	o := opts.Git
	o.Roots, o.DefaultDir = roots, s.Policy.Sandbox()
	if o.Jail != nil {
		// Every path the policy protects is protected in git's jail too, a
		// second layer: masked where it lies inside a root.
		jp := *o.Jail
		jp.Protected = append(slices.Clone(jp.Protected), s.Policy.ProtectedPaths()...)
		o.Jail = &jp
	}
	return git.New(o)
}

// existingDirs keeps the roots that exist: a policy may name directories
// that are not there (yet), and the servers refuse missing roots.
func existingDirs(dirs []string, log *slog.Logger) []string {
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		} else {
			log.Info("stack: a directory the policy names is not served: it does not exist", "dir", d)
		}
	}
	return out
}

// redirectChecker judges each redirect of the fetch server like a fetch of
// its target: anything but an allow refuses the hop.
func redirectChecker(engine *policy.Engine, server string) func(context.Context, *url.URL) error {
	return func(ctx context.Context, next *url.URL) error {
		call := ironcurtain.ToolCall{Server: server, Tool: web.ToolFetch, Arguments: map[string]any{"url": next.String()}}
		d, err := engine.Evaluate(ctx, call)
		if err != nil {
			return err
		}
		if d.Verdict != ironcurtain.Allow {
			return &ironcurtain.DeniedError{Decision: d}
		}
		return nil
	}
}

// RecordEvent writes an event to the audit log, if there is one.
func (s *Stack) RecordEvent(ctx context.Context, e ironcurtain.AuditEvent) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Event(ctx, e)
}

// AuditHead returns the sequence number and hash of the last audit record,
// to be kept elsewhere so that a truncated log can be told apart. ok is
// false without an audit log.
func (s *Stack) AuditHead() (seq uint64, hash string, ok bool) {
	if s.audit == nil {
		return 0, "", false
	}
	seq, hash = s.audit.Head()
	return seq, hash, true
}

// Close closes the Gate (and with it the tool servers), then the audit log.
// It is safe to call more than once.
func (s *Stack) Close() error {
	err := s.Gate.Close()
	if s.audit != nil {
		err = errors.Join(err, s.audit.Close())
	}
	return err
}

// closeAll closes the servers the Gate does not own yet.
func (s *Stack) closeAll() {
	for _, c := range slices.Backward(s.closers) {
		_ = c.Close()
	}
	s.closers = nil
}
