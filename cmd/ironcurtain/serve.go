package main

// ironcurtain serve: the MCP proxy in front of an agent.
//
//	ironcurtain serve --sandbox DIR [--audit FILE]
//	ironcurtain serve --config FILE
//
// Without --config it serves the built-in filesystem, git and fetch servers
// under the default policy over stdio, with DIR (created if missing) as the
// sandbox and the root of the filesystem and git servers. Escalations are
// denied: no approver is wired yet (see serveApprover).
//
// With --config it reads a JSON file, decoded strictly (an unknown field is
// an error naming the file and the field). Relative paths in it are taken
// relative to the file's directory; "~/" is the user's home. All fields are
// optional:
//
//	{
//	  "sandbox": "~/agent-sandbox",
//	  "protected": ["~/.config/secrets"],
//	  "policy": {"dir": "policy"},
//	      // or {"policy": "compiled-policy.json", "annotations": "tool-annotations.json", "lists": "dynamic-lists.json"};
//	      // absent: the embedded default policy
//	  "domainAllowlists": {"fetch": ["*.python.org", "go.dev"]},
//	  "trusted": [],
//	  "audit": "audit.jsonl",
//	  "approver": "deny",
//	  "session": "claude-code",
//	  "callTimeout": "2m",
//	  "escalationTimeout": "5m",
//	  "servers": {
//	    "filesystem": {"builtin": "filesystem"},
//	    "git":        {"builtin": "git"},
//	    "fetch":      {"builtin": "fetch"},
//	    "github": {"command": "github-mcp-server", "args": ["stdio"],
//	               "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "..."}, "passEnv": ["PATH", "HOME"],
//	               "dir": "", "callTimeout": "60s", "maxRestarts": 1},
//	    "remote": {"url": "http://127.0.0.1:8080/mcp", "headers": {"Authorization": "Bearer ..."}}
//	  },
//	  "listen": {"stdio": true, "unix": "/run/user/1000/ironcurtain.sock",
//	             "http": "127.0.0.1:8787", "httpToken": "..."}
//	}
//
// "servers" absent means the three built-ins; each entry is exactly one of a
// built-in, a command (an MCP server run over stdio with exactly the
// environment "env" and "passEnv" name, nothing inherited) or a URL
// (streamable HTTP). The default policy knows the built-ins by the names
// filesystem, git and fetch; other servers need annotations in the policy,
// or a place in "trusted". "listen" absent means stdio only; "http" must be
// a loopback address unless "allowNonLoopback" is true, and with
// "httpToken" every HTTP request must carry "Authorization: Bearer <token>"
// (a loopback port is open to every user of the machine; the socket, of
// mode 0600, only to its owner).
//
// The audit file and the configuration file (which may hold upstream
// credentials) are protected paths: the agent can neither rewrite its audit
// log nor read the file. Nothing but MCP messages is ever written to
// standard output; diagnostics go to standard error, and so does the stderr
// of upstream servers.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/proxy"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
)

// maxServeConfig bounds the size of a serve configuration file.
const maxServeConfig = 1 << 20

// serveConfig is the JSON configuration of ironcurtain serve.
type serveConfig struct {
	Sandbox           string              `json:"sandbox"`
	Protected         []string            `json:"protected"`
	Policy            *servePolicy        `json:"policy"`
	DomainAllowlists  map[string][]string `json:"domainAllowlists"`
	Trusted           []string            `json:"trusted"`
	Audit             string              `json:"audit"`
	Approver          string              `json:"approver"`
	Session           string              `json:"session"`
	CallTimeout       serveDuration       `json:"callTimeout"`
	EscalationTimeout serveDuration       `json:"escalationTimeout"`
	Servers           serveServers        `json:"servers"`
	Listen            *serveListen        `json:"listen"`

	file string // the configuration file, absolute; "" without --config
}

// serveServers decodes each server on its own, so that an error names the
// server ("servers.github: field maxRestarts: want int").
type serveServers map[string]serveServer

func (m *serveServers) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(serveServers, len(raw))
	for name, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		var s serveServer
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("servers.%s: %s", name, jsonErrorText(err))
		}
		out[name] = s
	}
	*m = out
	return nil
}

// jsonErrorText describes a decoding error, naming the field at fault.
func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %s: want %s", te.Field, te.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

