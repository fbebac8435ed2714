package git

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Each test plants a command in a repository — a hook, a configuration
// key, an attribute-selected driver — that would create a marker file,
// shows with plain git that the plant works (the positive control), and
// then runs the server's tools and requires that no marker appears.

// marks is a directory that evil commands write markers into.
type marks struct {
	t   *testing.T
	dir string
}

func newMarks(t *testing.T) *marks {
	return &marks{t: t, dir: t.TempDir()}
}

// cmd is a shell command that creates the marker name.
func (m *marks) cmd(name string) string {
	return "touch " + shellQuote(filepath.Join(m.dir, name))
}

// script writes an executable script that creates the marker name and
// returns its path (for settings git runs without a shell).
func (m *marks) script(name string) string {
	p := filepath.Join(m.t.TempDir(), name+".sh")
	require.NoError(m.t, os.WriteFile(p, []byte("#!/bin/sh\n"+m.cmd(name)+"\nexit 1\n"), 0o755))
	return p
}

// list returns the markers present.
func (m *marks) list() []string {
	entries, err := os.ReadDir(m.dir)
	require.NoError(m.t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// none requires that no evil command ran.
func (m *marks) none(what string) {
	m.t.Helper()
	require.Empty(m.t, m.list(), "%s ran a planted command", what)
}

// control requires that plain git, run with args, does run a planted
// command — proving the plant is real — and clears the markers.
func (m *marks) control(dir string, args ...string) {
	m.t.Helper()
	_, _ = rawGitErr(m.t, dir, args...)
	require.NotEmpty(m.t, m.list(), "positive control: plain git %s should have run the planted command", strings.Join(args, " "))
	require.NoError(m.t, os.RemoveAll(m.dir))
	require.NoError(m.t, os.Mkdir(m.dir, 0o755))
}

// plantedFixture makes a fixture whose repository has a committed
// data.txt, then plants the configuration under test, changes data.txt (so
// that status, diff and add have work to do) and checks with control that
// plain git does run what was planted.
func plantedFixture(t *testing.T, plant func(m *marks, repo string), control []string) (*marks, *fixture) {
	t.Helper()
	m := newMarks(t)
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "data.txt", "data\n", "data")
	plant(m, f.repo)
	writeFile(t, filepath.Join(f.repo, "data.txt"), "changed\n")
	m.control(f.repo, control...)
	return m, f
}

var hookNames = []string{
	"applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
	"prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
	"pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
	"reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "post-index-change",
	"fsmonitor-watchman", "sendemail-validate",
}

// plantHooks installs every hook, each creating a marker named after it.
func plantHooks(t *testing.T, m *marks, hooksDir string) {
	require.NoError(t, os.MkdirAll(hooksDir, 0o755))
	for _, h := range hookNames {
		require.NoError(t, os.WriteFile(filepath.Join(hooksDir, h), []byte("#!/bin/sh\n"+m.cmd(h)+"\n"), 0o755))
	}
}

// exercise runs the tools that trigger hooks and drivers: commit, amend,
// checkout, merge, rebase, cherry-pick, stash, reset, status, diff, log.
// It only changes the repository through the server.
func exercise(t *testing.T, f *fixture) {
	t.Helper()
	writeFile(t, filepath.Join(f.repo, "work.txt"), "work\n")
	// These must succeed despite the plant: the server neutralises it
	// rather than refusing to work.
	f.ok("git_status", nil)
	f.ok("git_add", map[string]any{"paths": []any{"work.txt"}})
	f.ok("git_commit", map[string]any{"message": "work"})
	f.ok("git_commit", map[string]any{"message": "work amended", "amend": true})
	f.ok("git_checkout", map[string]any{"target": "side", "createBranch": true})
	writeFile(t, filepath.Join(f.repo, "side.txt"), "side\n")
	f.ok("git_commit", map[string]any{"message": "side work", "filesToStage": []any{"side.txt"}})
	f.ok("git_checkout", map[string]any{"target": "main"})
	f.ok("git_merge", map[string]any{"branch": "side", "noFastForward": true})
	f.ok("git_reset", map[string]any{"mode": "hard", "target": "HEAD~1", "confirmed": true})
	f.ok("git_cherry_pick", map[string]any{"commits": []any{"side"}})
	f.ok("git_rebase", map[string]any{"upstream": "side", "interactive": true})
	writeFile(t, filepath.Join(f.repo, "work.txt"), "changed\n")
	f.ok("git_diff", nil)
	f.ok("git_log", map[string]any{"patch": true, "maxCount": 3})
	f.ok("git_show", map[string]any{"object": "HEAD"})
	f.ok("git_stash", nil)
	f.ok("git_stash", map[string]any{"mode": "pop"})
	f.ok("git_worktree", map[string]any{"mode": "add", "worktreePath": filepath.Join(f.root, "wt"), "detach": true})
}

func TestHooksDoNotRun(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{AllowedProtocols: []string{"file"}})
	plantHooks(t, m, filepath.Join(f.repo, ".git", "hooks"))
	m.control(f.repo, "commit", "--allow-empty", "-m", "control")

	bare := withRemote(t, f)
	plantHooks(t, m, filepath.Join(bare, "hooks")) // the receiving side's hooks
	m.control(f.repo, "push", "origin", "HEAD:refs/heads/control")
	m.control(f.repo, "commit", "--allow-empty", "-m", "again") // the local hooks still work too

	exercise(t, f)
	f.call("git_push", map[string]any{"branch": "main", "remoteBranch": "pushed"})
	require.NotEmpty(t, rawGit(t, bare, "rev-parse", "--verify", "pushed"), "the push itself went through")
	f.call("git_pull", map[string]any{"remote": "origin", "branch": "main"})
	m.none("a hook")
}

