package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

var (
	A = ironcurtain.Allow
	D = ironcurtain.Deny
	E = ironcurtain.Escalate
)

// fixture loads testdata/fixture into the world with the given settings.
func (w world) fixture(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = w.home
	}
	e, err := Load(Files{
		Policy:      "testdata/fixture/compiled-policy.json",
		Annotations: "testdata/fixture/tool-annotations.json",
		Lists:       "testdata/fixture/dynamic-lists.json",
	}, cfg)
	require.NoError(t, err)
	return e
}

type semCase struct {
	name string
	c    ironcurtain.ToolCall
	want expect
}

func runCases(t *testing.T, e *Engine, cases []semCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, e, tc.c)
			require.Equal(t, tc.want.verdict.String(), d.Verdict.String(), "rule %s: %s", d.Rule, d.Reason)
			require.Equal(t, tc.want.rule, d.Rule, d.Reason)
		})
	}
}

func gitRepo(t testing.TB, dir, config string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".git", "objects"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".git", "refs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "config"), []byte(config), 0o644))
}

func TestPaths(t *testing.T) {
	w := newWorld(t,
		"outside/secrets/", "outside/secrets/s",
		"sandbox/to-outside -> $HOME/outside",
		"sandbox/dangling -> $HOME/outside/new.txt",
		"sandbox/dangling-ssh -> $HOME/.ssh/new_key",
		"sandbox/to-ssh -> $HOME/.ssh",
		"sandbox/etc-link -> /etc/ssl",
		"Downloads/d.txt",
	)
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	deep := strings.Repeat("n/", 70) + "f.txt"
	runCases(t, e, []semCase{
		{"sandbox read", call("filesystem", "read_file", "path", w.p("sandbox/notes.txt")), expect{A, RuleSandboxAllow}},
		{"relative path resolves against the sandbox", call("filesystem", "read_file", "path", "notes.txt"), expect{A, RuleSandboxAllow}},
		{"relative dotdot leaves the sandbox", call("filesystem", "read_file", "path", "../outside/data.txt"), expect{E, "escalate-read-outside"}},
		{"symlink out of the sandbox", call("filesystem", "read_file", "path", "to-outside/data.txt"), expect{E, "escalate-read-outside"}},
		{"gap 1: dangling symlink judged by its target", call("filesystem", "write_file", "path", "dangling", "content", "x"), expect{E, "escalate-write-outside"}},
		{"gap 1: dangling symlink into a protected path", call("filesystem", "write_file", "path", "dangling-ssh", "content", "x"), expect{D, RuleProtectedPath}},
		{"gap 2: deep missing tail under a symlink", call("filesystem", "write_file", "path", "to-outside/"+deep, "content", "x"), expect{E, "escalate-write-outside"}},
		{"gap 4: dotdot after a symlink", call("filesystem", "read_file", "path", "etc-link/../passwd"), expect{E, "escalate-read-outside"}},
		{"protected through a sandbox symlink", call("filesystem", "read_file", "path", "to-ssh/id_rsa"), expect{D, RuleProtectedPath}},
		{"gap 5: case variant of a protected path", call("filesystem", "read_file", "path", "~/.SSH/id_rsa"), expect{D, RuleProtectedPath}},
		{"rule within a directory", call("filesystem", "read_file", "path", "~/Downloads/d.txt"), expect{A, "allow-read-downloads"}},
		{"deny rule", call("filesystem", "read_file", "path", "~/outside/secrets/s"), expect{D, "deny-read-secrets-dir"}},
		{"sibling prefix is not within", call("filesystem", "read_file", "path", "~/Downloads-other/x"), expect{E, "escalate-read-outside"}},
		{"introspection", call("filesystem", "list_allowed_directories"), expect{A, RuleIntrospectionAllow}},
		{"introspection with an argument it does not describe is denied", call("filesystem", "list_allowed_directories", "x", 1), expect{D, RuleUnknownArgument}},
		{"a third-party server gets no sandbox containment", call("notes", "open_note", "path", w.p("sandbox/notes.txt")), expect{D, RuleDefaultDeny}},
		{"a third-party server follows its rules", call("notes", "open_note", "path", "~/Documents/report.txt"), expect{A, "allow-notes-read"}},
		{"history roles are sandbox-safe", call("git", "git_reset", "path", w.p("sandbox"), "mode", "hard"), expect{A, RuleSandboxAllow}},
		{"unknown tool", call("filesystem", "rm_rf"), expect{D, RuleUnknownTool}},
		{"unknown server", call("shell", "exec"), expect{D, RuleUnknownTool}},
	})

	t.Run("canonical arguments are what was judged", func(t *testing.T) {
		c := call("filesystem", "read_file", "path", "etc-link/../passwd")
		d := decide(t, e, c)
		real, err := filepath.EvalSymlinks("/etc/ssl")
		require.NoError(t, err)
		require.Equal(t, filepath.Join(filepath.Dir(real), "passwd"), d.Arguments["path"])
		require.Equal(t, "etc-link/../passwd", c.Arguments["path"], "the caller's arguments are untouched")
	})
}