type servePolicy struct {
	Dir         string `json:"dir"`
	Policy      string `json:"policy"`
	Annotations string `json:"annotations"`
	Lists       string `json:"lists"`
}

type serveServer struct {
	Builtin     string            `json:"builtin"`
	Command     string            `json:"command"`
	Args        []string          `json:"args"`
	Env         map[string]string `json:"env"`
	PassEnv     []string          `json:"passEnv"`
	Dir         string            `json:"dir"`
	URL         string            `json:"url"`
	Headers     map[string]string `json:"headers"`
	CallTimeout serveDuration     `json:"callTimeout"`
	MaxRestarts int               `json:"maxRestarts"`
}

type serveListen struct {
	Stdio            bool   `json:"stdio"`
	Unix             string `json:"unix"`
	HTTP             string `json:"http"`
	HTTPToken        string `json:"httpToken"`
	AllowNonLoopback bool   `json:"allowNonLoopback"`
}

// serveDuration is a duration written as a Go duration string ("90s").
type serveDuration time.Duration

func (d *serveDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration such as "90s"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q", s)
	}
	*d = serveDuration(v)
	return nil
}

var builtinServers = []string{"filesystem", "git", "fetch"}

// defaultServeConfig is the configuration of serve without --config.
func defaultServeConfig(sandbox, audit string) *serveConfig {
	cfg := &serveConfig{Sandbox: sandbox, Audit: audit, Servers: serveServers{}}
	for _, b := range builtinServers {
		cfg.Servers[b] = serveServer{Builtin: b}
	}
	return cfg
}

// decodeServeConfig decodes and checks a configuration; name is the file
// name errors carry. Paths are returned as written.
func decodeServeConfig(name string, data []byte) (*serveConfig, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg serveConfig
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %s", name, jsonErrorText(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the configuration object", name)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return &cfg, nil
}

// check validates what decoding cannot.
func (c *serveConfig) check() error {
	if c.Policy != nil && c.Policy.Dir != "" && (c.Policy.Policy != "" || c.Policy.Annotations != "" || c.Policy.Lists != "") {
		return errors.New("policy: give either dir or the files, not both")
	}
	switch c.Approver {
	case "", "deny", "terminal":
	default:
		return fmt.Errorf("approver: %q is not one of deny, terminal", c.Approver)
	}
	if c.Servers == nil {
		c.Servers = defaultServeConfig("", "").Servers
	}
	for name, s := range c.Servers {
		if name == "" || strings.Contains(name, "__") {
			return fmt.Errorf("servers: name %q must be non-empty and must not contain \"__\"", name)
		}
		if err := s.check(); err != nil {
			return fmt.Errorf("servers.%s: %v", name, err)
		}
	}
	if l := c.Listen; l != nil && !l.Stdio && l.Unix == "" && l.HTTP == "" {
		return errors.New("listen: name at least one of stdio, unix, http")
	}
	return nil
}

func (s serveServer) check() error {
	kinds := 0
	for _, set := range []bool{s.Builtin != "", s.Command != "", s.URL != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("give exactly one of builtin, command, url")
	}
	stdioOnly := len(s.Args) > 0 || len(s.Env) > 0 || len(s.PassEnv) > 0 || s.Dir != "" || s.MaxRestarts != 0
	switch {
	case s.Builtin != "":
		if !slices.Contains(builtinServers, s.Builtin) {
			return fmt.Errorf("builtin: %q is not one of %s", s.Builtin, strings.Join(builtinServers, ", "))
		}
		if stdioOnly || len(s.Headers) > 0 || s.CallTimeout != 0 {
			return errors.New("a builtin server takes no other settings")
		}
	case s.URL != "":
		if stdioOnly {
			return errors.New("args, env, passEnv, dir and maxRestarts are for command servers")
		}
	default:
		if len(s.Headers) > 0 {
			return errors.New("headers are for url servers")
		}
		if s.MaxRestarts < 0 {
			return errors.New("maxRestarts: must not be negative")
		}
	}
	return nil
}

// loadServeConfig reads a configuration file and makes its paths absolute.
func loadServeConfig(path string) (*serveConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxServeConfig+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxServeConfig {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxServeConfig)
	}
	cfg, err := decodeServeConfig(path, data)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	if err := cfg.resolvePaths(dir); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	cfg.file = filepath.Join(dir, filepath.Base(path))
	return cfg, nil
}