func TestHooksPathInRepoConfigIsOverridden(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{})
	hooks := filepath.Join(f.root, "evil-hooks")
	plantHooks(t, m, hooks)
	rawGit(t, f.repo, "config", "core.hooksPath", hooks)
	m.control(f.repo, "commit", "--allow-empty", "-m", "control")
	exercise(t, f)
	m.none("core.hooksPath")
}

func TestEnableHooksRunsHooks(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{EnableHooks: true})
	plantHooks(t, m, filepath.Join(f.repo, ".git", "hooks"))
	f.ok("git_commit", map[string]any{"message": "with hooks", "allowEmpty": true})
	require.Contains(t, m.list(), "pre-commit", "EnableHooks lets hooks run")
}

func TestConfigDrivenCommandsDoNotRun(t *testing.T) {
	tests := []struct {
		name    string
		plant   func(m *marks, repo string) // configures the repository
		control []string                    // plain git command that runs the plant
	}{
		{"core.fsmonitor", func(m *marks, repo string) {
			rawGit(t, repo, "config", "core.fsmonitor", m.cmd("fsmonitor"))
		}, []string{"status"}},
		{"diff.external", func(m *marks, repo string) {
			rawGit(t, repo, "config", "diff.external", m.cmd("external"))
		}, []string{"diff"}},
		{"filter clean and smudge", func(m *marks, repo string) {
			commitFile(t, repo, ".gitattributes", "* filter=evil\n", "attributes")
			rawGit(t, repo, "config", "filter.evil.clean", m.cmd("clean")+"; cat")
			rawGit(t, repo, "config", "filter.evil.smudge", m.cmd("smudge")+"; cat")
			rawGit(t, repo, "config", "filter.evil.required", "true")
		}, []string{"add", "--renormalize", "."}},
		{"filter process", func(m *marks, repo string) {
			commitFile(t, repo, ".gitattributes", "* filter=proc\n", "attributes")
			rawGit(t, repo, "config", "filter.proc.process", m.cmd("process"))
		}, []string{"add", "--renormalize", "."}},
		{"filter with '=' in its name", func(m *marks, repo string) {
			commitFile(t, repo, ".gitattributes", "* filter=a=b\n", "attributes")
			rawGit(t, repo, "config", "filter.a=b.clean", m.cmd("eqclean")+"; cat")
		}, []string{"add", "--renormalize", "."}},
		{"diff textconv", func(m *marks, repo string) {
			commitFile(t, repo, ".gitattributes", "* diff=evil\n", "attributes")
			rawGit(t, repo, "config", "diff.evil.textconv", m.cmd("textconv")+"; cat")
		}, []string{"log", "-p", "-1"}},
		{"diff driver command", func(m *marks, repo string) {
			commitFile(t, repo, ".gitattributes", "* diff=ext\n", "attributes")
			rawGit(t, repo, "config", "diff.ext.command", m.cmd("diffcommand"))
		}, []string{"log", "-p", "-1", "--ext-diff"}},
		{"gpg.program with showSignature", func(m *marks, repo string) {
			rawGit(t, repo, "config", "gpg.program", m.script("gpg"))
			rawGit(t, repo, "config", "log.showSignature", "true")
			signedCommit(t, repo)
		}, []string{"log", "-1"}},
		{"gpg.ssh.program", func(m *marks, repo string) {
			rawGit(t, repo, "config", "gpg.ssh.program", m.script("sshkeygen"))
			rawGit(t, repo, "config", "gpg.format", "ssh")
			rawGit(t, repo, "config", "commit.gpgSign", "true")
			rawGit(t, repo, "config", "user.signingKey", "key::ssh-ed25519 AAAA")
		}, []string{"commit", "--allow-empty", "-m", "signed"}},
		{"commit.gpgSign", func(m *marks, repo string) {
			rawGit(t, repo, "config", "gpg.program", m.script("gpgsign"))
			rawGit(t, repo, "config", "commit.gpgSign", "true")
			rawGit(t, repo, "config", "tag.gpgSign", "true")
		}, []string{"commit", "--allow-empty", "-m", "signed"}},
		{"core.editor and sequence.editor", func(m *marks, repo string) {
			rawGit(t, repo, "config", "core.editor", m.cmd("editor")+";:")
			rawGit(t, repo, "config", "sequence.editor", m.cmd("seqeditor")+";:")
		}, []string{"commit", "--allow-empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, f := plantedFixture(t, tt.plant, tt.control)

			exercise(t, f)
			f.call("git_log", map[string]any{"showSignature": true, "maxCount": 2})
			f.call("git_blame", map[string]any{"filePath": "README"})
			f.call("git_tag", map[string]any{"mode": "create", "tagName": "t1", "message": "tag"})
			f.call("git_diff", map[string]any{"includeUntracked": true})
			m.none(tt.name)
		})
	}
}

