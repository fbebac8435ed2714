package git

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// withRemote makes a bare repository "remote.git" inside the fixture's
// root, pushes the fixture's repository to it and makes it "origin".
func withRemote(t *testing.T, f *fixture) string {
	t.Helper()
	bare := filepath.Join(f.root, "remote.git")
	rawGit(t, f.root, "init", "-q", "--bare", "-b", "main", bare)
	rawGit(t, f.repo, "remote", "add", "origin", bare)
	rawGit(t, f.repo, "push", "-q", "-u", "origin", "main")
	return bare
}

func TestTransportsRefusedByDefault(t *testing.T) {
	f := newFixture(t, Options{}) // https only
	bare := withRemote(t, f)
	require.Contains(t, f.fail("git_fetch", nil), "file transport")
	require.Contains(t, f.fail("git_pull", nil), "file transport")
	require.Contains(t, f.fail("git_push", nil), "file transport")
	require.Contains(t, f.fail("git_clone", map[string]any{"url": bare, "path": "c"}), "file transport")
	require.Contains(t, f.fail("git_clone", map[string]any{"url": "ext::sh -c touch% x", "path": "c"}), "remote helper")
	require.Contains(t, f.fail("git_clone", map[string]any{"url": "ssh://example.com/r", "path": "c"}), "ssh transport")
}

