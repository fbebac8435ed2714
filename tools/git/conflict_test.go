package git

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// diverge makes branches "ours" (main) and "theirs" that change the same
// line of a.txt differently, and one file each that merges cleanly.
func diverge(t *testing.T, repo string) {
	t.Helper()
	commitFile(t, repo, "a.txt", "base\n", "base")
	rawGit(t, repo, "checkout", "-q", "-b", "theirs")
	commitFile(t, repo, "a.txt", "theirs\n", "theirs changes a")
	commitFile(t, repo, "t.txt", "t\n", "theirs adds t")
	rawGit(t, repo, "checkout", "-q", "main")
	commitFile(t, repo, "a.txt", "ours\n", "ours changes a")
}

func outcomeOf(t *testing.T, res ironcurtain.Result) Outcome {
	t.Helper()
	require.False(t, res.IsError, res.Text())
	var o Outcome
	require.NoError(t, json.Unmarshal(res.Structured, &o))
	return o
}

func TestMerge(t *testing.T) {
	f := newFixture(t, Options{})
	diverge(t, f.repo)

	t.Run("conflict and abort", func(t *testing.T) {
		f := f.sub(t)
		res := f.call("git_merge", map[string]any{"branch": "theirs"})
		o := outcomeOf(t, res)
		require.Equal(t, "conflict", o.Status)
		require.Equal(t, []string{"a.txt"}, o.Conflicts)
		require.Contains(t, res.Text(), "CONFLICT")
		var st Status
		require.NoError(t, json.Unmarshal(f.call("git_status", nil).Structured, &st))
		require.Equal(t, []string{"a.txt"}, st.Conflicted)
		require.Equal(t, "ok", outcomeOf(t, f.call("git_merge", map[string]any{"abort": true})).Status)
		require.Empty(t, rawGit(t, f.repo, "status", "--porcelain"))
		f.fail("git_merge", map[string]any{"abort": true}) // nothing to abort
	})
	t.Run("conflict resolved by commit", func(t *testing.T) {
		f := f.sub(t)
		outcomeOf(t, f.call("git_merge", map[string]any{"branch": "theirs", "message": "merge theirs"}))
		writeFile(t, filepath.Join(f.repo, "a.txt"), "both\n")
		f.ok("git_add", map[string]any{"paths": []any{"a.txt"}})
		f.ok("git_commit", map[string]any{"message": "merge theirs, resolved"})
		require.Len(t, strings.Fields(rawGit(t, f.repo, "rev-list", "--parents", "-n1", "HEAD")), 3, "a merge commit")
	})
	t.Run("clean merges", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "checkout", "-q", "-b", "side")
		commitFile(t, f.repo, "s.txt", "s\n", "side adds s")
		rawGit(t, f.repo, "checkout", "-q", "main")
		o := outcomeOf(t, f.call("git_merge", map[string]any{"branch": "side", "noFastForward": true, "message": "merge side"}))
		require.Equal(t, "ok", o.Status)
		require.Equal(t, "merge side", rawGit(t, f.repo, "log", "-1", "--format=%s"))

		rawGit(t, f.repo, "checkout", "-q", "-b", "squashme")
		commitFile(t, f.repo, "q.txt", "q\n", "squash source")
		rawGit(t, f.repo, "checkout", "-q", "main")
		outcomeOf(t, f.call("git_merge", map[string]any{"branch": "squashme", "squash": true}))
		require.Equal(t, "q.txt", rawGit(t, f.repo, "diff", "--cached", "--name-only"))
		rawGit(t, f.repo, "reset", "-q", "--hard")

		outcomeOf(t, f.call("git_merge", map[string]any{"branch": "squashme", "strategy": "ours"}))
		require.NoFileExists(t, filepath.Join(f.repo, "q.txt"))
	})
	f.fail("git_merge", map[string]any{"branch": "--upload-pack=x"})
	f.fail("git_merge", map[string]any{"branch": "theirs", "strategy": "magic"})
	f.fail("git_merge", map[string]any{})
}