// signedCommit adds a commit carrying a (bogus) PGP signature header, so
// that signature display runs gpg.program.
func signedCommit(t *testing.T, repo string) {
	tree := rawGit(t, repo, "rev-parse", "HEAD^{tree}")
	parent := rawGit(t, repo, "rev-parse", "HEAD")
	obj := fmt.Sprintf("tree %s\nparent %s\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n"+
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n", tree, parent)
	path := filepath.Join(t.TempDir(), "commit")
	require.NoError(t, os.WriteFile(path, []byte(obj), 0o644))
	h := rawGit(t, repo, "hash-object", "-t", "commit", "-w", path)
	rawGit(t, repo, "update-ref", "HEAD", h)
}

func TestMergeDriverDoesNotRun(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{})
	commitFile(t, f.repo, ".gitattributes", "*.txt merge=evil\n", "attributes")
	diverge(t, f.repo)
	rawGit(t, f.repo, "config", "merge.evil.driver", m.cmd("mergedriver")+"; false")
	m.control(f.repo, "merge", "theirs")
	rawGit(t, f.repo, "reset", "-q", "--hard")

	res := f.call("git_merge", map[string]any{"branch": "theirs"})
	require.True(t, res.IsError, "a merge needing the repository's own driver fails closed: %s", res.Text())
	f.call("git_merge", map[string]any{"abort": true})
	f.call("git_cherry_pick", map[string]any{"commits": []any{"theirs~1"}})
	f.call("git_cherry_pick", map[string]any{"abort": true})
	f.call("git_rebase", map[string]any{"upstream": "theirs"})
	f.call("git_rebase", map[string]any{"mode": "abort"})
	m.none("merge.<driver>.driver")
}