func TestRelativePathWithoutSandboxIsDenied(t *testing.T) {
	w := newWorld(t)
	e := w.fixture(t, Config{})
	runCases(t, e, []semCase{
		{"relative", call("filesystem", "read_file", "path", "notes.txt"), expect{D, RuleUnresolvablePath}},
		{"absolute still works", call("filesystem", "read_file", "path", "~/Downloads/x"), expect{A, "allow-read-downloads"}},
	})
}

func TestProtectedPaths(t *testing.T) {
	t.Run("inside the sandbox stays protected (gap 3)", func(t *testing.T) {
		w := newWorld(t, "sandbox/.config/", "sandbox/.config/policy.json")
		e := w.fixture(t, Config{Sandbox: w.sandbox, Protected: []string{w.p("sandbox/.config")}})
		runCases(t, e, []semCase{
			{"protected file in sandbox", call("filesystem", "write_file", "path", ".config/policy.json", "content", "{}"), expect{D, RuleProtectedPath}},
			{"rest of the sandbox", call("filesystem", "write_file", "path", "other.txt", "content", "x"), expect{A, RuleSandboxAllow}},
		})
	})
	t.Run("a sandbox inside a protected tree is exempt, and only it", func(t *testing.T) {
		w := newWorld(t, "state/", "state/sessions/s1/", "state/config.json", "state/sessions/s1/link -> $HOME/state/config.json")
		sb := w.p("state/sessions/s1")
		e := w.fixture(t, Config{Sandbox: sb, Protected: []string{w.p("state")}})
		runCases(t, e, []semCase{
			{"own sandbox", call("filesystem", "write_file", "path", filepath.Join(sb, "x"), "content", "x"), expect{A, RuleSandboxAllow}},
			{"rest of the protected tree", call("filesystem", "read_file", "path", w.p("state/config.json")), expect{D, RuleProtectedPath}},
			{"symlink from the sandbox into the tree", call("filesystem", "read_file", "path", "link"), expect{D, RuleProtectedPath}},
		})
	})
	t.Run("a protected symlink re-pointed after load stays protected", func(t *testing.T) {
		w := newWorld(t, "keys1/", "keys1/k", "keys2/", "keys2/k", "keys -> $HOME/keys1")
		e := w.fixture(t, Config{Sandbox: w.sandbox, Protected: []string{"~/keys"}})
		require.Equal(t, D, decide(t, e, call("filesystem", "read_file", "path", "~/keys1/k")).Verdict, "the target at load")
		require.NoError(t, os.Remove(w.p("keys")))
		require.NoError(t, os.Symlink(w.p("keys2"), w.p("keys")))
		d := decide(t, e, call("filesystem", "read_file", "path", "~/keys/k"))
		require.Equal(t, D, d.Verdict, d.Rule)
		require.Equal(t, RuleProtectedPath, d.Rule)
	})
	t.Run("trusted servers bypass everything, as in IronCurtain", func(t *testing.T) {
		w := newWorld(t)
		e := w.fixture(t, Config{Sandbox: w.sandbox, Trusted: []string{"notes"}})
		d := decide(t, e, call("notes", "open_note", "path", "~/.ssh/id_rsa"))
		require.Equal(t, A, d.Verdict)
		require.Equal(t, RuleTrustedServer, d.Rule)
	})
	t.Run("the loaded policy files are protected", func(t *testing.T) {
		w := newWorld(t)
		e := w.fixture(t, Config{Sandbox: w.sandbox})
		abs, err := filepath.Abs("testdata/fixture/compiled-policy.json")
		require.NoError(t, err)
		d := decide(t, e, call("filesystem", "write_file", "path", abs, "content", "{}"))
		require.Equal(t, RuleProtectedPath, d.Rule)
	})
}

