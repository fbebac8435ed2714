package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/internal/inert"
	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/proxy"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

// serveRuntime is everything a running serve holds.
type serveRuntime struct {
	stack    *stack.Stack
	srv      *proxy.Server
	names    []string
	approver *brokerApprover // the web page or escalation socket, when used
}

// Close stops the proxy, then the stack (Gate, tool servers, audit log).
func (r *serveRuntime) Close() {
	if r.srv != nil {
		r.srv.Close()
	}
	if r.stack != nil {
		r.stack.Close()
	}
	if r.approver != nil {
		r.approver.Close()
	}
}

// startServe assembles the stack — policy, tool servers, approvals, audit
// log, Gate — and the proxy server in front of it, from a configuration
// whose paths are absolute.
func startServe(ctx context.Context, cfg *serveConfig, stderr io.Writer, log *slog.Logger) (_ *serveRuntime, err error) {
	if cfg.Sandbox == "" {
		return nil, errors.New(`no sandbox: set "sandbox" (or --sandbox)`)
	}
	// Before anything starts: no directory the agent can write, itself or
	// through a server's jail, may hold the audit log or the grants file.
	writable := []stack.Writable{{What: "the sandbox", Dir: cfg.Sandbox}}
	for _, name := range slices.Sorted(maps.Keys(cfg.Servers)) {
		if sb := cfg.Servers[name].Sandbox; sb != nil {
			for _, w := range sb.Write {
				writable = append(writable, stack.Writable{What: fmt.Sprintf("server %s's sandbox.write", name), Dir: w})
			}
		}
	}
	if err := stack.CheckOutOfReach(cfg.Audit, cfg.Grants, writable...); err != nil {
		return nil, err
	}
	rt := &serveRuntime{}
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	creds, err := serveVaultOf(cfg.Vault)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	opts := stack.Options{
		Sandbox:           cfg.Sandbox,
		Protected:         slices.Clone(cfg.Protected),
		DomainAllowlists:  cfg.DomainAllowlists,
		Trusted:           cfg.Trusted,
		Builtins:          []string{},
		Servers:           map[string]ironcurtain.ToolServer{},
		Vault:             creds,
		Audit:             cfg.Audit,
		GrantsFile:        cfg.Grants,
		CallTimeout:       time.Duration(cfg.CallTimeout),
		EscalationTimeout: time.Duration(cfg.EscalationTimeout),
		Logger:            log,
	}
	// The agent must not read the configuration or the vault.
	for _, p := range []string{cfg.file, vaultFile(cfg.Vault), cfg.EscalationSocket} {
		if p != "" {
			opts.Protected = append(opts.Protected, p)
		}
	}
	if p := cfg.Policy; p != nil {
		opts.Policy = policy.Files{Policy: p.Policy, Annotations: p.Annotations, Lists: p.Lists}
		if p.Dir != "" {
			opts.Policy = policyDirFiles(p.Dir)
		}
	}
	switch {
	case cfg.Approver == "deny":
	case cfg.Approver == "web" || cfg.EscalationSocket != "":
		rt.approver, err = startBrokerApprover(brokerApproverConfig{
			Web: cfg.Approver == "web", WebAddr: cfg.WebAddr, Socket: cfg.EscalationSocket, GrantTTL: time.Duration(cfg.GrantTTL),
			Terminal: cfg.Approver == "" || cfg.Approver == "terminal",
		}, stderr)
		if err != nil {
			return nil, err
		}
		opts.Human = rt.approver.Broker
	default: // the terminal alone: it holds escalations in a broker of its own
		opts.Human = &approve.Terminal{GrantTTL: time.Duration(cfg.GrantTTL)}
	}
	if a := cfg.AutoApprove; a != nil {
		if opts.Auto, err = autoApprover(a.Model, a.Instruction); err != nil {
			return nil, err
		}
	}
	var watch []proxy.ToolsNotifier
	var events []ironcurtain.AuditEvent
	closeUpstreams := func() {
		for _, s := range opts.Servers {
			if c, ok := s.(io.Closer); ok {
				c.Close()
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Servers)) {
		s := cfg.Servers[name]
		rt.names = append(rt.names, name)
		if s.Builtin != "" {
			opts.Builtins = append(opts.Builtins, s.Builtin)
			continue
		}
		up, enforced, err := startUpstream(ctx, name, s, cfg, creds, stderr, log)
		if err != nil {
			closeUpstreams()
			return nil, fmt.Errorf("server %s: %w", name, err)
		}
		events = append(events, jailEvents(name, enforced)...)
		if n, ok := up.(proxy.ToolsNotifier); ok {
			watch = append(watch, n)
		}
		opts.Servers[name] = up
	}
	if g, ok := cfg.Servers["git"]; ok && g.Builtin == "git" {
		jp := serveJail(g, cfg)
		enforced, err := jail.Check(jp)
		if err != nil {
			closeUpstreams()
			return nil, fmt.Errorf("server git: %w", jailHint(err))
		}
		events = append(events, jailEvents("git", enforced)...)
		opts.Git.Jail = &jp
	}
	if rt.stack, err = stack.New(ctx, opts); err != nil {
		err = jailHint(err)
		closeUpstreams()
		return nil, err
	}
	if rt.approver != nil {
		rt.approver.Attach(rt.stack.Grants)
	}
	// A server that runs without its jail is an operator's choice the audit
	// log must show; if it cannot, serve does not start.
	for _, e := range events {
		log.Warn("ironcurtain serve: "+e.Message, "server", e.Server)
		if err := rt.stack.RecordEvent(ctx, e); err != nil {
			return nil, err
		}
	}
	scfg := proxy.ServerConfig{Session: cfg.Session, Watch: watch, Logger: log}
	if l := cfg.Listen; l != nil {
		scfg.AllowNonLoopback = l.AllowNonLoopback
		scfg.BearerToken = ironcurtain.NewSecret(l.HTTPToken)
	}
	rt.srv, err = proxy.NewServer(ctx, rt.stack.Gate, scfg)
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// policyDirFiles names the artifacts of a compiled policy directory.
func policyDirFiles(dir string) policy.Files {
	files := policy.Files{
		Policy:      filepath.Join(dir, "compiled-policy.json"),
		Annotations: filepath.Join(dir, "tool-annotations.json"),
	}
	if _, err := os.Stat(files.Annotations); err != nil {
		files.Annotations = "" // the built-in tools' annotations
	}
	if lists := filepath.Join(dir, "dynamic-lists.json"); fileExists(lists) {
		files.Lists = lists
	}
	return files
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// serveVaultOf builds the vault: the file's credentials and the named
// environment variables, read once. Nil config means an empty vault.
func serveVaultOf(v *serveVault) (vault.Map, error) {
	m := vault.Map{}
	if v == nil {
		return m, nil
	}
	if v.File != "" {
		f, err := vault.ReadFile(v.File)
		if err != nil {
			return nil, err
		}
		maps.Copy(m, f)
	}
	for name, s := range vault.FromEnv(v.Env...) {
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("credential %q is both in the file and in the environment", name)
		}
		m[name] = s
	}
	return m, nil
}

func vaultFile(v *serveVault) string {
	if v == nil {
		return ""
	}
	return v.File
}

// startUpstream starts an external MCP server: a command over stdio, in its
// jail and with exactly the environment configured (secretEnv values from
// the vault), or a streamable HTTP URL. It reports what the jail enforces.
func startUpstream(ctx context.Context, name string, s serveServer, cfg *serveConfig, creds vault.Map, stderr io.Writer, log *slog.Logger) (ironcurtain.ToolServer, jail.Enforcement, error) {
	if s.URL != "" {
		c, err := proxy.HTTP(ctx, proxy.HTTPConfig{
			Name: name, URL: s.URL, Headers: s.Headers, CallTimeout: time.Duration(s.CallTimeout), Logger: log,
		})
		return c, jail.Enforcement{}, err
	}
	env := maps.Clone(s.Env)
	for variable, credential := range s.SecretEnv {
		secret, err := creds.Credential(ctx, credential)
		if err != nil {
			return nil, jail.Enforcement{}, fmt.Errorf("secretEnv %s: %w", variable, err)
		}
		if env == nil {
			env = map[string]string{}
		}
		env[variable] = secret.Reveal()
	}
	jp := serveJail(s, cfg)
	if s.Dir != "" {
		jp.ReadOnly = append(jp.ReadOnly, s.Dir)
	}
	enforced, err := jail.Check(jp)
	if err != nil {
		return nil, enforced, jailHint(err)
	}
	c, err := proxy.Stdio(ctx, proxy.StdioConfig{
		Name: name, Command: s.Command, Args: s.Args, Env: env, PassEnv: s.PassEnv, Dir: s.Dir,
		Stderr: upstreamStderr(name, stderr), CallTimeout: time.Duration(s.CallTimeout), MaxRestarts: s.MaxRestarts, Logger: log,
		Jail: &jp,
	})
	return c, enforced, err
}

// upstreamStderr is where a server's standard error goes: serve's own,
// each line prefixed with the server's name, made inert (no terminal
// escape, carriage return or bidi control gets through, so the server can
// neither drive the operator's terminal nor forge a line of serve's) and
// bounded in length and rate, with what was cut or dropped said.
func upstreamStderr(name string, stderr io.Writer) io.Writer {
	return inert.NewLines(stderr, inert.LinesConfig{Prefix: "[" + name + "] "})
}

// jailEvents are the audit events a server's enforcement calls for: one
// when it runs without (part of) its jail.
func jailEvents(server string, e jail.Enforcement) []ironcurtain.AuditEvent {
	if !e.Unsandboxed {
		return nil
	}
	return []ironcurtain.AuditEvent{{
		Kind: "server-unsandboxed", Server: server,
		Message: fmt.Sprintf("server %s runs without its full jail (missing %s), as its configuration accepts: %s", server, joinMissing(e.Missing), e),
	}}
}

// joinMissing lists missing protections for the audit log.
func joinMissing(ps []jail.Protection) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// listenSocket is serve's own Unix socket, which no jail may reach.
func listenSocket(cfg *serveConfig) string {
	if cfg.Listen == nil {
		return ""
	}
	return cfg.Listen.Unix
}

// serveJail is what a server's "sandbox" grants, with the configuration
// file, the audit log and the grants file protected (the jail itself
// refuses the credential stores). Without "sandbox" it grants nothing: no
// file beyond the system's, no network. Command servers add their "dir"; git adds its
// roots and, per transfer, the host of its remote.
func serveJail(s serveServer, cfg *serveConfig) jail.Policy {
	var p jail.Policy
	for _, f := range []string{cfg.Audit, cfg.Grants, cfg.file, vaultFile(cfg.Vault), listenSocket(cfg)} {
		if f != "" {
			p.Protected = append(p.Protected, f)
		}
	}
	if sb := s.Sandbox; sb != nil {
		p.ReadOnly = slices.Clone(sb.Read)
		p.ReadWrite = slices.Clone(sb.Write)
		p.ConnectTCP, p.BindTCP = sb.Network.Connect, sb.Network.Bind
		for _, h := range sb.Network.Hosts {
			p.Connect = append(p.Connect, jail.HostPort(h))
		}
		p.UnixSockets, p.Unsandboxed = slices.Clone(sb.UnixSockets), sb.Unsandboxed
		for _, a := range sb.Accept {
			p.Accept = append(p.Accept, jail.Protection(a))
		}
	}
	return p
}

// jailHint adds to a kernel's refusal how to run the server anyway.
func jailHint(err error) error {
	if errors.Is(err, jail.ErrUnsupported) {
		return fmt.Errorf("%w (to run it without the jail, give the server \"sandbox\": {\"unsandboxed\": true} in a --config file)", err)
	}
	return err
}

// runServe is the serve command.
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	flags := newFlags("ironcurtain serve", "usage: ironcurtain serve --sandbox DIR [--audit FILE] [--approver terminal|web|deny] [--auto-approve MODEL --instruction TEXT]\n       ironcurtain serve --config FILE [--approver terminal|web|socket|deny] [--auto-approve MODEL --instruction TEXT]", stderr)
	configFile := flags.String("config", "", "the JSON configuration file")
	sandbox := flags.String("sandbox", "", "the agent's sandbox directory (without --config)")
	auditFile := flags.String("audit", "", "the audit log file (without --config)")
	approver := flags.String("approver", "", "who answers escalations: terminal, web (a loopback page; its URL is printed), socket or deny (overrides the configuration's)")
	autoModel := flags.String("auto-approve", "", "let this model (anthropic:MODEL-ID or openai:MODEL-ID) approve escalated calls that --instruction clearly asks for; it never denies, the person decides the rest")
	instruction := flags.String("instruction", "", "your instruction, the only thing the --auto-approve model trusts")
	if err := flags.Parse(args); err != nil {
		return parseExit(err)
	}
	var cfg *serveConfig
	switch {
	case flags.NArg() > 0:
		fmt.Fprintf(stderr, "ironcurtain serve: unexpected argument %q\n", flags.Arg(0))
		return 2
	case *configFile != "" && (*sandbox != "" || *auditFile != ""):
		fmt.Fprintln(stderr, "ironcurtain serve: --sandbox and --audit go in the configuration file with --config")
		return 2
	case *configFile != "":
		var err error
		if cfg, err = loadServeConfig(*configFile); err != nil {
			fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
			return 2
		}
	case *sandbox == "":
		flags.Usage()
		return 2
	default:
		wd, err := os.Getwd()
		if err == nil {
			cfg = defaultServeConfig(*sandbox, *auditFile)
			err = cfg.resolvePaths(wd)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
			return 1
		}
	}
	if *approver != "" {
		cfg.Approver = *approver
		if err := cfg.checkApprover(); err != nil {
			fmt.Fprintf(stderr, "ironcurtain serve: --%v\n", err)
			return 2
		}
	}
	if *autoModel != "" || *instruction != "" {
		if cfg.AutoApprove != nil {
			fmt.Fprintln(stderr, "ironcurtain serve: --auto-approve and the configuration's autoApprove both name a model; keep one")
			return 2
		}
		if _, err := autoApprover(*autoModel, *instruction); err != nil {
			fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
			return 2
		}
		cfg.AutoApprove = &serveAutoApprove{Model: *autoModel, Instruction: *instruction}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := startServe(ctx, cfg, stderr, log)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
		return 1
	}
	defer func() {
		rt.srv.Close()
		if closeAudited("serve", rt.stack, cfg.Audit, stderr) != nil && code == 0 {
			code = 1
		}
		if rt.approver != nil {
			rt.approver.Close()
		}
	}()
	if err := serveListeners(ctx, rt, cfg.Listen, stdin, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
		return 1
	}
	return 0
}

// serveLoopback reports whether a host:port names a loopback address.
func serveLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return host == "localhost" || (err == nil && ip.IsLoopback())
}

