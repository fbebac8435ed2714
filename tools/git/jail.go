package git

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/sandbox/jail"
)

// protocolPorts are the well-known ports of the transports a network
// invocation may use.
var protocolPorts = map[string]uint16{"https": 443, "http": 80, "ssh": 22, "git": 9418}

// gitJail is the sandbox every git invocation runs in when Options.Jail is
// set: one policy for local invocations, one for clone, fetch, pull and
// push.
type gitJail struct {
	local, network jail.Policy
	enforcement    jail.Enforcement
}

// setupJail derives the two policies from the server's configuration and
// extra (Options.Jail), and checks them against the kernel once.
//
// Both grant the roots read-write and, read-only, the server's private
// directory (HOME, hooks, templates, credential sockets), git's exec path
// and the files GIT_SSL_CAINFO and GIT_SSL_CAPATH name, plus extra's
// ReadOnly and ReadWrite. The network policy adds TCP connections to the
// well-known ports of the allowed transports, to the ports of the hosts
// in Credentials and to extra's ConnectTCP, and Unix sockets when the
// credential helper or an ssh agent needs them. Local invocations get no
// network at all.
func (s *Server) setupJail(extra *jail.Policy) error {
	if extra == nil {
		return nil
	}
	// Asked before s.jail is set, so through the hardened exec without a
	// sandbox: fixed environment, private HOME, nothing of this process's.
	out, err := s.exec(context.Background(), invocation{dir: s.home, ceiling: s.base, args: []string{"--exec-path"}})
	execPath := strings.TrimSpace(string(out.stdout))
	if err != nil || !out.ok() || !filepath.IsAbs(execPath) {
		return fmt.Errorf("git: asking %s for its exec path: %v %s", s.cfg.git, err, s.clean(out.stderr))
	}
	ro := append([]string{s.base, execPath}, extra.ReadOnly...)
	for _, kv := range s.cfg.env {
		k, v, _ := strings.Cut(kv, "=")
		if (k == "GIT_SSL_CAINFO" || k == "GIT_SSL_CAPATH") && filepath.IsAbs(v) {
			ro = append(ro, v)
		}
	}
	local := jail.Policy{
		ReadOnly:         ro,
		ReadWrite:        append(slices.Clone(s.cfg.roots), extra.ReadWrite...),
		AllowCredentials: extra.AllowCredentials,
		Protected:        extra.Protected,
		Unsandboxed:      extra.Unsandboxed,
	}
	network := local
	network.ConnectTCP = slices.Clone(extra.ConnectTCP)
	for _, p := range s.cfg.protocols {
		if port, ok := protocolPorts[p]; ok {
			network.ConnectTCP = append(network.ConnectTCP, port)
		}
	}
	for host := range s.cfg.creds {
		if _, p, err := net.SplitHostPort(host); err == nil {
			if port, err := strconv.ParseUint(p, 10, 16); err == nil && port > 0 {
				network.ConnectTCP = append(network.ConnectTCP, uint16(port))
			}
		}
	}
	network.BindTCP = extra.BindTCP
	network.UnixSockets = append(slices.Clone(extra.UnixSockets), unixSockets(s.sockets, len(s.cfg.creds) > 0, s.cfg.env)...)
	if _, err := jail.Check(local); err != nil {
		return fmt.Errorf("git: jail: %w", err)
	}
	e, err := jail.Check(network)
	if err != nil {
		return fmt.Errorf("git: jail: %w", err)
	}
	s.jail = &gitJail{local: local, network: network, enforcement: e}
	return nil
}

// Jail reports what the sandbox of every git invocation enforces, and
// false when Options.Jail was not set. Record it in the audit log when
// Enforcement.Unsandboxed is set.
func (s *Server) Jail() (jail.Enforcement, bool) {
	if s.jail == nil {
		return jail.Enforcement{}, false
	}
	return s.jail.enforcement, true
}

// gitCmd is one git process, started through the jail when the server has
// one.
type gitCmd struct {
	*exec.Cmd
	jailed *jail.Cmd
}

// command builds the process for git args.
func (s *Server) command(ctx context.Context, network bool, args []string) (gitCmd, error) {
	if s.jail == nil {
		return gitCmd{Cmd: exec.CommandContext(ctx, s.cfg.git, args...)}, nil
	}
	p := s.jail.local
	if network {
		p = s.jail.network
	}
	c, err := jail.Command(ctx, p, s.cfg.git, args...)
	if err != nil {
		return gitCmd{}, fmt.Errorf("git: jail: %w", err)
	}
	return gitCmd{Cmd: c.Cmd, jailed: c}, nil
}

// Run starts the process and waits for it; through the jail, a sandbox
// that could not be applied is an error (jail.ErrLaunch), never a git
// that runs without it.
func (c gitCmd) Run() error {
	if c.jailed != nil {
		return c.jailed.Run()
	}
	return c.Cmd.Run()
}

// unixSockets are the sockets git may connect to by path: the credential
// helper's socket directory when there are credentials, and the ssh
// agent's socket that SSH_AUTH_SOCK names.
func unixSockets(credDir string, creds bool, env []string) []string {
	var out []string
	if creds {
		out = append(out, credDir)
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SSH_AUTH_SOCK="); ok && filepath.IsAbs(v) {
			out = append(out, v)
		}
	}
	return out
}
