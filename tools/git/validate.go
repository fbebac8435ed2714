package git

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Every value the agent supplies is checked here before git sees it, and
// then placed after --end-of-options or "--" where the git subcommand
// accepts them. A value starting with "-" is refused for every argument
// that is a revision, a ref, a remote or a URL, so that no subcommand can
// read it as an option even where --end-of-options is not honoured.

// maxArgLen bounds a single revision, ref or remote argument.
const maxArgLen = 1024

// checkRefName checks a name the tool creates as a ref (a branch, tag or
// remote name) against git's check-ref-format rules, plus no leading
// dash and no leading "+". what names the argument in the message.
func checkRefName(what, name string) error {
	if err := checkNotOption(what, name); err != nil {
		return err
	}
	if len(name) > 255 {
		return toolset.Failf("%s is longer than 255 bytes", what)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f {
			return toolset.Failf("%s %q contains a control character", what, name)
		}
		if strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return toolset.Failf("%s %q contains %q, which git does not allow in ref names", what, name, c)
		}
	}
	switch {
	case strings.HasPrefix(name, "+"):
		// In a refspec a leading "+" forces the update (git_push's
		// branch "+main" is a force push without force).
		return toolset.Failf("%s %q starts with \"+\", which git reads as a forced update", what, name)
	case name == "@":
		return toolset.Failf("%s may not be \"@\"", what)
	case strings.Contains(name, ".."):
		return toolset.Failf("%s %q contains \"..\"", what, name)
	case strings.Contains(name, "@{"):
		return toolset.Failf("%s %q contains \"@{\"", what, name)
	case strings.HasSuffix(name, "."):
		return toolset.Failf("%s %q ends with \".\"", what, name)
	}
	for comp := range strings.SplitSeq(name, "/") {
		switch {
		case comp == "":
			return toolset.Failf("%s %q has an empty path component", what, name)
		case strings.HasPrefix(comp, "."):
			return toolset.Failf("%s %q has a component starting with \".\"", what, name)
		case strings.HasSuffix(comp, ".lock"):
			return toolset.Failf("%s %q has a component ending with \".lock\"", what, name)
		}
	}
	return nil
}

// checkBranchName is checkRefName plus the names git reserves for
// branches.
func checkBranchName(what, name string) error {
	if err := checkRefName(what, name); err != nil {
		return err
	}
	if name == "HEAD" {
		return toolset.Failf("%s may not be \"HEAD\"", what)
	}
	return nil
}

// refCommand finishes cmd, a command that creates the ref name (checked
// already): --force when force is set, then name, then start when it is
// not empty, checked as the revision argument what.
func refCommand(cmd []string, force bool, name, what, start string) ([]string, error) {
	cmd = append(forceFlag(cmd, force), "--end-of-options", name)
	if start == "" {
		return cmd, nil
	}
	if err := checkRevision(what, start); err != nil {
		return nil, err
	}
	return append(cmd, start), nil
}

// forceFlag appends --force to cmd when force is set.
func forceFlag(cmd []string, force bool) []string {
	if force {
		return append(cmd, "--force")
	}
	return cmd
}

// checkRevision checks a revision the tool reads (a commit, branch, tag,
// "HEAD~2", "main@{1}", "v1.0^{/fix}"): not empty, not an option, no
// control characters.
func checkRevision(what, rev string) error {
	if err := checkNotOption(what, rev); err != nil {
		return err
	}
	if hasControl(rev) {
		return toolset.Failf("%s %q contains a control character", what, rev)
	}
	return nil
}

// checkNotOption refuses empty, over-long, NUL-holding and dash-leading
// values.
func checkNotOption(what, v string) error {
	switch {
	case v == "":
		return toolset.Failf("%s must not be empty", what)
	case strings.HasPrefix(v, "-"):
		return toolset.Failf("%s %q starts with '-', which git could read as an option; refused", what, v)
	case len(v) > maxArgLen:
		return toolset.Failf("%s is longer than %d bytes", what, maxArgLen)
	case strings.ContainsRune(v, 0):
		return toolset.Failf("%s contains NUL", what)
	}
	return nil
}

