package git

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// protocolPorts are the well-known ports of the transports a network
// invocation may use.
var protocolPorts = map[string]uint16{"https": 443, "http": 80, "ssh": 22, "git": 9418}

// gitJail is the sandbox every git invocation runs in when Options.Jail is
// set: one policy for local invocations, one for clone, fetch, pull and
// push. Both are complete only once ready has run: git's exec path, which
// takes a git process to learn, is asked at the first git call rather than
// when the server starts.
type gitJail struct {
	local, network jail.Policy
	enforcement    jail.Enforcement
	// ready completes the policies, once, and checks the jailed git; every
	// jailed invocation waits for it, and its error fails every one.
	ready func() error
}

// jailStage marks the invocations ready makes itself: the exec-path
// question, asked without the jail, and the version check, asked in the
// jail ready is completing. Its type is this package's, so no caller can
// set it.
type jailStage struct {
	j        *gitJail
	unjailed bool
}

// setupJail derives the two policies from the server's configuration and
// extra (Options.Jail), and checks them against the kernel at once, so
// that New fails on a kernel that cannot enforce them.
//
// Both grant the roots read-write and, read-only, the server's private
// directory (HOME, hooks, templates, credential sockets), git's exec path
// and the files GIT_SSL_CAINFO and GIT_SSL_CAPATH name, plus extra's
// ReadOnly and ReadWrite. The protected paths of extra that lie inside a
// root are masked (jail.Policy.Masked): git can neither read, write,
// rename nor delete them although their root is granted. The network
// policy adds Unix sockets when an ssh agent needs them, and TCP
// connections to extra's Connect hosts (through extra's Dial) and, per
// invocation, to the host and port of every remote URL the call was
// judged by (see withRemotes): nothing else, so a URL that git rewrites
// (url.<base>.insteadOf, a redirect) to another host cannot reach it.
// extra's ConnectTCP, which would open its ports on every host, is not
// used. Local invocations get no network at all.
func (s *Server) setupJail(extra *jail.Policy) error {
	if extra == nil {
		return nil
	}
	ro := append([]string{s.base}, extra.ReadOnly...)
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
		Unsandboxed:      extra.Unsandboxed,
		Accept:           extra.Accept,
	}
	local.Masked, local.Protected = splitProtected(extra.Protected, s.cfg.roots)
	local.Masked = append(local.Masked, extra.Masked...)
	// git and its own programs, nothing else: no shell, so no filter,
	// textconv, merge driver, hook or helper a repository names can
	// start, even one the server's key scan did not see. Hooks enabled
	// by the operator are programs the repository chose (shell scripts,
	// usually), so they keep the jail without this limit.
	if !s.cfg.enableHooks {
		local.Execute = append([]string{s.cfg.git}, extra.Execute...)
	}
	network := local
	if !s.cfg.enableHooks {
		network.Execute = slices.Clone(local.Execute)
		if slices.Contains(s.cfg.protocols, "ssh") {
			ssh, err := s.jailSSH()
			if err != nil {
				return err
			}
			if ssh != "" {
				network.Execute = append(network.Execute, ssh)
			}
		}
		if slices.Contains(s.cfg.protocols, "file") {
			// git runs a local transport's upload-pack and receive-pack
			// through the shell ("git-upload-pack '<path>'"); allowing
			// file transfers gives transfers, never local commands, the
			// shell.
			network.Execute = append(network.Execute, "/bin/sh")
		}
	}
	network.Connect, network.Dial, network.Accept = slices.Clone(extra.Connect), extra.Dial, slices.Clone(extra.Accept)
	network.BindTCP = extra.BindTCP
	network.UnixSockets = append(slices.Clone(extra.UnixSockets), sshAgentSocket(s.cfg.env)...)
	if _, err := jail.Check(local); err != nil {
		return fmt.Errorf("git: jail: %w", err)
	}
	// As a transfer's: with a remote's host.
	e, err := jail.Check(withRemoteHosts(network, []jail.HostPort{{Host: "remote.invalid", Port: 443}}))
	if err != nil {
		return fmt.Errorf("git: jail: %w", err)
	}
	j := &gitJail{local: local, network: network, enforcement: e}
	j.ready = sync.OnceValue(func() error { return s.completeJail(j) })
	s.jail = j
	return nil
}