// resolvePaths makes every path in the configuration absolute against dir,
// expanding "~/". Protected paths keep "~" for the policy engine, which
// expands it itself. Commands without a slash are left for PATH lookup.
func (c *serveConfig) resolvePaths(dir string) error {
	var err error
	abs := func(p *string) {
		if err != nil || *p == "" {
			return
		}
		*p, err = expandPath(*p, dir)
	}
	abs(&c.Sandbox)
	abs(&c.Audit)
	if c.Policy != nil {
		abs(&c.Policy.Dir)
		abs(&c.Policy.Policy)
		abs(&c.Policy.Annotations)
		abs(&c.Policy.Lists)
	}
	if c.Listen != nil {
		abs(&c.Listen.Unix)
	}
	for i, p := range c.Protected {
		if !strings.HasPrefix(p, "~") {
			abs(&c.Protected[i])
		}
	}
	for name, s := range c.Servers {
		abs(&s.Dir)
		if strings.Contains(s.Command, "/") {
			abs(&s.Command)
		}
		c.Servers[name] = s
	}
	return err
}

// expandPath expands a leading "~/" and makes p absolute against dir.
func expandPath(p, dir string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p), nil
}

// serveRuntime is everything a running serve holds.
type serveRuntime struct {
	gate    *ironcurtain.Gate
	srv     *proxy.Server
	closers []io.Closer // in the order to close them
	names   []string
}

func (r *serveRuntime) Close() {
	for _, c := range slices.Backward(r.closers) {
		c.Close()
	}
}

// startServe builds the policy, the tool servers, the Gate and the proxy
// server from a configuration whose paths are absolute.
func startServe(ctx context.Context, cfg *serveConfig, stderr io.Writer, log *slog.Logger) (_ *serveRuntime, err error) {
	rt := &serveRuntime{}
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	if cfg.Sandbox != "" {
		if err := os.MkdirAll(cfg.Sandbox, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	engine, err := servePolicyEngine(cfg)
	if err != nil {
		return nil, err
	}
	servers := map[string]ironcurtain.ToolServer{}
	var watch []proxy.ToolsNotifier
	for _, name := range slices.Sorted(maps.Keys(cfg.Servers)) {
		s := cfg.Servers[name]
		ts, err := startToolServer(ctx, name, s, cfg, engine, stderr, log)
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", name, err)
		}
		if c, ok := ts.(io.Closer); ok {
			rt.closers = append(rt.closers, c)
		}
		if n, ok := ts.(proxy.ToolsNotifier); ok {
			watch = append(watch, n)
		}
		servers[name] = ts
		rt.names = append(rt.names, name)
	}
	var (
		audit     ironcurtain.Auditor
		auditFile *serveAudit
	)
	if cfg.Audit != "" {
		if auditFile, err = openServeAudit(cfg.Audit); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		rt.closers = append(rt.closers, auditFile)
		audit = auditFile
	}
	approver, err := serveApprover(cfg.Approver, stderr)
	if err != nil {
		return nil, err
	}
	rt.gate, err = ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: servers, Policy: engine, Approver: approver, Audit: audit,
		CallTimeout:       time.Duration(cfg.CallTimeout),
		EscalationTimeout: time.Duration(cfg.EscalationTimeout),
		Logger:            log,
	})
	if err != nil {
		return nil, err
	}
	// The Gate closes the tool servers; the audit log goes after it.
	rt.closers = slices.DeleteFunc(rt.closers, func(c io.Closer) bool { return c != io.Closer(auditFile) })
	rt.closers = append(rt.closers, rt.gate)
	scfg := proxy.ServerConfig{Session: cfg.Session, Watch: watch, Logger: log}
	if l := cfg.Listen; l != nil {
		scfg.AllowNonLoopback = l.AllowNonLoopback
		scfg.BearerToken = ironcurtain.NewSecret(l.HTTPToken)
	}
	rt.srv, err = proxy.NewServer(ctx, rt.gate, scfg)
	if err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, rt.srv)
	return rt, nil
}

