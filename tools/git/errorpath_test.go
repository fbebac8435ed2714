package git

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requiredArgs are the arguments each tool needs besides path, chosen so
// that the call gets as far as the repository.
var requiredArgs = map[string]map[string]any{
	"git_blame":             {"filePath": "README"},
	"git_changelog_analyze": {"reviewTypes": []any{"security"}},
	"git_checkout":          {"target": "main"},
	"git_clone":             {"url": "https://example.invalid/r.git"},
	"git_commit":            {"message": "m", "allowEmpty": true},
	"git_show":              {"object": "HEAD"},
	"git_cherry_pick":       {"commits": []any{"HEAD"}},
	"git_merge":             {"branch": "main"},
	"git_rebase":            {"upstream": "main"},
}

// badRefArgs name, per tool, arguments that refer to something the
// repository does not have, so that git fails and says why.
var badRefArgs = map[string]map[string]any{
	"git_blame":       {"filePath": "nosuch.txt"},
	"git_branch":      {"mode": "create", "branchName": "b", "startPoint": "nosuchref"},
	"git_checkout":    {"target": "nosuchref"},
	"git_cherry_pick": {"commits": []any{"nosuchref"}},
	"git_diff":        {"target": "nosuchref"},
	"git_log":         {"branch": "nosuchref"},
	"git_merge":       {"branch": "nosuchref"},
	"git_rebase":      {"upstream": "nosuchref"},
	"git_reflog":      {"ref": "nosuchref"},
	"git_reset":       {"mode": "hard", "target": "nosuchref", "confirmed": true},
	"git_show":        {"object": "nosuchref"},
	"git_stash":       {"mode": "apply", "stashRef": "stash@{9}"},
	"git_tag":         {"mode": "create", "tagName": "t", "commit": "nosuchref"},
	"git_worktree":    {"mode": "add", "worktreePath": "wt", "commitish": "nosuchref"},
	"git_remote":      {"mode": "remove", "name": "nosuchremote"},
	"git_push":        {"remote": "nosuchremote"},
	"git_fetch":       {"remote": "nosuchremote"},
	"git_pull":        {"remote": "nosuchremote"},
}

// osErrorTexts are the texts of operating-system errors as Go prints them
// (errno texts, the operation names of *os.PathError). git's own messages
// print errno texts capitalised, through strerror: those are git's stderr,
// which is kept (with host paths redacted), so the check is
// case-sensitive.
var osErrorTexts = []string{
	"no such file or directory", "permission denied", "not a directory", "too many levels of symbolic links",
	"lstat ", "stat ", "readlink ", "open ", "evalsymlinks",
}

