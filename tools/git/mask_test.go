package git

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/jail"
)

// TestJailMasksProtectedPaths (issue 14, hole 4, the jail's layer): with
// a protected file inside the work tree, the server called directly (no
// policy in front of it) cannot read it through git_add of everything and
// git_show, nor git_diff with untracked files, nor overwrite it with
// git_reset --hard of a forged commit that holds it. The same calls on a
// server without the jail read and overwrite it.
func TestJailMasksProtectedPaths(t *testing.T) {
	requireGit(t)
	requireJail(t)
	dir := t.TempDir()
	if e, err := jail.Check(jail.Policy{ReadWrite: []string{dir}, Masked: []string{filepath.Join(dir, "x")}}); err != nil || !e.Masked {
		t.Skipf("paths cannot be masked here (no user and mount namespaces?): %v", err)
	}
	const secret = "TOPSECRET-7f3a"
	attack := func(t *testing.T, jailed bool) (leaked []string, overwritten bool) {
		root, err := filepath.EvalSymlinks(t.TempDir())
		require.NoError(t, err)
		repo := newRepo(t, filepath.Join(root, "repo"))
		secretPath := filepath.Join(repo, "conf", "secret.env")
		// A forged commit holding the protected path, made in a second
		// repository and fetched, as a second work tree would make it.
		forge := newRepo(t, filepath.Join(t.TempDir(), "forge"))
		commitFile(t, forge, "conf/secret.env", "FORGED\n", "forged")
		rawGit(t, repo, "fetch", "-q", forge, "HEAD:refs/heads/forged")
		writeFile(t, secretPath, secret+"\n")
		opts := Options{Roots: []string{root}, DefaultDir: repo}
		if jailed {
			opts.Jail = &jail.Policy{Protected: []string{secretPath}}
		}
		f := newFixture(t, opts)
		if jailed {
			e, ok := f.s.Jail()
			require.True(t, ok)
			require.True(t, e.Masked, "%s", e)
			require.NoError(t, f.s.jail.ready())
			require.Equal(t, []string{secretPath}, f.s.jail.local.Masked)
			require.Equal(t, f.s.jail.local.Masked, f.s.jail.network.Masked)
		}
		texts := []string{
			f.call("git_diff", map[string]any{"includeUntracked": true}).Text(),
			f.call("git_add", map[string]any{"all": true}).Text(),
			f.call("git_show", map[string]any{"object": ":conf/secret.env"}).Text(),
			f.call("git_diff", map[string]any{"target": "HEAD", "staged": true}).Text(),
		}
		for _, s := range texts {
			if strings.Contains(s, secret) {
				leaked = append(leaked, s)
			}
		}
		// The index may hold what git could read: nothing of the secret.
		if out, err := rawGitErr(t, repo, "cat-file", "-p", ":conf/secret.env"); err == nil && strings.Contains(out, secret) {
			leaked = append(leaked, "index: "+out)
		}
		f.call("git_reset", map[string]any{"mode": "hard", "target": "forged", "confirmed": true})
		b, err := os.ReadFile(secretPath)
		require.NoError(t, err)
		return leaked, string(b) != secret+"\n"
	}
	t.Run("control: without the jail git reads and overwrites it", func(t *testing.T) {
		if os.Getenv(jailTestEnv) == "1" {
			t.Skip("the jailed run jails the control too")
		}
		leaked, overwritten := attack(t, false)
		require.NotEmpty(t, leaked)
		require.True(t, overwritten)
	})
	t.Run("jailed", func(t *testing.T) {
		leaked, overwritten := attack(t, true)
		require.Empty(t, leaked)
		require.False(t, overwritten)
	})
}