func TestCloneFetchPullPush(t *testing.T) {
	f := newFixture(t, Options{AllowedProtocols: []string{"file"}})
	bare := withRemote(t, f)
	commitFile(t, f.repo, "a.txt", "a\n", "second")
	rawGit(t, f.repo, "push", "-q", "origin", "main")
	rawGit(t, f.repo, "branch", "dev")
	rawGit(t, f.repo, "push", "-q", "origin", "dev")

	clone := filepath.Join(f.root, "clone")
	t.Run("clone", func(t *testing.T) {
		f := f.sub(t)
		res := f.call("git_clone", map[string]any{"url": bare, "path": "../clone"})
		require.False(t, res.IsError, res.Text())
		require.Equal(t, "second", rawGit(t, clone, "log", "-1", "--format=%s"))
		require.Contains(t, f.fail("git_clone", map[string]any{"url": bare, "path": clone}), "not an empty directory")

		f.ok("git_clone", map[string]any{"url": "file://" + bare, "path": filepath.Join(f.root, "shallow"), "depth": 1, "branch": "dev"})
		require.Equal(t, "1", rawGit(t, filepath.Join(f.root, "shallow"), "rev-list", "--count", "HEAD"))
		require.Equal(t, "dev", rawGit(t, filepath.Join(f.root, "shallow"), "branch", "--show-current"))
		f.ok("git_clone", map[string]any{"url": bare, "path": filepath.Join(f.root, "b.git"), "bare": true})
		require.Equal(t, "true", rawGit(t, filepath.Join(f.root, "b.git"), "rev-parse", "--is-bare-repository"))
		f.ok("git_clone", map[string]any{"url": bare, "path": filepath.Join(f.root, "m.git"), "mirror": true})
		f.fail("git_clone", map[string]any{"url": bare, "path": filepath.Join(f.root, "x"), "bare": true, "mirror": true})
		f.fail("git_clone", map[string]any{"url": bare, "path": filepath.Join(t.TempDir(), "x")})
		f.fail("git_clone", map[string]any{"url": bare, "path": filepath.Join(f.root, "y"), "branch": "--upload-pack=touch /tmp/x"})
		outside := newRepo(t, t.TempDir())
		require.Contains(t, f.fail("git_clone", map[string]any{"url": outside, "path": filepath.Join(f.root, "z")}), "outside")
	})

	t.Run("push", func(t *testing.T) {
		f := f.sub(t)
		commitFile(t, clone, "c.txt", "c\n", "from clone")
		f.ok("git_push", map[string]any{"path": clone})
		require.Equal(t, "from clone", rawGit(t, bare, "log", "-1", "--format=%s", "main"))

		f.ok("git_push", map[string]any{"path": clone, "remote": "origin", "branch": "main", "remoteBranch": "copy"})
		require.Equal(t, rawGit(t, bare, "rev-parse", "main"), rawGit(t, bare, "rev-parse", "copy"))

		rawGit(t, clone, "checkout", "-q", "-b", "topic")
		commitFile(t, clone, "t.txt", "t\n", "topic")
		require.Contains(t, f.ok("git_push", map[string]any{"path": clone, "setUpstream": true, "dryRun": true}), "topic")
		_, err := rawGitErr(t, bare, "rev-parse", "--verify", "topic")
		require.Error(t, err, "a dry run pushes nothing")
		f.ok("git_push", map[string]any{"path": clone, "setUpstream": true})
		require.Equal(t, "origin/topic", rawGit(t, clone, "rev-parse", "--abbrev-ref", "topic@{upstream}"))

		rawGit(t, clone, "tag", "v1")
		f.ok("git_push", map[string]any{"path": clone, "tags": true})
		rawGit(t, bare, "rev-parse", "--verify", "v1")

		rawGit(t, clone, "commit", "-q", "--amend", "-m", "topic rewritten")
		require.Contains(t, f.fail("git_push", map[string]any{"path": clone}), "rejected")
		require.Contains(t, f.fail("git_push", map[string]any{"path": clone, "force": true}), "confirmed=true")
		// A leading "+" in a refspec forces the update: a force push the
		// policy would judge as a plain push (no force, no delete-history).
		for _, args := range []map[string]any{{"branch": "+topic"}, {"branch": "+topic", "remoteBranch": "topic"}, {"remoteBranch": "+topic"}} {
			args["path"] = clone
			f.fail("git_push", args)
			require.Equal(t, "topic", rawGit(t, bare, "log", "-1", "--format=%s", "topic"), "%v", args)
		}
		f.ok("git_push", map[string]any{"path": clone, "forceWithLease": true, "confirmed": true})
		rawGit(t, clone, "commit", "-q", "--amend", "-m", "topic rewritten again")
		f.ok("git_push", map[string]any{"path": clone, "force": true, "confirmed": true})
		require.Equal(t, "topic rewritten again", rawGit(t, bare, "log", "-1", "--format=%s", "topic"))

		require.Contains(t, f.fail("git_push", map[string]any{"path": clone, "delete": true, "remoteBranch": "copy"}), "confirmed=true")
		f.ok("git_push", map[string]any{"path": clone, "delete": true, "remoteBranch": "copy", "confirmed": true})
		_, err = rawGitErr(t, bare, "rev-parse", "--verify", "copy")
		require.Error(t, err)
		rawGit(t, clone, "checkout", "-q", "main")
	})

	t.Run("fetch", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.ok("git_fetch", nil), "origin/main")
		require.Equal(t, "from clone", rawGit(t, f.repo, "log", "-1", "--format=%s", "origin/main"))
		f.ok("git_fetch", map[string]any{"path": filepath.Join(f.root, "shallow"), "depth": 2})
		rawGit(t, bare, "branch", "-D", "dev")
		f.ok("git_fetch", map[string]any{"remote": "origin", "prune": true, "tags": true})
		_, err := rawGitErr(t, f.repo, "rev-parse", "--verify", "origin/dev")
		require.Error(t, err, "prune removed origin/dev")
		rawGit(t, f.repo, "rev-parse", "--verify", "v1")
		f.ok("git_fetch", map[string]any{"remote": bare})
		require.Contains(t, f.fail("git_fetch", map[string]any{"remote": "nosuch"}), "no remote named")
	})

	t.Run("pull", func(t *testing.T) {
		f := f.sub(t)
		res := f.call("git_pull", map[string]any{"fastForwardOnly": true})
		require.Equal(t, "ok", outcomeOf(t, res).Status)
		require.Equal(t, "from clone", rawGit(t, f.repo, "log", "-1", "--format=%s"))

		commitFile(t, clone, "a.txt", "clone side\n", "clone changes a")
		rawGit(t, clone, "push", "-q", "origin", "main")
		commitFile(t, f.repo, "a.txt", "repo side\n", "repo changes a")
		require.Contains(t, f.fail("git_pull", map[string]any{"fastForwardOnly": true}), "fast-forward")

		o := outcomeOf(t, f.call("git_pull", map[string]any{"remote": "origin", "branch": "main"}))
		require.Equal(t, "conflict", o.Status)
		require.Equal(t, []string{"a.txt"}, o.Conflicts)
		f.ok("git_merge", map[string]any{"abort": true})

		o = outcomeOf(t, f.call("git_pull", map[string]any{"rebase": true}))
		require.Equal(t, "conflict", o.Status)
		f.ok("git_rebase", map[string]any{"mode": "abort"})

		rawGit(t, f.repo, "reset", "-q", "--hard", "HEAD~1")
		require.Equal(t, "ok", outcomeOf(t, f.call("git_pull", map[string]any{"rebase": true})).Status)
		require.Equal(t, "clone changes a", rawGit(t, f.repo, "log", "-1", "--format=%s"))
	})

	t.Run("dash-leading remotes and branches are refused", func(t *testing.T) {
		f := f.sub(t)
		for _, tool := range []string{"git_fetch", "git_pull", "git_push"} {
			require.Contains(t, f.fail(tool, map[string]any{"remote": "--upload-pack=touch /tmp/x"}), "starts with '-'")
		}
		f.fail("git_pull", map[string]any{"branch": "--upload-pack=touch /tmp/x"})
		f.fail("git_push", map[string]any{"branch": "--receive-pack=touch /tmp/x"})
		f.fail("git_push", map[string]any{"remoteBranch": "--exec=x"})
	})

	t.Run("configured remote outside the roots", func(t *testing.T) {
		f := f.sub(t)
		outside := t.TempDir()
		rawGit(t, outside, "init", "-q", "--bare")
		rawGit(t, f.repo, "remote", "add", "far", outside)
		require.Contains(t, f.fail("git_fetch", map[string]any{"remote": "far"}), "outside")
		rawGit(t, f.repo, "remote", "set-url", "--push", "origin", outside)
		require.Contains(t, f.fail("git_push", nil), "outside")
		rawGit(t, f.repo, "remote", "set-url", "--push", "origin", bare)
	})

	t.Run("default remote follows the branch", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "remote", "rename", "origin", "upstream")
		rawGit(t, f.repo, "config", "remote.pushDefault", "upstream")
		f.ok("git_fetch", nil)
		var st Status
		require.NoError(t, json.Unmarshal(f.call("git_status", nil).Structured, &st))
		require.Equal(t, "upstream/main", st.Upstream)
		f.ok("git_push", map[string]any{"dryRun": true})
	})
}