// TestErrorsShowNoHostPathsOrOSErrors calls every tool on every kind of
// bad path and bad reference, and checks that what the agent is shown
// names no host path outside the roots that it did not write itself (the directory a symlink escapes
// to, the server's private directory, git's installation, the process's
// home) and no raw operating-system error.
func TestErrorsShowNoHostPathsOrOSErrors(t *testing.T) {
	f := newFixture(t, Options{})
	outside, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	outside = filepath.Join(outside, "hidden-host-dir")
	outRepo := newRepo(t, filepath.Join(outside, "repo"))

	root := f.root
	writeFile(t, filepath.Join(root, "afile"), "x\n")
	require.NoError(t, os.Mkdir(filepath.Join(root, "plain"), 0o755))
	require.NoError(t, os.Symlink(outRepo, filepath.Join(root, "link")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "gone"), filepath.Join(root, "dangling")))
	require.NoError(t, os.Symlink("loop2", filepath.Join(root, "loop1")))
	require.NoError(t, os.Symlink("loop1", filepath.Join(root, "loop2")))
	// A .git file naming a git directory outside the roots, one that does
	// not exist and one that does.
	writeFile(t, filepath.Join(root, "gitfile", ".git"), "gitdir: "+filepath.Join(outside, "missing")+"\n")
	writeFile(t, filepath.Join(root, "gitfile2", ".git"), "gitdir: "+filepath.Join(outRepo, ".git")+"\n")
	// A repository borrowing objects from outside the roots.
	alt := newRepo(t, filepath.Join(root, "alt"))
	writeFile(t, filepath.Join(alt, ".git", "objects", "info", "alternates"), filepath.Join(outRepo, ".git", "objects")+"\n")
	// A repository whose origin is a directory outside the roots.
	withRemote := newRepo(t, filepath.Join(root, "withremote"))
	rawGit(t, withRemote, "remote", "add", "origin", filepath.Join(outside, "nosuch.git"))

	forbidden := []string{outside, f.s.base}
	if p, err := exec.Command("git", "--exec-path").Output(); err == nil {
		forbidden = append(forbidden, strings.TrimSpace(string(p)))
	}
	if h, err := os.UserHomeDir(); err == nil && h != "/" && !within(h, root) {
		forbidden = append(forbidden, h+"/")
	}

	paths := map[string]string{
		"missing":        filepath.Join(root, "missing", "deeper"),
		"under-a-file":   filepath.Join(root, "afile", "sub"),
		"symlink-out":    filepath.Join(root, "link"),
		"symlink-out-in": filepath.Join(root, "link", "sub"),
		"dangling":       filepath.Join(root, "dangling"),
		"loop":           filepath.Join(root, "loop1"),
		"not-a-repo":     filepath.Join(root, "plain"),
		"gitfile-out":    filepath.Join(root, "gitfile"),
		"gitfile-out2":   filepath.Join(root, "gitfile2"),
		"alternates-out": alt,
		"outside":        outRepo,
		"relative-up":    "../../../../../../../../../etc",
		"nul":            root + "/a\x00b",
	}
	check := func(t *testing.T, tool string, args map[string]any) {
		t.Helper()
		res := f.sub(t).call(tool, args)
		// What the agent wrote it may be shown again.
		text := strings.ReplaceAll(res.Text(), args["path"].(string), "[the path given]")
		for _, bad := range forbidden {
			require.NotContains(t, text, bad, "%s %v shows a host path outside the roots", tool, args)
		}
		for _, bad := range osErrorTexts {
			require.NotContains(t, text, bad, "%s %v shows an OS error", tool, args)
		}
	}
	for _, want := range surface {
		if noPathTools[want.name] {
			continue
		}
		t.Run(want.name, func(t *testing.T) {
			for kind, p := range paths {
				args := map[string]any{"path": p}
				for k, v := range requiredArgs[want.name] {
					args[k] = v
				}
				if want.name == "git_clone" {
					args["path"] = filepath.Join(p, "dest")
				}
				t.Run(kind, func(t *testing.T) { check(t, want.name, args) })
			}
			if bad, ok := badRefArgs[want.name]; ok {
				for _, repo := range []string{f.repo, withRemote} {
					args := map[string]any{"path": repo}
					for k, v := range bad {
						args[k] = v
					}
					t.Run("bad-ref", func(t *testing.T) { check(t, want.name, args) })
				}
			}
		})
	}
	t.Run("git_set_working_dir/relative", func(t *testing.T) {
		check(t, "git_set_working_dir", map[string]any{"path": "link"})
	})
}

// TestInitRefusesGitFileOutside checks that git_init does not reinitialise
// a repository outside the roots that a .git file inside them names.
func TestInitRefusesGitFileOutside(t *testing.T) {
	f := newFixture(t, Options{})
	outside, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	outRepo := newRepo(t, filepath.Join(outside, "repo"))
	dir := filepath.Join(f.root, "gitfile")
	writeFile(t, filepath.Join(dir, ".git"), "gitdir: "+filepath.Join(outRepo, ".git")+"\n")
	before, err := os.Stat(filepath.Join(outRepo, ".git", "config"))
	require.NoError(t, err)
	for _, args := range []map[string]any{{"path": dir}, {"path": dir, "initializeIfNotPresent": true}} {
		tool := "git_init"
		if len(args) > 1 {
			tool = "git_set_working_dir"
		}
		text := f.fail(tool, args)
		require.Contains(t, text, "outside the allowed directory")
		require.NotContains(t, text, outside)
	}
	after, err := os.Stat(filepath.Join(outRepo, ".git", "config"))
	require.NoError(t, err)
	require.Equal(t, before.ModTime(), after.ModTime())
}

func TestRedactHostPaths(t *testing.T) {
	f := newFixture(t, Options{})
	root := f.root
	for _, c := range []struct{ in, want string }{
		{"fatal: not a git repository: /etc/x", "fatal: not a git repository: " + hostPathMarker},
		{"cannot change to '" + root + "/a': No such file", "cannot change to '" + root + "/a': No such file"},
		{"'" + root + "/../etc'", "'" + hostPathMarker + "'"},
		{"see https://example.com/a/b and file:///srv/x.", "see https://example.com/a/b and file://" + hostPathMarker + "."},
		{"refs/heads/main and a/b/c", "refs/heads/main and a/b/c"},
		{"given /opt/given, not /opt/other", "given " + hostPathMarker + ", not " + hostPathMarker},
		{"in " + f.s.base + "/h", "in [git-server-dir]/h"},
		{"/", hostPathMarker},
	} {
		require.Equal(t, c.want, f.s.redactHostPaths(c.in), c.in)
	}
}
