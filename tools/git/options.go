package git

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/defaults"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// Options configures a [Server]. The zero value is valid and grants nothing:
// no directory, no network transport, no credentials, no hooks. Options are
// copied and validated once by [New].
type Options struct {
	// Roots are the directories the server may act in. A repository, clone
	// destination, worktree or working directory outside every root (after
	// symbolic links are resolved) is refused. Each root must exist.
	Roots []string
	// DefaultDir is the working directory that a path of "." means until
	// git_set_working_dir is called, and after git_clear_working_dir. It
	// defaults to the first root and must lie inside a root.
	DefaultDir string
	// Git is the path of the git program. Empty means "git" looked up in
	// PATH once, by New. Git 2.36 or newer is required.
	Git string

	// Vault supplies credentials for clone, fetch, pull and push over https.
	Vault ironcurtain.CredentialVault
	// Credentials maps a remote host, as git names it ("github.com", or
	// "127.0.0.1:8443" with a port), to the vault credential presented to
	// it. Hosts not listed get no credential.
	Credentials map[string]Credential

	// AllowedProtocols lists the transports git may use for clone, fetch,
	// pull and push: any of "https", "http", "ssh", "git" and "file". Nil
	// means "https" only. "ext" and "fd" can never be allowed. Tools other
	// than clone, fetch, pull and push run with every transport refused.
	AllowedProtocols []string
	// SSHCommand is the command git runs for ssh transports when "ssh" is
	// allowed. The default uses no ssh configuration file, never prompts and
	// only trusts host keys found in the server's own (empty) home
	// directory, so an operator who allows ssh sets this, for example to
	// "ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=/etc/agent/known_hosts -i /etc/agent/id_ed25519".
	// With Jail set and hooks off, git's jail executes no shell, so git
	// must run the ssh program directly: the default is replaced by the ssh
	// program alone (its options are what the jail enforces anyway), and
	// an SSHCommand with arguments of its own is refused by New; name the
	// program alone, and give the files it needs in Jail.ReadOnly.
	SSHCommand string

	// Timeout bounds every local git invocation; default 30s.
	Timeout time.Duration
	// NetworkTimeout bounds every clone, fetch, pull and push; default 120s.
	NetworkTimeout time.Duration
	// MaxOutput caps the standard output of one git invocation, in bytes;
	// default 4 MiB. Log, diff, show and blame output is cut at the cap and
	// marked as truncated; any other tool reports the cap as an error.
	MaxOutput int64

	// EnableHooks lets the repositories' own hooks run. It is off by
	// default: a hook is a program chosen by whoever wrote the repository.
	// With hooks on, a hook run during a push or fetch inherits that
	// invocation's environment, which carries the credential git presents
	// to the host; and git's jail no longer limits what may be executed
	// (hooks are usually shell scripts), so a filter, driver or helper the
	// repository names can run too, within the jail's file and network
	// rules.
	EnableHooks bool
	// Identity is the author and committer of the commits the agent makes,
	// unless git_commit names another author. Default "IronCurtain Agent"
	// <agent@ironcurtain.invalid>.
	Identity Identity
	// Jail, when set, runs every git invocation in a sandbox of its own
	// (package jail, Linux): the roots read-write; git's exec path,
	// the server's private directory and the CA files named in Env
	// read-only; no network, except for clone, fetch, pull and push, which
	// may connect only to the host and port (the transport's well-known
	// one by default) of each remote URL the call was checked against, so
	// that a URL git rewrites to another host cannot reach it, and to the
	// ssh agent's socket (SSH_AUTH_SOCK in Env). Unless EnableHooks is
	// set, only git and its exec path may be executed (and the ssh program
	// when "ssh" is allowed, /bin/sh when "file" is). The Policy given adds
	// to that — for example the key and known-hosts files an SSHCommand
	// names, or in Connect a proxy's host — and decides Unsandboxed and
	// Accept; its Env is ignored (git's environment is fixed), and so is
	// ConnectTCP, which would open ports on every host. Its Protected
	// paths that lie inside a root are masked (jail.Policy.Masked: git can
	// neither read, list, write, rename nor delete them, nor create one
	// that does not exist yet); the others no grant may hold. New fails
	// when the kernel cannot enforce the jail; git's exec path and the
	// jailed git's version are checked at the first git call, once, and a
	// failure there fails every call.
	Jail *jail.Policy

	// RunAs, when set, runs every git invocation as this user and group
	// (no supplementary groups) instead of as this process, which must then
	// be root. Docker Mode needs it: the workspace belongs to the agent's
	// user, and git run as root in its jail, without capabilities, could
	// neither write there nor leave what it makes to that user. The
	// server's private directory is then made searchable, never writable,
	// by that user. Unix only.
	RunAs *User

	// Env adds variables to git's otherwise fixed environment, for example
	// GIT_SSL_CAINFO, HTTPS_PROXY or SSH_AUTH_SOCK. Variables the server
	// sets itself, GIT_* variables other than GIT_SSL_CAINFO, GIT_SSL_CAPATH
	// and GIT_HTTP_USER_AGENT, and loader variables (LD_*, DYLD_*) are
	// refused.
	Env map[string]string
}