func TestRebase(t *testing.T) {
	f := newFixture(t, Options{})
	diverge(t, f.repo)
	rawGit(t, f.repo, "checkout", "-q", "-b", "feature", "theirs")
	commitFile(t, f.repo, "f.txt", "f\n", "feature work")

	t.Run("conflict, skip and abort", func(t *testing.T) {
		f := f.sub(t)
		o := outcomeOf(t, f.call("git_rebase", map[string]any{"upstream": "main"}))
		require.Equal(t, "conflict", o.Status)
		require.Equal(t, []string{"a.txt"}, o.Conflicts)
		f.ok("git_rebase", map[string]any{"mode": "abort"})
		require.Equal(t, "feature", rawGit(t, f.repo, "branch", "--show-current"))
		require.Equal(t, "feature work", rawGit(t, f.repo, "log", "-1", "--format=%s"))

		outcomeOf(t, f.call("git_rebase", map[string]any{"upstream": "main"}))
		require.Equal(t, "ok", outcomeOf(t, f.call("git_rebase", map[string]any{"mode": "skip"})).Status)
		require.Equal(t, "ours changes a", rawGit(t, f.repo, "log", "-1", "--format=%s", "HEAD~2"))
		rawGit(t, f.repo, "reset", "-q", "--hard", "ORIG_HEAD")
	})
	t.Run("conflict and continue", func(t *testing.T) {
		f := f.sub(t)
		outcomeOf(t, f.call("git_rebase", map[string]any{"upstream": "main", "branch": "feature"}))
		writeFile(t, filepath.Join(f.repo, "a.txt"), "resolved\n")
		f.ok("git_add", map[string]any{"paths": []any{"a.txt"}})
		require.Equal(t, "ok", outcomeOf(t, f.call("git_rebase", map[string]any{"mode": "continue"})).Status)
		require.Equal(t, "feature work\ntheirs adds t\ntheirs changes a\nours changes a",
			rawGit(t, f.repo, "log", "-4", "--format=%s"))
	})
	t.Run("interactive, preserve and onto", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "checkout", "-q", "-b", "topic", "main")
		commitFile(t, f.repo, "x.txt", "x\n", "topic work")
		require.Equal(t, "ok", outcomeOf(t, f.call("git_rebase", map[string]any{"upstream": "main", "interactive": true, "preserve": true})).Status)
		require.Equal(t, "ok", outcomeOf(t, f.call("git_rebase", map[string]any{"upstream": "main", "onto": "main~1"})).Status)
		require.Equal(t, rawGit(t, f.repo, "rev-parse", "main~1"), rawGit(t, f.repo, "rev-parse", "HEAD~1"))
	})
	f.fail("git_rebase", map[string]any{"mode": "continue"}) // nothing in progress
	f.fail("git_rebase", map[string]any{"branch": "x"})
	f.fail("git_rebase", map[string]any{"upstream": "--exec=touch x"})
	f.fail("git_rebase", map[string]any{"upstream": "main", "onto": "-x"})
	f.fail("git_rebase", map[string]any{"mode": "frob"})
}

func TestCherryPick(t *testing.T) {
	f := newFixture(t, Options{})
	diverge(t, f.repo)
	clean := rawGit(t, f.repo, "rev-parse", "theirs")      // adds t.txt
	conflict := rawGit(t, f.repo, "rev-parse", "theirs~1") // changes a.txt

	t.Run("clean, signoff", func(t *testing.T) {
		f := f.sub(t)
		require.Equal(t, "ok", outcomeOf(t, f.call("git_cherry_pick", map[string]any{"commits": []any{clean}, "signoff": true})).Status)
		require.Contains(t, rawGit(t, f.repo, "log", "-1", "--format=%B"), "Signed-off-by:")
		rawGit(t, f.repo, "reset", "-q", "--hard", "HEAD~1")
		outcomeOf(t, f.call("git_cherry_pick", map[string]any{"commits": []any{clean}, "noCommit": true, "strategy": "ort"}))
		require.Equal(t, "t.txt", rawGit(t, f.repo, "diff", "--cached", "--name-only"))
		rawGit(t, f.repo, "reset", "-q", "--hard")
	})
	t.Run("conflict and abort", func(t *testing.T) {
		f := f.sub(t)
		o := outcomeOf(t, f.call("git_cherry_pick", map[string]any{"commits": []any{conflict}}))
		require.Equal(t, "conflict", o.Status)
		require.Equal(t, []string{"a.txt"}, o.Conflicts)
		outcomeOf(t, f.call("git_cherry_pick", map[string]any{"abort": true}))
		require.Empty(t, rawGit(t, f.repo, "status", "--porcelain"))
	})
	t.Run("conflict and continue", func(t *testing.T) {
		f := f.sub(t)
		outcomeOf(t, f.call("git_cherry_pick", map[string]any{"commits": []any{conflict, clean}}))
		writeFile(t, filepath.Join(f.repo, "a.txt"), "resolved\n")
		f.ok("git_add", map[string]any{"paths": []any{"a.txt"}})
		require.Equal(t, "ok", outcomeOf(t, f.call("git_cherry_pick", map[string]any{"continueOperation": true})).Status)
		require.Equal(t, "theirs adds t\ntheirs changes a", rawGit(t, f.repo, "log", "-2", "--format=%s"))
	})
	t.Run("merge commit needs mainline", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "checkout", "-q", "-b", "m1", "main~1")
		commitFile(t, f.repo, "m.txt", "m\n", "m1 work")
		rawGit(t, f.repo, "checkout", "-q", "-b", "m2", "main~1")
		rawGit(t, f.repo, "merge", "-q", "--no-ff", "-m", "merge m1", "m1")
		merge := rawGit(t, f.repo, "rev-parse", "HEAD")
		rawGit(t, f.repo, "checkout", "-q", "main")
		require.Contains(t, f.fail("git_cherry_pick", map[string]any{"commits": []any{merge}}), "is a merge")
		outcomeOf(t, f.call("git_cherry_pick", map[string]any{"commits": []any{merge}, "mainline": 1}))
		require.FileExists(t, filepath.Join(f.repo, "m.txt"))
	})
	f.fail("git_cherry_pick", map[string]any{})
	f.fail("git_cherry_pick", map[string]any{"abort": true, "continueOperation": true})
	f.fail("git_cherry_pick", map[string]any{"commits": []any{"--quit"}})
}

func TestStashPopConflict(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "base\n", "base")
	writeFile(t, filepath.Join(f.repo, "a.txt"), "stashed\n")
	f.ok("git_stash", nil)
	commitFile(t, f.repo, "a.txt", "committed\n", "conflicting")
	o := outcomeOf(t, f.call("git_stash", map[string]any{"mode": "pop"}))
	require.Equal(t, "conflict", o.Status)
	require.Equal(t, []string{"a.txt"}, o.Conflicts)
	require.Contains(t, f.ok("git_stash", map[string]any{"mode": "list"}), "stash@{0}", "a conflicted pop keeps the entry")
}
