package gitrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// TestDiscoverAgreesWithGit: for a plain repository, a subdirectory, a
// linked worktree, a bare repository and alternates made by git itself,
// Discover finds what git rev-parse reports.
func TestDiscoverAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	base, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	main := filepath.Join(base, "main")
	require.NoError(t, os.MkdirAll(filepath.Join(main, "sub"), 0o755))
	git(t, main, "init", "-q", "-b", "main")
	git(t, main, "commit", "-q", "--allow-empty", "-m", "x")
	git(t, main, "worktree", "add", "-q", filepath.Join(base, "wt"))
	git(t, base, "clone", "-q", "--bare", main, filepath.Join(base, "bare.git"))
	git(t, base, "clone", "-q", "--shared", main, filepath.Join(base, "shared"))
	for _, dir := range []string{main, filepath.Join(main, "sub"), filepath.Join(base, "wt"), filepath.Join(base, "bare.git"), filepath.Join(base, "shared")} {
		r, err := Discover(dir, "")
		require.NoError(t, err, dir)
		gd := git(t, dir, "rev-parse", "--absolute-git-dir")
		require.Equal(t, gd, r.GitDir, dir)
		cd := git(t, dir, "rev-parse", "--git-common-dir")
		if !filepath.IsAbs(cd) {
			cd = filepath.Join(dir, cd)
		}
		cd, err = filepath.EvalSymlinks(cd)
		require.NoError(t, err)
		require.Equal(t, cd, r.CommonDir, dir)
		if git(t, dir, "rev-parse", "--is-bare-repository") == "false" {
			require.Equal(t, git(t, dir, "rev-parse", "--show-toplevel"), r.WorkTree, dir)
		} else {
			require.Empty(t, r.WorkTree)
		}
	}
	r, err := Discover(filepath.Join(base, "shared"), "")
	require.NoError(t, err)
	require.Contains(t, r.ObjectDirs, filepath.Join(main, ".git", "objects"))

	_, err = Discover(base, "")
	require.ErrorIs(t, err, ErrNotRepository)
	_, err = Discover(filepath.Join(main, "sub"), main)
	require.ErrorIs(t, err, ErrNotRepository, "the ceiling stops discovery")
}

// TestNeverBlocksOnAFIFO: a FIFO as .git, HEAD, commondir, config or
// alternates is an error at once, never a hang.
func TestNeverBlocksOnAFIFO(t *testing.T) {
	for _, name := range []string{".git", ".git/commondir", ".git/config", ".git/objects/info/alternates"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{".git/objects/info", ".git/refs"} {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
			p := filepath.Join(dir, name)
			if name == ".git" {
				require.NoError(t, os.RemoveAll(p))
			}
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			done := make(chan error, 1)
			go func() { _, err := Discover(dir, ""); done <- err }()
			select {
			case err := <-done:
				require.Error(t, err)
			case <-time.After(5 * time.Second):
				t.Fatal("Discover blocked on a FIFO")
			}
		})
	}
}

// FuzzParsers: the .git file and core.worktree readers never panic, and
// what they accept is a path without NUL.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"gitdir: /x/.git\n", "gitdir: ../a\r\n", "[core]\n\tworktree = /x\n", "\xef\xbb\xbf[CORE]worktree=\"/y\"", "[include]\npath=x", "[core\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := parseGitFile(data); err == nil && (p == "" || strings.ContainsRune(p, 0)) {
			t.Fatalf("accepted %q", p)
		}
		if v, set, _, err := scanWorktree(data); err == nil && set && (v == "" || strings.ContainsAny(v, "\"\\")) {
			t.Fatalf("accepted worktree %q", v)
		}
	})
}

// TestReadFileCaps: a file at the cap is read whole, one byte over is an
// error, not a truncation.
func TestReadFileCaps(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, []byte(strings.Repeat("x", 100)), 0o644))
	b, err := ReadFile(p, 100)
	require.NoError(t, err)
	require.Len(t, b, 100)
	_, err = ReadFile(p, 99)
	require.Error(t, err)
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing"), 10)
	require.ErrorIs(t, err, os.ErrNotExist)
}
