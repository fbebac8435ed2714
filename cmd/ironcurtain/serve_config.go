package main

// ironcurtain serve: the MCP proxy in front of an agent.
//
//	ironcurtain serve --sandbox DIR [--audit FILE]
//	ironcurtain serve --config FILE
//
// Without --config it serves the built-in filesystem, git and fetch servers
// under the default policy over stdio, with DIR (created if missing) as the
// sandbox and the root of the filesystem and git servers. Escalations are
// put to the person at the controlling terminal (never stdin or stdout,
// which carry MCP) and denied when there is no terminal. With --approver web
// they are shown instead on a local approval page (loopback only; its URL,
// with a random token, is printed to standard error at start), and with an
// "escalationSocket" any front end can answer them over a Unix socket of
// mode 0600 speaking JSON lines (see approve.Broker.Serve), beside the web
// page or the terminal (the first answer wins).
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
//	  "domainAllowlists": {"fetch": ["*.python.org", "go.dev"], "git": []},
//	      // a server's URLs must name these domains or escalate; [] (or null): every URL escalates;
//	      // absent: git limited to GitHub and GitLab; {}: no server limited
//	  "trusted": [],
//	  "audit": "audit.jsonl",
//	  "approver": "terminal",       // or "web", "socket", "deny"; default terminal
//	  "autoApprove": {"model": "anthropic:claude-sonnet-4-5", "instruction": "push my fix to origin"},
//	      // a model approves escalations the instruction clearly asks for, before the person is asked;
//	      // it never denies; absent: no model is asked
//	  "grantTTL": "8h",             // the terminal offers standing grants this long; web and socket grants last at most this
//	  "webAddr": "127.0.0.1:8788",  // the web approval page's loopback address; default a free port
//	  "escalationSocket": "/run/user/1000/ironcurtain-escalations.sock",
//	      // front ends answer escalations here (JSON lines, mode 0600); needed by "socket", optional with "web" and "terminal"
//	  "grants": "grants.json",      // standing grants kept across restarts (mode 0600)
//	  "vault": {"file": "secrets.json", "env": ["GITHUB_TOKEN"]},
//	  "session": "claude-code",
//	  "callTimeout": "2m",
//	  "escalationTimeout": "5m",
//	  "servers": {
//	    "filesystem": {"builtin": "filesystem"},
//	    "git":        {"builtin": "git"},
//	    "fetch":      {"builtin": "fetch"},
//	    "github": {"command": "github-mcp-server", "args": ["stdio"],
//	               "secretEnv": {"GITHUB_PERSONAL_ACCESS_TOKEN": "github"}, "passEnv": ["PATH", "HOME"],
//	               "dir": "", "callTimeout": "60s", "maxRestarts": 1,
//	               "sandbox": {"read": [], "write": [], "network": {"hosts": ["api.github.com:443"], "bind": []},
//	                           "unixSockets": [], "accept": [], "unsandboxed": false}},
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
// Command servers and the built-in git server run in a jail of their own
// (package jail: Landlock and seccomp, Linux): they may read the
// system's programs and libraries and what "sandbox" grants, nothing else.
// Without "sandbox" a command server may read only its own directory (when
// "command" is a path) and "dir", write nothing and reach no network; git
// may read and write its roots, and clone, fetch, pull and push may
// connect to the host and port of the remote each call names, nothing
// else. "read", "write", "network" and "unixSockets" (socket paths, or
// directories of sockets, the server may connect to; nothing else is
// reachable by path) add to that. "network": "hosts" are the hosts and
// ports the server may connect to (in a network namespace of its own, with
// no other route and no DNS); "connect" is the weaker form, ports open on
// every host with UDP to anywhere, and cannot be combined with "hosts"
// (git does not use it). No grant may cover a credential store (~/.ssh,
// ~/.aws, ~/.gnupg, ...), a container daemon's socket, the audit file, the
// configuration file or serve's own socket. A kernel that cannot enforce
// part of a server's jail (no Landlock; before Landlock ABI 6, signal and
// abstract-socket scoping; before ABI 4, per-port rules; without user
// namespaces, socket paths and hosts) stops serve unless the server's
// "sandbox" names each missing protection in "accept" (landlock, seccomp,
// tcp-ports, signal-scope, abstract-unix-scope, unix-socket-paths,
// tcp-hosts), or says "unsandboxed": true to
// accept whatever is missing; what ran without is written to standard
// error and to the audit log. The built-in filesystem and fetch servers run
// inside serve and take no "sandbox". A server's standard error reaches
// serve's prefixed with "[name] ", made inert (escapes shown as \u001b)
// and bounded in line length and rate.
//
// Built-in servers are named by what they are (filesystem, git, fetch): the
// policy knows them by those names. Credentials belong in the vault — a JSON
// file {"name": "value"} of mode 0600, or environment variables read once —
// and reach an upstream through "secretEnv" (variable → credential name);
// every vault value is redacted from the audit log. The audit file, the
// grants file, the vault file and the configuration file are protected
// paths: the agent can neither rewrite its audit log nor read a secret. Nothing but MCP messages is ever written to
// standard output; diagnostics go to standard error, and so does the stderr
// of upstream servers.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain/jail"
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
	AutoApprove       *serveAutoApprove   `json:"autoApprove"`
	GrantTTL          serveDuration       `json:"grantTTL"`
	WebAddr           string              `json:"webAddr"`
	EscalationSocket  string              `json:"escalationSocket"`
	Grants            string              `json:"grants"`
	Vault             *serveVault         `json:"vault"`
	Session           string              `json:"session"`
	CallTimeout       serveDuration       `json:"callTimeout"`
	EscalationTimeout serveDuration       `json:"escalationTimeout"`
	Servers           serveServers        `json:"servers"`
	Listen            *serveListen        `json:"listen"`

	file string // the configuration file, absolute; "" without --config
}