func TestRolesAndRules(t *testing.T) {
	w := newWorld(t, "Downloads/a", "Downloads/b", "Documents/wt/")
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	runCases(t, e, []semCase{
		{"per-element: sandbox and Downloads", call("filesystem", "read_multiple_files", "paths", []any{"notes.txt", "~/Downloads/a"}), expect{A, "allow-read-downloads"}},
		{"per-element: sandbox and elsewhere", call("filesystem", "read_multiple_files", "paths", []any{"notes.txt", "/etc/hostname"}), expect{E, "escalate-read-outside"}},
		{"per-element: a denied value denies", call("filesystem", "read_multiple_files", "paths", []any{"~/Documents/report.txt", "~/outside/secrets/s"}), expect{D, "deny-read-secrets-dir"}},
		{"per-element: equal verdicts keep the first value's rule", call("filesystem", "read_multiple_files", "paths", []any{"~/Downloads/a", "~/Documents/report.txt"}), expect{A, "allow-read-downloads"}},
		{"multi-role: the strictest role wins", call("filesystem", "move_file", "source", "~/Downloads/a", "destination", "~/Downloads/c"), expect{E, "escalate-move"}},
		{"conditional role: dry run only reads", call("filesystem", "edit_file", "path", "~/Documents/report.txt", "edits", []any{}, "dryRun", true), expect{A, "allow-read-documents"}},
		{"conditional role: equals is strict", call("filesystem", "edit_file", "path", "~/Documents/report.txt", "edits", []any{}, "dryRun", "true"), expect{E, "escalate-write-outside"}},
		{"is absent", call("flags", "toggle", "mode", "~/Documents/x"), expect{A, "flags-read"}},
		{"in", call("flags", "toggle", "mode", "~/Documents/x", "kind", "b"), expect{E, "flags-delete"}},
		{"equals string", call("flags", "toggle", "mode", "~/Documents/x", "kind", "true"), expect{D, RuleDefaultDeny}},
		{"is truthy", call("flags", "toggle", "mode", "~/Documents/x", "kind", "c", "flag", 1.0), expect{A, "flags-read"}},
		{"is truthy, falsy value", call("flags", "toggle", "mode", "~/Documents/x", "kind", "c", "flag", 0.0), expect{D, RuleDefaultDeny}},
		{"multi-role: a role without a rule denies", call("git", "git_worktree", "path", w.p("Documents/wt"), "mode", "add", "worktreePath", w.p("Documents/wt2")), expect{D, RuleDefaultDeny}},
		{"roles condition on an opaque-only tool", call("git", "git_branch", "branchName", "feature"), expect{E, "allow-branch-roles"}},
		{"lists on an opaque role", call("mail", "send_mail", "to", "BOB@example.com", "body", "hi"), expect{A, "allow-mail-team"}},
		{"lists on an opaque role, not in the list", call("mail", "send_mail", "to", "mallory@example.com", "body", "hi"), expect{D, RuleDefaultDeny}},
		{"opaque-role lists do not apply to tools with resource roles", call("mail", "attach_and_send", "to", "bob@example.com", "file", "~/Documents/report.txt"), expect{D, RuleDefaultDeny}},
		{"identifiers are lower-cased before matching", call("github", "get_repo", "owner", "Alice", "repo", "Project"), expect{A, "allow-github-own"}},
		{"identifiers: every list must hold", call("github", "get_repo", "owner", "alice", "repo", "other"), expect{D, RuleDefaultDeny}},
	})
	d := decide(t, e, call("filesystem", "move_file", "source", "~/Downloads/a", "destination", "~/Downloads/c"))
	require.Equal(t, []string{"delete-path"}, d.EscalatedRoles)
}

