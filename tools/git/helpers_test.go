package git

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
	"github.com/stretchr/testify/require"
)

// testSession is the session every test call uses unless it says otherwise.
const testSession = "test-session"

// requireGit skips the test when the git program is missing: the package
// drives the real git by design.
func requireGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; the git tool server needs the git program")
	}
}

// testEnv is the environment of the raw git the tests use to build
// fixtures: no system or global configuration, a throw-away HOME, a fixed
// identity.
func testEnv(home string) []string {
	return []string{
		"HOME=" + home,
		"TMPDIR=" + home, // git's own temporary files (an SSH signing key, say) stay in the test's directory
		"PATH=" + os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Tester", "GIT_AUTHOR_EMAIL=tester@example.com",
		"GIT_COMMITTER_NAME=Tester", "GIT_COMMITTER_EMAIL=tester@example.com",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
}

// rawGit runs git directly (not through the server) to set up or inspect
// a fixture, and returns its trimmed stdout. It fails the test on error.
func rawGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := rawGitErr(t, dir, args...)
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return out
}

// rawGitErr is rawGit that returns the error instead.
func rawGitErr(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = testEnv(t.TempDir())
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// writeFile writes a file, creating its directory.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	testtree.WriteFile(t, path, content)
}

// newRepo creates a repository with one commit of README on branch main.
func newRepo(t testing.TB, dir string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	rawGit(t, dir, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(dir, "README"), "hello\n")
	rawGit(t, dir, "add", "README")
	rawGit(t, dir, "commit", "-q", "-m", "initial commit")
	return dir
}

// commitFile writes a file and commits it.
func commitFile(t testing.TB, dir, name, content, msg string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, name), content)
	rawGit(t, dir, "add", "--", name)
	rawGit(t, dir, "commit", "-q", "-m", msg)
}

// fixture is a server rooted at a temporary directory holding a repository.
type fixture struct {
	t    testing.TB
	s    *Server
	root string // the server's only root
	repo string // a repository inside it, the session's default directory
}

// newFixture makes a root with a repository "repo" and a server whose
// default directory is that repository.
func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	requireGit(t)
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	repo := newRepo(t, filepath.Join(root, "repo"))
	if opts.Roots == nil {
		opts.Roots = []string{root}
	}
	if opts.DefaultDir == "" {
		opts.DefaultDir = repo
	}
	if opts.Jail == nil {
		opts.Jail = testJail(t)
	}
	s, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return &fixture{t: t, s: s, root: root, repo: repo}
}

// call runs a tool in the test session; a Go error fails the test.
func (f *fixture) call(tool string, args map[string]any) ironcurtain.Result {
	f.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: tool, Arguments: args})
	require.NoError(f.t, err, "%s", tool)
	return res
}

// ok runs a tool that must succeed and returns its text.
func (f *fixture) ok(tool string, args map[string]any) string {
	f.t.Helper()
	res := f.call(tool, args)
	require.False(f.t, res.IsError, "%s %v failed: %s", tool, args, res.Text())
	return res.Text()
}

// fail runs a tool that must fail as a tool error and returns its text.
func (f *fixture) fail(tool string, args map[string]any) string {
	f.t.Helper()
	res := f.call(tool, args)
	require.True(f.t, res.IsError, "%s %v should have failed: %s", tool, args, res.Text())
	return res.Text()
}

// sub returns the fixture reporting to a subtest's t.
func (f *fixture) sub(t testing.TB) *fixture {
	c := *f
	c.t = t
	return &c
}
