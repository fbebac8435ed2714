package jail

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/credpaths"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// credentialPaths are the user's credential stores and the SDK's own
// configuration, relative to the home directory: the same list the policy
// engine protects (internal/credpaths), without linking the engine.
var credentialPaths = credpaths.List()

// CredentialPaths returns the credential stores no grant may cover unless
// Policy.AllowCredentials names them: ~/.ssh, ~/.gnupg, ~/.aws, ~/.azure,
// ~/.config/gcloud, ~/.kube, ~/.docker, ~/.netrc, ~/.git-credentials,
// ~/.config/gh, ~/.password-store, the keyrings, package-registry tokens
// and IronCurtain's own configuration. "~" stands for the user's home
// directory, both as $HOME says and as the password database says. The
// list is a copy.
//
// Landlock only allows, it cannot deny beneath an allowed directory, so
// these stores are protected by refusing any ReadOnly or ReadWrite entry
// that contains one (the home directory, "/") or lies inside one.
func CredentialPaths() []string { return slices.Clone(credentialPaths) }

// homes returns the directories "~" stands for: $HOME and the home
// directory of the user in the password database, when they differ.
func homes() []string {
	var out []string
	if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
		out = append(out, filepath.Clean(h))
	}
	if u, err := user.Current(); err == nil && filepath.IsAbs(u.HomeDir) {
		if h := filepath.Clean(u.HomeDir); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// checkCredentials refuses a grant that contains or lies inside a
// protected location. Both grants and protected locations are compared in
// their canonical form (and for a protected path also as written), case
// folded, so that neither a symbolic link nor a case-insensitive file
// system can be used to reach a store.
func checkCredentials(p Policy, homes []string, granted []string) error {
	for _, a := range p.AllowCredentials {
		if !slices.Contains(credentialPaths, a) {
			return fmt.Errorf("%w: AllowCredentials entry %q is not one of CredentialPaths", ErrPolicy, a)
		}
	}
	type guard struct{ name, path string }
	var guards []guard
	add := func(name, p string) {
		guards = append(guards, guard{name, p})
		if c, err := filepath.EvalSymlinks(p); err == nil && c != p {
			guards = append(guards, guard{name, c})
		}
	}
	for _, c := range credentialPaths {
		if slices.Contains(p.AllowCredentials, c) {
			continue
		}
		for _, h := range homes {
			add(c, filepath.Join(h, strings.TrimPrefix(c, "~/")))
		}
	}
	for _, x := range p.Protected {
		if err := checkPath(x); err != nil {
			return fmt.Errorf("%w: Protected entry %q: %v", ErrPolicy, x, err)
		}
		add(x, filepath.Clean(x))
	}
	for _, g := range granted {
		fg := realpath.Fold(g)
		for _, pr := range guards {
			fp := realpath.Fold(pr.path)
			if realpath.Within(fp, fg) || realpath.Within(fg, fp) {
				return fmt.Errorf("%w: %w: %q would expose %s (%s)", ErrPolicy, ErrCredentialPath, g, pr.name, pr.path)
			}
		}
	}
	return nil
}