// completeJail asks git for its exec path (through the hardened exec
// without a sandbox: fixed environment, private HOME, nothing of this
// process's), grants it to both policies, and checks that the jailed git
// runs and is recent enough.
func (s *Server) completeJail(j *gitJail) error {
	ctx := context.WithValue(context.Background(), jailStage{}, jailStage{j: j, unjailed: true})
	out, err := s.exec(ctx, invocation{dir: s.home, ceiling: s.base, args: []string{"--exec-path"}})
	execPath := strings.TrimSpace(string(out.stdout))
	if err != nil || !out.ok() || !filepath.IsAbs(execPath) {
		return fmt.Errorf("git: asking %s for its exec path: %v %s", s.cfg.git, err, s.clean(out.stderr))
	}
	for _, p := range []*jail.Policy{&j.local, &j.network} {
		p.ReadOnly = append(slices.Clone(p.ReadOnly), execPath)
		if p.Execute != nil {
			p.Execute = append(slices.Clone(p.Execute), execPath)
		}
		if _, err := jail.Check(*p); err != nil {
			return fmt.Errorf("git: jail: %w", err)
		}
	}
	return s.checkVersion(context.WithValue(context.Background(), jailStage{}, jailStage{j: j}))
}

// splitProtected returns the protected paths that lie inside a root (the
// jail masks them) and the others (no grant may hold them).
func splitProtected(protected, roots []string) (inside, outside []string) {
	for _, p := range protected {
		c := filepath.Clean(p)
		if r, err := filepath.EvalSymlinks(c); err == nil {
			c = r
		} else if d, err := filepath.EvalSymlinks(filepath.Dir(c)); err == nil {
			c = filepath.Join(d, filepath.Base(c))
		}
		if slices.ContainsFunc(roots, func(r string) bool { return c != r && realpath.Within(realpath.Fold(c), realpath.Fold(r)) }) {
			inside = append(inside, p)
		} else {
			outside = append(outside, p)
		}
	}
	return inside, outside
}

// jailSSH prepares ssh transports for a jail that executes no shell: git
// then runs the ssh program itself, without a shell (an absolute path
// without arguments as GIT_SSH_COMMAND, GIT_SSH_VARIANT=ssh), and the
// program is returned for the jail to let execute ("" when it is not
// installed: ssh transfers then fail). The default command's options
// are what the jail enforces anyway (the user's ssh configuration is out
// of reach, and there is no terminal to prompt on); an SSHCommand with
// arguments of its own cannot be honoured without a shell and is refused.
func (s *Server) jailSSH() (string, error) {
	words := strings.Fields(s.cfg.sshCommand)
	if s.cfg.sshCommand != defaultSSHCommand && len(words) != 1 {
		return "", fmt.Errorf("git: jail: SSHCommand %q has arguments, which need a shell; the jail executes none, so "+
			"name the ssh program alone", s.cfg.sshCommand)
	}
	p, err := exec.LookPath(words[0])
	if err != nil {
		return "", nil
	}
	if p, err = filepath.Abs(p); err != nil || strings.ContainsAny(p, shellMeta) {
		return "", fmt.Errorf("git: jail: the ssh program %q cannot be run without a shell", p)
	}
	s.cfg.sshCommand = p
	s.env = s.baseEnv()
	s.static = s.staticConfig()
	return p, nil
}

// shellMeta are the characters that make git run a command through the
// shell rather than directly.
const shellMeta = "|&;<>()$`\\\"' \t\n*?[#~=%"

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
	stage, _ := ctx.Value(jailStage{}).(jailStage)
	if s.jail == nil || stage.j == s.jail && stage.unjailed {
		return gitCmd{Cmd: exec.CommandContext(ctx, s.cfg.git, args...)}, nil
	}
	if stage.j != s.jail {
		if err := s.jail.ready(); err != nil {
			return gitCmd{}, err
		}
	}
	p := s.jail.local
	if network {
		p = withRemoteHosts(s.jail.network, remotesOf(ctx))
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

// sshAgentSocket is the socket the network jail may connect to: the ssh
// agent's, when SSH_AUTH_SOCK names one. Credentials reach git as a header,
// never through a socket.
func sshAgentSocket(env []string) []string {
	var out []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SSH_AUTH_SOCK="); ok && filepath.IsAbs(v) {
			out = append(out, v)
		}
	}
	return out
}