// Credential names the vault credential presented to one host.
type Credential struct {
	// Name is the credential's name in the vault.
	Name string
	// Username is sent with the credential as the password; default
	// "x-access-token", which GitHub and most forges accept for tokens.
	Username string
}

// User is a numeric user and group to run git as.
type User struct {
	UID, GID int
}

// Identity is a git author or committer.
type Identity struct {
	Name  string
	Email string
}

// Defaults applied by New.
const (
	defaultSSHCommand     = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes"
	defaultTimeout        = 30 * time.Second
	defaultNetworkTimeout = 120 * time.Second
	defaultMaxOutput      = 4 << 20
	defaultUsername       = "x-access-token"
	defaultIdentityName   = "IronCurtain Agent"
	defaultIdentityEmail  = "agent@ironcurtain.invalid"
)

// knownProtocols are the transports AllowedProtocols may name.
var knownProtocols = []string{"https", "http", "ssh", "git", "file"}

// allowedEnvGit are the GIT_* variables Options.Env may set.
var allowedEnvGit = []string{"GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "GIT_HTTP_USER_AGENT"}

// config is Options after validation, with defaults filled in.
type config struct {
	roots       []string // canonical
	givenRoots  []string // as given, cleaned
	defaultDir  string   // canonical, "" when there are no roots
	git         string   // absolute
	vault       ironcurtain.CredentialVault
	creds       map[string]Credential // lower-cased hosts
	protocols   []string
	sshCommand  string
	timeout     time.Duration
	netTimeout  time.Duration
	maxOutput   int64
	enableHooks bool
	identity    Identity
	env         []string // sorted KEY=value
	runAs       *User
}

func (o Options) validate() (*config, error) {
	c := &config{
		vault:       o.Vault,
		sshCommand:  o.SSHCommand,
		timeout:     o.Timeout,
		netTimeout:  o.NetworkTimeout,
		maxOutput:   o.MaxOutput,
		enableHooks: o.EnableHooks,
		identity:    o.Identity,
	}
	for _, r := range o.Roots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("git: root %q is not an absolute path", r)
		}
		canon, _, err := realpath.Resolve(r, nil)
		if err != nil {
			return nil, fmt.Errorf("git: root %q: %w", r, err)
		}
		if fi, err := os.Stat(canon); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("git: root %q is not a directory", r)
		}
		c.roots = append(c.roots, filepath.Clean(canon))
		c.givenRoots = append(c.givenRoots, filepath.Clean(r))
	}
	switch {
	case o.DefaultDir != "":
		canon, err := canonical(o.DefaultDir)
		if err != nil {
			return nil, fmt.Errorf("git: default directory: %w", err)
		}
		if !withinAny(c.roots, canon) {
			return nil, fmt.Errorf("git: default directory %q is outside every root", o.DefaultDir)
		}
		c.defaultDir = canon
	case len(c.roots) > 0:
		c.defaultDir = c.roots[0]
	}

	gitPath := o.Git
	if gitPath == "" {
		gitPath = "git"
	}
	p, err := exec.LookPath(gitPath)
	if err != nil {
		return nil, fmt.Errorf("git: the git program is required: %w", err)
	}
	if c.git, err = filepath.Abs(p); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}

	if len(o.Credentials) > 0 && o.Vault == nil {
		return nil, errors.New("git: Credentials need a Vault")
	}
	c.creds = make(map[string]Credential, len(o.Credentials))
	for host, cr := range o.Credentials {
		h := strings.ToLower(host)
		if h == "" || strings.ContainsAny(h, "/@ \t\r\n") || hasControl(h) {
			return nil, fmt.Errorf("git: credential host %q is not a host name", host)
		}
		if cr.Name == "" {
			return nil, fmt.Errorf("git: credential for %q has no vault name", host)
		}
		if cr.Username == "" {
			cr.Username = defaultUsername
		}
		if strings.ContainsAny(cr.Username, "\n\x00") {
			return nil, fmt.Errorf("git: credential username for %q contains a newline or NUL", host)
		}
		c.creds[h] = cr
	}

	if o.AllowedProtocols == nil {
		c.protocols = []string{"https"}
	}
	for _, p := range o.AllowedProtocols {
		p = strings.ToLower(p)
		if p == "ext" || p == "fd" {
			return nil, fmt.Errorf("git: protocol %q runs arbitrary commands and cannot be allowed", p)
		}
		if !slices.Contains(knownProtocols, p) {
			return nil, fmt.Errorf("git: unknown protocol %q (want %s)", p, strings.Join(knownProtocols, ", "))
		}
		if !slices.Contains(c.protocols, p) {
			c.protocols = append(c.protocols, p)
		}
	}
	slices.Sort(c.protocols)
	if c.sshCommand == "" {
		c.sshCommand = defaultSSHCommand
	}
	if hasControl(c.sshCommand) {
		return nil, errors.New("git: SSHCommand contains a control character")
	}

	defaults.Positive(&c.timeout, defaultTimeout)
	defaults.Positive(&c.netTimeout, defaultNetworkTimeout)
	defaults.Positive(&c.maxOutput, defaultMaxOutput)
	if c.identity.Name == "" {
		c.identity.Name = defaultIdentityName
	}
	if c.identity.Email == "" {
		c.identity.Email = defaultIdentityEmail
	}
	if err := validateIdentity(c.identity); err != nil {
		return nil, fmt.Errorf("git: identity: %w", err)
	}

	for k, v := range o.Env {
		if err := checkExtraEnv(k, v); err != nil {
			return nil, err
		}
		c.env = append(c.env, k+"="+v)
	}
	slices.Sort(c.env)
	if o.RunAs != nil {
		u := *o.RunAs
		if u.UID <= 0 || u.GID <= 0 {
			return nil, fmt.Errorf("git: RunAs %d:%d: want a user and group other than root", u.UID, u.GID)
		}
		if !canRunAs {
			return nil, errors.New("git: RunAs is not supported on this system")
		}
		switch os.Geteuid() {
		case 0:
			c.runAs = &u
		case u.UID: // git runs as this user already
		default:
			return nil, fmt.Errorf("git: RunAs %d:%d needs root", u.UID, u.GID)
		}
	}
	return c, nil
}

