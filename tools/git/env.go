package git

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// configEntry is one configuration override. Overrides reach git through
// GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n rather than "-c":
// they have the same (command-line) precedence over every configuration
// file, and unlike "-c key=value" they keep key and value apart, so a
// subsection name containing "=" (filter "a=b") is overridden exactly.
type configEntry struct{ key, value string }

// fixedEnvKeys are the variables the server sets on every invocation;
// Options.Env may not set them.
var fixedEnvKeys = []string{
	"HOME", "XDG_CONFIG_HOME", "PATH", "LC_ALL", "LANG", "TERM",
	"PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE",
	"GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_ATTR_NOSYSTEM",
	"GIT_TERMINAL_PROMPT", "GIT_ASKPASS", "GIT_PAGER", "GIT_EDITOR",
	"GIT_SEQUENCE_EDITOR", "GIT_OPTIONAL_LOCKS", "GIT_PROTOCOL_FROM_USER",
	"GIT_ALLOW_PROTOCOL", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_SSH_VARIANT", "GIT_PROXY_COMMAND",
	"GIT_TEMPLATE_DIR", "GIT_NO_LAZY_FETCH", "GIT_CEILING_DIRECTORIES",
	"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
	"GIT_COMMITTER_EMAIL", "GIT_CONFIG_COUNT",
}

// baseEnv returns the environment shared by every invocation. It is built
// from nothing: no variable of the host process reaches git.
func (s *Server) baseEnv() []string {
	c := s.cfg
	ssh := "false" // a refusing command: ssh transports are not allowed
	if slices.Contains(c.protocols, "ssh") {
		ssh = c.sshCommand
	}
	pathDirs := []string{filepath.Dir(c.git), "/usr/bin", "/bin"}
	env := []string{
		"HOME=" + s.home,
		"XDG_CONFIG_HOME=" + filepath.Join(s.home, ".config"),
		"PATH=" + strings.Join(slices.Compact(pathDirs), string(filepath.ListSeparator)),
		"LC_ALL=C",
		"LANG=C",
		"TERM=dumb",
		"PAGER=cat",
		"EDITOR=:",
		"VISUAL=:",
		"SSH_ASKPASS_REQUIRE=never",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		// Empty, not unset: git then skips core.askPass and SSH_ASKPASS too.
		"GIT_ASKPASS=",
		"GIT_PAGER=cat",
		// ":" is special to git: the editor is not started at all.
		"GIT_EDITOR=:",
		"GIT_SEQUENCE_EDITOR=:",
		"GIT_OPTIONAL_LOCKS=0",
		"GIT_PROTOCOL_FROM_USER=0",
		"GIT_SSH_COMMAND=" + ssh,
		// The options git passes are OpenSSH's, whatever the command's name.
		"GIT_SSH_VARIANT=ssh",
		// Empty: git then ignores core.gitProxy from any configuration.
		"GIT_PROXY_COMMAND=",
		"GIT_TEMPLATE_DIR=" + s.templates,
		"GIT_NO_LAZY_FETCH=1",
		"GIT_AUTHOR_NAME=" + c.identity.Name,
		"GIT_AUTHOR_EMAIL=" + c.identity.Email,
		"GIT_COMMITTER_NAME=" + c.identity.Name,
		"GIT_COMMITTER_EMAIL=" + c.identity.Email,
	}
	return append(env, c.env...)
}

// staticConfig returns the overrides applied to every invocation,
// whatever the repository's configuration says.
func (s *Server) staticConfig() []configEntry {
	c := s.cfg
	ssh := "false"
	if slices.Contains(c.protocols, "ssh") {
		ssh = c.sshCommand
	}
	var cfg []configEntry
	if !c.enableHooks {
		cfg = append(cfg, configEntry{"core.hooksPath", s.hooks})
	}
	return append(cfg, []configEntry{
		{"core.fsmonitor", "false"},
		{"core.sshCommand", ssh},
		{"core.pager", "cat"},
		{"core.editor", ":"},
		{"sequence.editor", ":"},
		{"core.askPass", ""},
		{"core.attributesFile", "/dev/null"},
		// An empty value clears every helper configured so far, including
		// credential.<url>.helper entries; the SDK's own helper, when
		// any, is added after it.
		{"credential.helper", ""},
		{"protocol.allow", "never"},
		{"protocol.ext.allow", "never"},
		{"protocol.fd.allow", "never"},
		{"uploadpack.packObjectsHook", ""},
		{"submodule.recurse", "false"},
		// Checking a submodule for uncommitted changes runs git inside it,
		// under the submodule's own configuration, which the key scan of
		// the superproject does not see. "dirty" still reports a
		// submodule whose commit changed, without entering it.
		{"diff.ignoreSubmodules", "dirty"},
		{"fetch.recurseSubmodules", "false"},
		{"push.recurseSubmodules", "no"},
		{"gpg.program", ""},
		{"gpg.openpgp.program", ""},
		{"gpg.x509.program", ""},
		{"gpg.ssh.program", ""},
		{"gpg.ssh.defaultKeyCommand", ""},
		{"commit.gpgSign", "false"},
		{"tag.gpgSign", "false"},
		{"tag.forceSignAnnotated", "false"},
		{"push.gpgSign", "false"},
		{"log.showSignature", "false"},
		{"blame.ignoreRevsFile", ""},
		{"http.followRedirects", "false"},
		{"http.saveCookies", "false"},
		{"http.sslVerify", "true"},
		{"gc.auto", "0"},
		{"gc.autoDetach", "false"},
		{"maintenance.auto", "false"},
		{"color.ui", "false"},
		{"i18n.logOutputEncoding", "UTF-8"},
		{"init.defaultBranch", "main"},
		// The owner check guards against a repository planted above the
		// directory git was started in. Discovery is bounded by
		// GIT_CEILING_DIRECTORIES to the root, every repository location is
		// checked against the roots, and configuration-driven programs are
		// neutralised, so the check would only refuse sandboxes owned by
		// another user (a container's), which is the normal case here.
		{"safe.directory", "*"},
	}...)
}

// protocolConfig allows the given transports (none for local tools).
func protocolConfig(protocols []string) []configEntry {
	cfg := make([]configEntry, 0, len(protocols))
	for _, p := range protocols {
		cfg = append(cfg, configEntry{"protocol." + p + ".allow", "always"})
	}
	return cfg
}

// configEnv renders overrides as GIT_CONFIG_COUNT variables.
func configEnv(entries []configEntry) []string {
	env := make([]string, 0, 2*len(entries)+1)
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(entries)))
	for i, e := range entries {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+e.key, "GIT_CONFIG_VALUE_"+n+"="+e.value)
	}
	return env
}

// shellQuote quotes s for the POSIX shell git runs helper commands with.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