func TestSSHCommandDoesNotRun(t *testing.T) {
	m := newMarks(t)
	setup := func(f *fixture) {
		rawGit(t, f.repo, "config", "core.sshCommand", m.cmd("sshcommand"))
		rawGit(t, f.repo, "remote", "add", "origin", "ssh://git.example.invalid/repo.git")
	}
	f := newFixture(t, Options{})
	setup(f)
	m.control(f.repo, "fetch", "origin")

	require.Contains(t, f.fail("git_fetch", nil), "ssh transport")
	f.fail("git_push", nil)
	f.fail("git_pull", nil)
	m.none("core.sshCommand (ssh not allowed)")

	// With ssh allowed, the operator's command is used, never the repository's.
	f2 := newFixture(t, Options{AllowedProtocols: []string{"ssh"}, SSHCommand: "false"})
	setup(f2)
	f2.fail("git_fetch", nil)
	f2.fail("git_clone", map[string]any{"url": "ssh://git.example.invalid/repo.git", "path": "c"})
	m.none("core.sshCommand (ssh allowed)")
}

func TestUploadPackConfigDoesNotRun(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{AllowedProtocols: []string{"file"}})
	withRemote(t, f)
	rawGit(t, f.repo, "config", "remote.origin.uploadpack", m.cmd("uploadpack")+"; git-upload-pack")
	rawGit(t, f.repo, "config", "remote.origin.receivepack", m.cmd("receivepack")+"; git-receive-pack")
	m.control(f.repo, "fetch", "origin")
	m.control(f.repo, "push", "origin", "HEAD:refs/heads/control")

	f.ok("git_fetch", nil)
	f.call("git_pull", nil)
	f.ok("git_push", map[string]any{"branch": "main", "remoteBranch": "other"})
	m.none("remote.<name>.uploadpack/receivepack")
}

func TestRemoteHelperURLsDoNotRun(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{AllowedProtocols: []string{"https", "http", "ssh", "git", "file"}})
	evil := "ext::sh -c " + strings.ReplaceAll(m.cmd("ext"), " ", "% ")
	rawGit(t, f.repo, "remote", "add", "evil", evil)
	m.control(f.repo, "-c", "protocol.ext.allow=always", "fetch", "evil")

	require.Contains(t, f.fail("git_fetch", map[string]any{"remote": "evil"}), "remote helper")
	require.Contains(t, f.fail("git_clone", map[string]any{"url": evil, "path": "c"}), "remote helper")
	require.Contains(t, f.fail("git_remote", map[string]any{"mode": "add", "name": "e2", "url": evil}), "remote helper")
	f.fail("git_fetch", map[string]any{"remote": "fd::0"})
	f.fail("git_pull", map[string]any{"remote": evil})
	f.fail("git_push", map[string]any{"remote": evil})
	// Even if the server's own check were bypassed, git is told to refuse.
	res, err := f.s.exec(t.Context(), invocation{dir: f.repo, args: []string{"fetch", "evil"}, network: true})
	require.NoError(t, err)
	require.NotZero(t, res.code)
	require.Contains(t, string(res.stderr), "not allowed")
	m.none("ext:: remote")
}

func TestSubmoduleConfigDoesNotRun(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{})
	sub := newRepo(t, filepath.Join(f.root, "sub"))
	commitFile(t, sub, ".gitattributes", "* filter=evil\n", "attributes")
	rawGit(t, f.repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "s")
	rawGit(t, f.repo, "commit", "-q", "-m", "add submodule")
	rawGit(t, f.repo, "config", "-f", filepath.Join(f.repo, ".git", "modules", "s", "config"), "filter.evil.clean", m.cmd("subclean")+"; cat")
	rawGit(t, f.repo, "config", "submodule.s.ignore", "none")
	dirty := func() {
		p := filepath.Join(f.repo, "s", "README")
		writeFile(t, p, "dirty\n")
		old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		require.NoError(t, os.Chtimes(p, old, old))
	}
	dirty()
	m.control(f.repo, "status")
	dirty()
	m.control(f.repo, "add", "-u")

	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"git_status", nil}, {"git_diff", nil}, {"git_diff", map[string]any{"target": "HEAD"}},
		{"git_add", map[string]any{"update": true}}, {"git_add", map[string]any{"all": true}}, {"git_add", nil},
		{"git_commit", map[string]any{"message": "x", "allowEmpty": true}},
		{"git_stash", nil}, {"git_checkout", map[string]any{"target": "b", "createBranch": true}},
		{"git_reset", map[string]any{"mode": "hard", "confirmed": true}},
	} {
		dirty()
		f.call(call.tool, call.args)
		m.none(call.tool + " in a repository with a submodule")
	}
	m.none("a submodule's own configuration")
}