// checkExtraEnv refuses an Options.Env entry that would undo the hardening.
func checkExtraEnv(k, v string) error {
	switch {
	case k == "" || strings.ContainsAny(k, "=\x00") || hasControl(k):
		return fmt.Errorf("git: Env key %q is not a variable name", k)
	case strings.Contains(v, "\x00"):
		return fmt.Errorf("git: Env value of %s contains NUL", k)
	case slices.Contains(fixedEnvKeys, k):
		return fmt.Errorf("git: Env may not set %s, which the server fixes", k)
	case strings.HasPrefix(k, "GIT_") && !slices.Contains(allowedEnvGit, k):
		return fmt.Errorf("git: Env may not set %s (allowed GIT_ variables: %s)", k, strings.Join(allowedEnvGit, ", "))
	case strings.HasPrefix(k, "LD_") || strings.HasPrefix(k, "DYLD_"):
		return fmt.Errorf("git: Env may not set loader variable %s", k)
	}
	return nil
}

// validateIdentity refuses names and e-mail addresses git would misread.
func validateIdentity(id Identity) error {
	for _, s := range []string{id.Name, id.Email} {
		if strings.TrimSpace(s) == "" {
			return errors.New("name and email must not be empty")
		}
		if hasControl(s) || strings.ContainsAny(s, "<>") {
			return fmt.Errorf("%q contains a control character, '<' or '>'", s)
		}
	}
	return nil
}

// hasControl reports whether s holds an ASCII control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