// serveAutoApprove names the model that may approve escalations, and the
// person's instruction, its only trusted input.
type serveAutoApprove struct {
	Model       string `json:"model"`
	Instruction string `json:"instruction"`
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

// serveVault names where credentials come from.
type serveVault struct {
	File string   `json:"file"`
	Env  []string `json:"env"`
}

type serveServer struct {
	Builtin     string            `json:"builtin"`
	Command     string            `json:"command"`
	Args        []string          `json:"args"`
	Env         map[string]string `json:"env"`
	SecretEnv   map[string]string `json:"secretEnv"`
	PassEnv     []string          `json:"passEnv"`
	Dir         string            `json:"dir"`
	URL         string            `json:"url"`
	Headers     map[string]string `json:"headers"`
	CallTimeout serveDuration     `json:"callTimeout"`
	MaxRestarts int               `json:"maxRestarts"`
	Sandbox     *serveSandbox     `json:"sandbox"`
}

// serveSandbox is what a server's jail grants beyond its defaults.
type serveSandbox struct {
	Read    []string `json:"read"`
	Write   []string `json:"write"`
	Network struct {
		Hosts   []serveHostPort `json:"hosts"`
		Connect []uint16        `json:"connect"`
		Bind    []uint16        `json:"bind"`
	} `json:"network"`
	UnixSockets []string `json:"unixSockets"`
	Accept      []string `json:"accept"`
	Unsandboxed bool     `json:"unsandboxed"`
}

// serveHostPort is a host a jailed server may connect to, written
// "host:port" ("api.github.com:443", "[2001:db8::1]:443").
type serveHostPort jail.HostPort

func (h *serveHostPort) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want "host:port"`)
	}
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil || n == 0 || host == "" {
		return fmt.Errorf(`%q: want "host:port" with a port from 1 to 65535`, s)
	}
	*h = serveHostPort{Host: host, Port: uint16(n)}
	return nil
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

// checkApprover validates the approver and the fields that go with it.
func (c *serveConfig) checkApprover() error {
	switch c.Approver {
	case "", "deny", "terminal", "web", "socket":
	default:
		return fmt.Errorf("approver: %q is not one of deny, terminal, web, socket", c.Approver)
	}
	if c.Approver == "socket" && c.EscalationSocket == "" {
		return errors.New(`approver: "socket" needs "escalationSocket", the socket's path`)
	}
	if c.EscalationSocket != "" && c.Approver == "deny" {
		return errors.New(`escalationSocket: the "deny" approver answers no escalation, so serves none`)
	}
	if c.WebAddr != "" && c.Approver != "web" {
		return errors.New(`webAddr: set only with "approver": "web"`)
	}
	return nil
}

// check validates what decoding cannot.
func (c *serveConfig) check() error {
	if c.Policy != nil && c.Policy.Dir != "" && (c.Policy.Policy != "" || c.Policy.Annotations != "" || c.Policy.Lists != "") {
		return errors.New("policy: give either dir or the files, not both")
	}
	if a := c.AutoApprove; a != nil && (a.Model == "" || strings.TrimSpace(a.Instruction) == "") {
		return errors.New("autoApprove: name both the model and your instruction, which is all it may approve")
	}
	if err := c.checkApprover(); err != nil {
		return err
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
		if s.Builtin != "" && s.Builtin != name {
			return fmt.Errorf("servers.%s: a built-in server is named by what it is: %q", name, s.Builtin)
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
	stdioOnly := len(s.Args) > 0 || len(s.Env) > 0 || len(s.SecretEnv) > 0 || len(s.PassEnv) > 0 || s.Dir != "" || s.MaxRestarts != 0
	switch {
	case s.Builtin != "":
		if !slices.Contains(builtinServers, s.Builtin) {
			return fmt.Errorf("builtin: %q is not one of %s", s.Builtin, strings.Join(builtinServers, ", "))
		}
		if stdioOnly || len(s.Headers) > 0 || s.CallTimeout != 0 {
			return errors.New("a builtin server takes no other settings")
		}
		if s.Sandbox != nil && s.Builtin != "git" {
			return fmt.Errorf("sandbox: the %s server runs inside serve and cannot be jailed", s.Builtin)
		}
	case s.URL != "":
		if stdioOnly {
			return errors.New("args, env, secretEnv, passEnv, dir and maxRestarts are for command servers")
		}
		if s.Sandbox != nil {
			return errors.New("sandbox: a url server runs elsewhere and cannot be jailed")
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
	data, err := readCapped(path, maxServeConfig)
	if err != nil {
		return nil, err
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

// readCapped reads a file of at most limit bytes; errors name the file.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
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
	abs(&c.Grants)
	abs(&c.EscalationSocket)
	if c.Vault != nil {
		abs(&c.Vault.File)
	}
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
		if sb := s.Sandbox; sb != nil {
			for i := range sb.Read {
				abs(&sb.Read[i])
			}
			for i := range sb.Write {
				abs(&sb.Write[i])
			}
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