// serveListeners serves on every configured listener until the context is
// done, stdio's input ends, or one of them fails.
func serveListeners(ctx context.Context, rt *serveRuntime, l *serveListen, stdin io.Reader, stdout, stderr io.Writer) error {
	if l == nil {
		l = &serveListen{Stdio: true}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		where []string
	)
	start := func(what string, serve func() error) {
		where = append(where, what)
		wg.Go(func() {
			err := serve()
			if err != nil && ctx.Err() == nil {
				once.Do(func() { first = fmt.Errorf("%s: %w", what, err) })
			}
			cancel() // one listener ending ends them all
		})
	}
	// Listen before serving, so that the address printed is in use.
	var listeners []net.Listener
	defer func() {
		if first != nil {
			for _, ln := range listeners {
				ln.Close()
			}
		}
	}()
	if l.HTTP != "" {
		if !l.AllowNonLoopback && !serveLoopback(l.HTTP) {
			first = fmt.Errorf("listen.http: %w: %q", proxy.ErrNotLoopback, l.HTTP)
			return first
		}
		ln, err := net.Listen("tcp", l.HTTP)
		if err != nil {
			first = err
			return first
		}
		listeners = append(listeners, ln)
	}
	if l.Unix != "" {
		ln, err := proxy.ListenUnix(l.Unix)
		if err != nil {
			first = err
			return first
		}
		listeners = append(listeners, ln)
	}
	for _, ln := range listeners {
		if ln.Addr().Network() == "unix" {
			start("unix:"+l.Unix, func() error { return rt.srv.ServeListener(ctx, ln) })
		} else {
			start("http://"+ln.Addr().String()+"/mcp", func() error { return rt.srv.ServeHTTPListener(ctx, ln) })
		}
	}
	if l.Stdio {
		start("stdio", func() error { return rt.srv.ServeStdio(ctx, stdin, stdout) })
	}
	fmt.Fprintf(stderr, "ironcurtain serve: serving %s on %s\n", strings.Join(rt.names, ", "), strings.Join(where, ", "))
	wg.Wait()
	return first
}