// The hosts a transfer may reach are those of the remote URLs the call
// was judged by: the clone URL, or each URL resolveRemote checked (after
// git's insteadOf rewriting, as "git remote get-url" reports it). The
// transfer's context carries them from there to the jail of its network
// invocations; a network invocation whose context carries none reaches no
// host.

// remotesKey is the context key of a call's judged remotes.
type remotesKey struct{}

// judgedRemotes collects the hosts of the remote URLs judged for one call.
type judgedRemotes struct {
	mu    sync.Mutex
	hosts []jail.HostPort
}

// withRemotes returns ctx carrying a collection of judged remotes, empty
// but for urls, to which noteRemote adds.
func withRemotes(ctx context.Context, urls ...string) context.Context {
	ctx = context.WithValue(ctx, remotesKey{}, &judgedRemotes{})
	for _, u := range urls {
		noteRemote(ctx, u)
	}
	return ctx
}

// noteRemote adds the host and port of the judged URL u to ctx's
// collection (see withRemotes), if any; a URL without a network host (a
// local path, file://) adds nothing.
func noteRemote(ctx context.Context, u string) {
	j, _ := ctx.Value(remotesKey{}).(*judgedRemotes)
	if hp, ok := remoteHost(u); ok && j != nil {
		j.mu.Lock()
		j.hosts = append(j.hosts, hp)
		j.mu.Unlock()
	}
}

// remotesOf returns the hosts collected in ctx.
func remotesOf(ctx context.Context) []jail.HostPort {
	j, _ := ctx.Value(remotesKey{}).(*judgedRemotes)
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.hosts)
}

// withRemoteHosts returns p granting connections to hosts as well.
func withRemoteHosts(p jail.Policy, hosts []jail.HostPort) jail.Policy {
	p.Connect = append(slices.Clone(p.Connect), hosts...)
	return p
}

// remoteHost returns the host and port git connects to for the network
// URL u: "scheme://[user@]host[:port]/..." or scp-like
// "[user@]host:path" (ssh, port 22), with the transport's well-known
// port when none is given. Anything else has no host.
func remoteHost(u string) (jail.HostPort, bool) {
	port, ok := protocolPorts[urlProtocol(u)]
	if !ok {
		return jail.HostPort{}, false
	}
	var host string
	if strings.Contains(u, "://") {
		pu, err := url.Parse(u)
		if err != nil {
			return jail.HostPort{}, false
		}
		host = pu.Hostname()
		if p := pu.Port(); p != "" {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return jail.HostPort{}, false
			}
			port = uint16(n)
		}
	} else {
		// "[user@]host:path": the host follows the last '@' before the
		// first ':', as ssh reads its destination and as the policy judges
		// the remote (policy.parseGitURL), so the jail grants the host the
		// policy saw.
		rest := u
		colon := strings.IndexByte(rest, ':')
		if colon < 0 {
			return jail.HostPort{}, false
		}
		if at := strings.LastIndexByte(rest[:colon], '@'); at >= 0 {
			rest = rest[at+1:]
		}
		if inner, ok := strings.CutPrefix(rest, "["); ok {
			end := strings.IndexByte(inner, ']')
			if end < 0 {
				return jail.HostPort{}, false
			}
			host = inner[:end]
		} else {
			host, _, _ = strings.Cut(rest, ":")
		}
	}
	// The host is one the jail takes (a name or an address without a
	// zone), else the remote has none the jail could grant and the
	// transfer gets no network.
	hp := jail.HostPort{Host: host, Port: port}
	if hp.Validate() != nil {
		return jail.HostPort{}, false
	}
	return hp, true
}