// checkPathspec checks a file path the agent names inside a repository.
// It always follows "--", so a leading dash is harmless there.
func checkPathspec(what, p string) error {
	switch {
	case p == "":
		return toolset.Failf("%s must not be empty", what)
	case strings.ContainsRune(p, 0):
		return toolset.Failf("%s contains NUL", what)
	case len(p) > 4096:
		return toolset.Failf("%s is longer than 4096 bytes", what)
	}
	return nil
}

// isURLish reports whether a remote argument is a URL or path rather than
// a configured remote's name (names cannot contain ':' or start with '/'
// or '.').
func isURLish(v string) bool {
	return strings.Contains(v, ":") || strings.HasPrefix(v, "/") || strings.HasPrefix(v, ".")
}

// urlProtocol classifies a remote URL by the transport git would use:
// "https", "http", "ssh", "git", "file", or "helper:<name>" for the
// "<transport>::<address>" form that runs the program git-remote-<name>.
func urlProtocol(u string) string {
	// git's own test: leading URL-scheme characters followed by "::".
	i := 0
	for i < len(u) && isSchemeChar(u[i], i == 0) {
		i++
	}
	if strings.HasPrefix(u[i:], "::") {
		return "helper:" + strings.ToLower(u[:i])
	}
	if strings.HasPrefix(u[i:], "://") && i > 0 {
		switch scheme := strings.ToLower(u[:i]); scheme {
		case "ssh", "git+ssh", "ssh+git":
			return "ssh"
		case "https", "http", "git", "file":
			return scheme
		default:
			return "helper:" + scheme
		}
	}
	// scp-like "[user@]host:path": a colon before any slash.
	if c := strings.IndexByte(u, ':'); c > 0 && !strings.Contains(u[:c], "/") {
		return "ssh"
	}
	return "file"
}

func isSchemeChar(c byte, first bool) bool {
	alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	if first {
		return alpha
	}
	return alpha || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

// checkURL checks a remote URL and returns its transport. ext::, fd:: and
// every other remote-helper form are refused outright; the rest must be
// among the allowed protocols. URLs carrying a password are refused: the
// server supplies credentials itself and keeps them out of configuration.
func checkURL(what, u string, allowed []string) (string, error) {
	if err := checkNotOption(what, u); err != nil {
		return "", err
	}
	if hasControl(u) {
		return "", toolset.Failf("%s contains a control character", what)
	}
	proto := urlProtocol(u)
	if helper, ok := strings.CutPrefix(proto, "helper:"); ok {
		return "", toolset.Failf("%s %q uses the %q remote helper, which runs a program; only plain transports are allowed", what, u, helper)
	}
	if !slices.Contains(allowed, proto) {
		list := "none"
		if len(allowed) > 0 {
			list = strings.Join(allowed, ", ")
		}
		return "", toolset.Failf("%s uses the %s transport, which this git server does not allow (allowed: %s)", what, proto, list)
	}
	switch proto {
	case "https", "http", "git", "ssh":
		host := u
		if strings.Contains(u, "://") {
			pu, err := url.Parse(u)
			if err != nil {
				return "", toolset.Failf("%s is not a valid URL: %v", what, err)
			}
			if _, hasPw := pu.User.Password(); hasPw {
				return "", toolset.Failf("%s carries a password; credentials are supplied by the server, never in URLs", what)
			}
			host = pu.Hostname()
		} else if at := strings.IndexByte(u, '@'); at >= 0 && at < strings.IndexByte(u, ':') {
			host = u[at+1:]
		}
		if host == "" || strings.HasPrefix(host, "-") {
			return "", toolset.Failf("%s has an empty host or one starting with '-'", what)
		}
	}
	return proto, nil
}

// redactURL hides the password of a URL's user information.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndexByte(rest, '@')
	slash := strings.IndexByte(rest, '/')
	if at < 0 || (slash >= 0 && slash < at) {
		return u
	}
	user, _, hasPw := strings.Cut(rest[:at], ":")
	if !hasPw {
		return u
	}
	return scheme + "://" + user + ":[redacted]" + rest[at:]
}