func TestURLs(t *testing.T) {
	w := newWorld(t)
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	never := []string{
		"http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
		"http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://localhost/", "http://LOCALHOST./",
		"http://foo.localhost/", "http://intranet/", "http://metadata.google.internal/computeMetadata/v1/",
		"http://169.254.169.254/", "http://10.0.0.1/", "http://192.168.1.1/", "http://[fe80::1]/",
		"https://ｌocalhost/", "http://printer.local/", "http://router.lan/", "http://1.2.3.4.5/",
		"https://evil.com\\@example.com/", "http://exa mple.com/", "http://%31%32%37.0.0.1/",
	}
	for _, u := range never {
		t.Run("never * "+u, func(t *testing.T) {
			d := decide(t, e, call("fetch", "http_fetch", "url", u))
			require.Equal(t, D, d.Verdict, "%s matched %s", u, d.Rule)
		})
	}
	runCases(t, e, []semCase{
		{"public name matches *", call("fetch", "http_fetch", "url", "https://example.com/page"), expect{A, "allow-fetch-star"}},
		{"userinfo does not fool the host", call("fetch", "http_fetch", "url", "https://example.com@localhost/"), expect{D, RuleDefaultDeny}},
		{"file URL", call("fetch", "http_fetch", "url", "file:///etc/passwd"), expect{D, RuleForbiddenURL}},
		{"data URL", call("fetch", "http_fetch", "url", "data:text/plain,hi"), expect{D, RuleForbiddenURL}},
		{"repo pattern", call("git", "git_push", "path", w.sandbox, "remote", "https://github.com/alice/project.git"), expect{A, "allow-push-to-own-repo"}},
		{"repo pattern, scp form", call("git", "git_push", "path", w.sandbox, "remote", "git@github.com:alice/project.git"), expect{A, "allow-push-to-own-repo"}},
		{"repo pattern, host case folds", call("git", "git_push", "path", w.sandbox, "remote", "https://GitHub.COM/alice/project"), expect{A, "allow-push-to-own-repo"}},
		{"repo pattern, owner case is kept", call("git", "git_push", "path", w.sandbox, "remote", "https://github.com/Alice/project"), expect{E, "escalate-git-push"}},
		{"other repo", call("git", "git_push", "path", w.sandbox, "remote", "https://github.com/alice/other"), expect{E, "escalate-git-push"}},
		{"ext transport", call("git", "git_push", "path", w.sandbox, "remote", "ext::sh -c id"), expect{D, RuleForbiddenURL}},
		{"fd transport", call("git", "git_push", "path", w.sandbox, "remote", "fd::3"), expect{D, RuleForbiddenURL}},
		{"option injection", call("git", "git_push", "path", w.sandbox, "remote", "--upload-pack=touch /tmp/x"), expect{D, RuleForbiddenURL}},
		{"scp host option injection", call("git", "git_clone", "url", "-oProxyCommand=x:y", "path", "r"), expect{D, RuleForbiddenURL}},
		{"list with manual additions", call("git", "git_clone", "url", "https://codeberg.org/o/r", "path", "r"), expect{A, "allow-clone-dev"}},
		{"list wildcard matches the bare domain", call("git", "git_clone", "url", "https://gitlab.com/o/r", "path", "r"), expect{A, "allow-clone-dev"}},
		{"list manual removal", call("git", "git_clone", "url", "https://evil.test/o/r", "path", "r"), expect{D, RuleDefaultDeny}},
		{"lists conditions see the raw URL, never its domain", call("git", "git_clone", "url", "https://example.org/o/r", "path", "r"), expect{D, RuleDefaultDeny}},
	})
}

