package policy

import (
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/internal/credpaths"
)

// Config holds the engine settings that are not part of the compiled
// artifacts. The zero Config is valid and least privileged: no sandbox, the
// default protected paths, no trusted servers, no domain allowlists.
type Config struct {
	// Sandbox is the agent's own directory. Path arguments of the sandbox
	// servers that resolve inside it are allowed without consulting the
	// rules, and relative paths resolve against it. Empty means none, and
	// then a relative path is denied: there is nothing to resolve it
	// against.
	Sandbox string
	// SandboxServers are the servers whose paths inside the sandbox are
	// allowed structurally. Nil means the built-in "filesystem" and "git".
	SandboxServers []string
	// Protected paths are never touched — not read, written, listed or
	// traversed — by any call, inside the sandbox or out. "~" is expanded.
	// They come in addition to DefaultProtectedPaths and the artifact files
	// the engine was loaded from.
	Protected []string
	// OmitDefaultProtected leaves out DefaultProtectedPaths. Only for tests
	// and tools that compare with other engines.
	OmitDefaultProtected bool
	// DomainAllowlists maps a server to the domains its URL arguments may
	// name; a URL outside it escalates before any rule is consulted.
	// A server whose entry lists no domain has every URL escalated. Servers
	// without an entry are governed by the rules alone.
	DomainAllowlists map[string][]string
	// Trusted servers are allowed every call without evaluation.
	Trusted []string
	// Home is the directory "~" stands for. Empty means the user's home
	// directory.
	Home string
}

// DefaultProtectedPaths returns the user's credential stores and the SDK's own
// configuration, relative to the home directory ("~/..."): ~/.ssh, ~/.gnupg,
// ~/.aws, ~/.azure, ~/.config/gcloud, ~/.kube, ~/.docker, ~/.netrc, git and
// gh credentials, package-registry tokens, password stores and keyrings,
// and ~/.config/ironcurtain. The jail refuses to grant the same paths to
// tool servers. Each call returns a fresh slice: no package can widen what
// every engine protects by editing a shared variable.
func DefaultProtectedPaths() []string { return credpaths.List() }

// home returns the directory "~" stands for.
func (c Config) home() string {
	if c.Home != "" {
		return filepath.Clean(c.Home)
	}
	if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
		return filepath.Clean(h)
	}
	return "/nonexistent-home"
}

// expandTilde replaces a leading "~" or "~/" with home; "~user" and a "~"
// elsewhere are left alone.
func expandTilde(p, home string) string {
	switch {
	case p == "~":
		return home
	case len(p) >= 2 && p[0] == '~' && p[1] == '/':
		return home + p[1:]
	}
	return p
}