func TestRepositoryCannotEscapeTheRoots(t *testing.T) {
	f := newFixture(t, Options{})
	outside := newRepo(t, t.TempDir())

	t.Run("core.worktree outside", func(t *testing.T) {
		f := f.sub(t)
		repo := newRepo(t, filepath.Join(f.root, "wt-escape"))
		rawGit(t, repo, "config", "core.worktree", outside)
		writeFile(t, filepath.Join(outside, "precious.txt"), "keep me\n")
		for _, tool := range []string{"git_status", "git_clean", "git_add"} {
			f.fail(tool, map[string]any{"path": repo, "force": true})
		}
		require.FileExists(t, filepath.Join(outside, "precious.txt"))
	})
	t.Run("gitdir file pointing outside", func(t *testing.T) {
		f := f.sub(t)
		dir := filepath.Join(f.root, "gitfile")
		writeFile(t, filepath.Join(dir, ".git"), "gitdir: "+filepath.Join(outside, ".git")+"\n")
		require.Contains(t, f.fail("git_log", map[string]any{"path": dir}), "outside")
	})
	t.Run("repository above the root", func(t *testing.T) {
		parent := newRepo(t, t.TempDir())
		root := filepath.Join(parent, "sandbox")
		require.NoError(t, os.Mkdir(root, 0o755))
		s, err := New(Options{Roots: []string{root}})
		require.NoError(t, err)
		defer s.Close()
		g := &fixture{t: t, s: s, root: root}
		require.Contains(t, g.fail("git_status", map[string]any{"path": root}), "not in a git repository")
		require.Contains(t, g.fail("git_clean", map[string]any{"path": root, "force": true}), "not in a git repository")
	})
	t.Run("inside the .git directory", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.fail("git_status", map[string]any{"path": filepath.Join(f.repo, ".git")}), ".git directory")
	})
}

func TestRepositoryCannotSteerTransfers(t *testing.T) {
	f := newFixture(t, Options{AllowedProtocols: []string{"https", "file"}})
	withRemote(t, f)
	for _, kv := range [][2]string{
		{"http.proxy", "http://attacker.example:8080"},
		{"http.https://github.com/.sslCAInfo", "/tmp/attacker-ca.pem"},
		{"remote.origin.proxy", "http://attacker.example:8080"},
		{"http.curloptResolve", "github.com:443:203.0.113.1"},
	} {
		rawGit(t, f.repo, "config", kv[0], kv[1])
		require.Contains(t, f.fail("git_fetch", nil), "refused", kv[0])
		rawGit(t, f.repo, "config", "--unset", kv[0])
	}
	f.ok("git_fetch", nil)
}