func TestGitRemotes(t *testing.T) {
	w := newWorld(t)
	repo := w.p("sandbox/repo")
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	push := func(remote string) ironcurtain.ToolCall {
		if remote == "" {
			return call("git", "git_push", "path", repo)
		}
		return call("git", "git_push", "path", repo, "remote", remote)
	}
	cases := []struct {
		name, config, remote string
		want                 expect
	}{
		{"named remote", "[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n", "origin", expect{A, "allow-push-to-own-repo"}},
		{"push URL elsewhere", "[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n\tpushurl = https://evil.test/x\n", "origin", expect{E, "escalate-git-push"}},
		{"insteadOf rewrite", "[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n[url \"https://evil.test/\"]\n\tinsteadOf = https://github.com/\n", "origin", expect{E, "escalate-git-push"}},
		{"pushInsteadOf on an explicit URL", "[url \"https://evil.test/\"]\n\tpushInsteadOf = https://github.com/\n", "https://github.com/alice/project", expect{E, "escalate-git-push"}},
		{"include brings a push URL", "[include]\n\tpath = extra.cfg\n[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n", "origin", expect{D, RuleUnresolvablePath}}, // includes could set core.worktree: the repository is refused
		{"unknown remote name", "", "upstream", expect{E, "escalate-git-push"}},
		{"default remote from the branch", "[remote \"fork\"]\n\turl = https://github.com/alice/project\n[branch \"main\"]\n\tremote = fork\n", "", expect{A, "allow-push-to-own-repo"}},
		{"default remote includes a pushDefault elsewhere", "[remote \"origin\"]\n\turl = https://github.com/alice/project\n[remote \"evil\"]\n\turl = https://evil.test/x\n[remote]\n\tpushDefault = evil\n", "", expect{E, "escalate-git-push"}},
		{"legacy section syntax", "[remote.origin]\n\turl = https://github.com/alice/project\n", "origin", expect{A, "allow-push-to-own-repo"}},
		{"helper transport in config", "[remote \"origin\"]\n\turl = ext::sh -c id\n", "origin", expect{E, "escalate-git-push"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gitRepo(t, repo, tc.config)
			require.NoError(t, os.WriteFile(filepath.Join(repo, ".git", "extra.cfg"), []byte("[remote \"origin\"]\n\tpushurl = https://evil.test/y\n"), 0o644))
			d := decide(t, e, push(tc.remote))
			require.Equal(t, tc.want.verdict.String(), d.Verdict.String(), "%s: %s", d.Rule, d.Reason)
			require.Equal(t, tc.want.rule, d.Rule)
		})
	}
	t.Run("no enrichment outside the sandbox", func(t *testing.T) {
		docs := w.p("Documents/repo")
		gitRepo(t, docs, "[remote \"origin\"]\n\turl = https://github.com/alice/project\n")
		d := decide(t, e, call("git", "git_push", "path", docs))
		require.Equal(t, "escalate-git-push", d.Rule)
	})
	t.Run("server allowlist gate", func(t *testing.T) {
		gated := w.fixture(t, Config{Sandbox: w.sandbox, DomainAllowlists: map[string][]string{"git": {"gitlab.com"}}})
		gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://github.com/alice/project\n")
		d := decide(t, gated, push("origin"))
		require.Equal(t, E, d.Verdict)
		require.Equal(t, RuleDomainEscalate, d.Rule)
		require.Equal(t, []string{"git-remote-url"}, d.EscalatedRoles)
	})
	t.Run("the config is reread when it changes", func(t *testing.T) {
		gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://github.com/alice/project\n")
		require.Equal(t, A, decide(t, e, push("origin")).Verdict)
		gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://evil.test/project\n\n")
		require.Equal(t, E, decide(t, e, push("origin")).Verdict)
	})
}

func TestEvaluateLeavesArgumentsAlone(t *testing.T) {
	w := newWorld(t)
	e := w.fixture(t, Config{Sandbox: w.sandbox})
	args := map[string]any{"paths": []any{"notes.txt", 3.0, "~/Downloads/x"}}
	before := mustJSON(args)
	d := decide(t, e, ironcurtain.ToolCall{Server: "filesystem", Tool: "read_multiple_files", Arguments: args})
	require.Equal(t, before, mustJSON(args))
	got := d.Arguments["paths"].([]any)
	require.Equal(t, filepath.Join(w.sandbox, "notes.txt"), got[0])
	require.Equal(t, 3.0, got[1], "non-string elements are left as they are")
	require.Equal(t, w.p("Downloads/x"), got[2])
	require.Len(t, d.Resources, 2)

	d = decide(t, e, call("github", "get_repo", "owner", "Alice", "repo", "project"))
	require.Equal(t, "alice", d.Arguments["owner"])
	d = decide(t, e, call("fetch", "http_fetch", "url", "HTTPS://Example.COM/Path"))
	require.Equal(t, "https://example.com/Path", d.Arguments["url"])
	require.Equal(t, "example.com", d.Resources[0].Host)
}

// TestNoProcessIsSpawned puts a booby-trapped git first on PATH: resolving
// named and default remotes must read the repository's config, never run
// git (or anything else).
func TestNoProcessIsSpawned(t *testing.T) {
	w := newWorld(t)
	bin := t.TempDir()
	marker := filepath.Join(bin, "ran")
	trap := "#!/bin/sh\ntouch " + marker + "\nexit 0\n"
	for _, name := range []string{"git", "sh", "ssh"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(trap), 0o755))
	}
	t.Setenv("PATH", bin)
	repo := w.p("sandbox/repo")
	gitRepo(t, repo, "[remote \"origin\"]\n\turl = https://github.com/alice/project\n[branch \"main\"]\n\tremote = origin\n")
	e := w.fixture(t, Config{Sandbox: w.sandbox, DomainAllowlists: map[string][]string{"git": {"github.com"}}})
	for _, c := range []ironcurtain.ToolCall{
		call("git", "git_push", "path", repo, "remote", "origin"),
		call("git", "git_push", "path", repo),
		call("git", "git_push", "path", repo, "remote", "upstream"),
		call("git", "git_clone", "url", "https://github.com/a/b", "path", "b"),
	} {
		decide(t, e, c)
	}
	_, err := os.Stat(marker)
	require.True(t, os.IsNotExist(err), "the policy engine ran a program")
}