// servePolicyEngine loads the configured policy, or the default one.
func servePolicyEngine(cfg *serveConfig) (*policy.Engine, error) {
	// The agent must not rewrite its audit log, nor read the configuration,
	// which may hold upstream credentials.
	protected := slices.Clone(cfg.Protected)
	for _, p := range []string{cfg.Audit, cfg.file} {
		if p != "" {
			protected = append(protected, p)
		}
	}
	pc := policy.Config{
		Sandbox: cfg.Sandbox, Protected: protected,
		DomainAllowlists: cfg.DomainAllowlists, Trusted: cfg.Trusted,
	}
	p := cfg.Policy
	if p == nil {
		return policy.Default(pc)
	}
	files := policy.Files{Policy: p.Policy, Annotations: p.Annotations, Lists: p.Lists}
	if p.Dir != "" {
		files = policy.Files{
			Policy:      filepath.Join(p.Dir, "compiled-policy.json"),
			Annotations: filepath.Join(p.Dir, "tool-annotations.json"),
		}
		if lists := filepath.Join(p.Dir, "dynamic-lists.json"); fileExists(lists) {
			files.Lists = lists
		}
	}
	return policy.Load(files, pc)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startToolServer starts one configured server.
func startToolServer(ctx context.Context, name string, s serveServer, cfg *serveConfig, engine *policy.Engine,
	stderr io.Writer, log *slog.Logger) (ironcurtain.ToolServer, error) {
	switch {
	case s.Command != "":
		return proxy.Stdio(ctx, proxy.StdioConfig{
			Name: name, Command: s.Command, Args: s.Args, Env: s.Env, PassEnv: s.PassEnv, Dir: s.Dir,
			Stderr: stderr, CallTimeout: time.Duration(s.CallTimeout), MaxRestarts: s.MaxRestarts, Logger: log,
		})
	case s.URL != "":
		return proxy.HTTP(ctx, proxy.HTTPConfig{
			Name: name, URL: s.URL, Headers: s.Headers, CallTimeout: time.Duration(s.CallTimeout), Logger: log,
		})
	}
	switch s.Builtin {
	case "fetch":
		return web.New(web.Options{CheckRedirect: redirectChecker(engine, name)})
	}
	roots := existingDirs(engine.Roots(), log)
	if len(roots) == 0 {
		return nil, errors.New("no sandbox: set \"sandbox\" (or --sandbox) for the filesystem and git servers")
	}
	if s.Builtin == "filesystem" {
		return fs.New(fs.Options{Roots: roots})
	}
	opts := git.Options{Roots: roots}
	if cfg.Sandbox != "" {
		opts.DefaultDir = cfg.Sandbox
	}
	return git.New(opts)
}

// existingDirs keeps the roots that exist: a policy may name directories
// that are not there (yet), and the servers refuse missing roots.
func existingDirs(dirs []string, log *slog.Logger) []string {
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		} else {
			log.Warn("ironcurtain serve: policy root not served: not a directory", "root", d)
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

// serveApprover returns the approver for the configured kind. Neither kind
// has an approver yet: the terminal approver (package approve) has not
// landed, and stdin and stdout carry MCP, so it would have to use the
// controlling terminal. Until then every escalation is denied, which the
// Gate does when the approver is nil.
func serveApprover(kind string, stderr io.Writer) (ironcurtain.Approver, error) {
	if kind == "terminal" {
		fmt.Fprintln(stderr, "ironcurtain serve: no terminal approver in this build; escalations are denied")
	}
	return nil, nil
}

// serveAudit writes one JSON line per audit entry to a file opened for
// appending with mode 0600, synced after each entry. It stands in for the
// hash-chained log of package audit until that lands.
type serveAudit struct {
	mu sync.Mutex
	f  *os.File
}

func openServeAudit(path string) (*serveAudit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &serveAudit{f: f}, nil
}

func (a *serveAudit) Record(_ context.Context, e ironcurtain.AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return a.f.Sync()
}

func (a *serveAudit) Close() error { return a.f.Close() }

// runServe is the serve command.
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("ironcurtain serve", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configFile := flags.String("config", "", "the JSON configuration file")
	sandbox := flags.String("sandbox", "", "the agent's sandbox directory (without --config)")
	auditFile := flags.String("audit", "", "the audit log file (without --config)")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: ironcurtain serve --sandbox DIR [--audit FILE]\n       ironcurtain serve --config FILE")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
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
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := startServe(ctx, cfg, stderr, log)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain serve: %v\n", err)
		return 1
	}
	defer rt.Close()
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