func TestDashLeadingValuesAreRefused(t *testing.T) {
	m := newMarks(t)
	f := newFixture(t, Options{AllowedProtocols: []string{"file"}})
	withRemote(t, f)
	evil := "--upload-pack=" + m.cmd("dash")
	wt := filepath.Join(f.root, "wt")
	tests := []struct {
		tool string
		args map[string]any
	}{
		{"git_branch", map[string]any{"mode": "create", "branchName": evil}},
		{"git_branch", map[string]any{"mode": "create", "branchName": "ok", "startPoint": evil}},
		{"git_branch", map[string]any{"mode": "delete", "branchName": evil}},
		{"git_branch", map[string]any{"mode": "rename", "branchName": evil, "newBranchName": "x"}},
		{"git_branch", map[string]any{"mode": "rename", "newBranchName": evil}},
		{"git_branch", map[string]any{"merged": evil}},
		{"git_branch", map[string]any{"noMerged": evil}},
		{"git_checkout", map[string]any{"target": evil}},
		{"git_checkout", map[string]any{"target": evil, "createBranch": true}},
		{"git_cherry_pick", map[string]any{"commits": []any{evil}}},
		{"git_clone", map[string]any{"url": evil, "path": "c"}},
		{"git_clone", map[string]any{"url": filepath.Join(f.root, "remote.git"), "path": "c", "branch": evil}},
		{"git_diff", map[string]any{"target": evil}},
		{"git_diff", map[string]any{"source": evil, "target": "HEAD"}},
		{"git_fetch", map[string]any{"remote": evil}},
		{"git_init", map[string]any{"path": filepath.Join(f.root, "i"), "initialBranch": evil}},
		{"git_log", map[string]any{"branch": evil}},
		{"git_merge", map[string]any{"branch": evil}},
		{"git_pull", map[string]any{"remote": evil}},
		{"git_pull", map[string]any{"branch": evil}},
		{"git_push", map[string]any{"remote": evil}},
		{"git_push", map[string]any{"branch": evil}},
		{"git_push", map[string]any{"remoteBranch": evil}},
		{"git_rebase", map[string]any{"upstream": evil}},
		{"git_rebase", map[string]any{"upstream": "main", "branch": evil}},
		{"git_rebase", map[string]any{"upstream": "main", "onto": evil}},
		{"git_reflog", map[string]any{"ref": evil}},
		{"git_remote", map[string]any{"mode": "add", "name": evil, "url": filepath.Join(f.root, "remote.git")}},
		{"git_remote", map[string]any{"mode": "add", "name": "x", "url": evil}},
		{"git_remote", map[string]any{"mode": "rename", "name": "origin", "newName": evil}},
		{"git_remote", map[string]any{"mode": "get-url", "name": evil}},
		{"git_reset", map[string]any{"target": evil}},
		{"git_show", map[string]any{"object": evil}},
		{"git_stash", map[string]any{"mode": "apply", "stashRef": evil}},
		{"git_tag", map[string]any{"mode": "create", "tagName": evil}},
		{"git_tag", map[string]any{"mode": "create", "tagName": "t", "commit": evil}},
		{"git_tag", map[string]any{"mode": "delete", "tagName": evil}},
		{"git_worktree", map[string]any{"mode": "add", "worktreePath": wt, "branch": evil}},
		{"git_worktree", map[string]any{"mode": "add", "worktreePath": wt, "commitish": evil}},
		{"git_changelog_analyze", map[string]any{"reviewTypes": []any{"gaps"}, "sinceTag": evil}},
		{"git_changelog_analyze", map[string]any{"reviewTypes": []any{"gaps"}, "branch": evil}},
	}
	for _, tt := range tests {
		text := f.fail(tt.tool, tt.args)
		require.True(t, strings.Contains(text, "starts with '-'") || strings.Contains(text, "stashRef"),
			"%s %v: %s", tt.tool, tt.args, text)
	}
	m.none("a dash-leading argument")
}

// TestConfigIncludesAreRefused: a configuration that includes other files
// is refused outright (the server could not hold the set of files git
// reads still during the call), and nothing it names runs.
func TestConfigIncludesAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		plant   func(m *marks, repo string)
		control []string
	}{
		{"include.path", func(m *marks, repo string) {
			inc := filepath.Join(repo, ".git", "evil.cfg")
			writeFile(t, inc, fmt.Sprintf("[core]\n\tfsmonitor = %s\n[diff]\n\texternal = %s\n[filter \"inc\"]\n\tclean = %s; cat\n",
				m.cmd("inc-fsmonitor"), m.cmd("inc-external"), m.cmd("inc-clean")))
			commitFile(t, repo, ".gitattributes", "* filter=inc\n", "attributes")
			rawGit(t, repo, "config", "include.path", "evil.cfg")
		}, []string{"status"}},
		{"includeIf", func(m *marks, repo string) {
			inc := filepath.Join(repo, ".git", "evil-if.cfg")
			writeFile(t, inc, fmt.Sprintf("[core]\n\tfsmonitor = %s\n", m.cmd("includeif")))
			rawGit(t, repo, "config", "includeIf.onbranch:main.path", "evil-if.cfg")
		}, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, f := plantedFixture(t, tt.plant, tt.control)
			for _, tool := range []string{"git_status", "git_diff", "git_log"} {
				require.Contains(t, f.fail(tool, nil), "includes other files")
			}
			f.fail("git_add", map[string]any{"all": true})
			f.fail("git_commit", map[string]any{"message": "x", "allowEmpty": true})
			m.none(tt.name)
		})
	}
}
