package git

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAddAndCommit(t *testing.T) {
	f := newFixture(t, Options{Identity: Identity{Name: "Agent Smith", Email: "smith@example.com"}})
	writeFile(t, filepath.Join(f.repo, "a.txt"), "a\n")
	writeFile(t, filepath.Join(f.repo, "b.txt"), "b\n")
	writeFile(t, filepath.Join(f.repo, ".gitignore"), "ignored.txt\n")
	writeFile(t, filepath.Join(f.repo, "ignored.txt"), "i\n")

	t.Run("add paths", func(t *testing.T) {
		f := f.sub(t)
		text := f.ok("git_add", map[string]any{"paths": []any{"a.txt"}})
		require.Contains(t, text, "added: a.txt")
		require.NotContains(t, text, "b.txt")
	})
	t.Run("commit", func(t *testing.T) {
		f := f.sub(t)
		res := f.call("git_commit", map[string]any{"message": "--add a\n\nwith a body"})
		require.False(t, res.IsError, res.Text())
		var c map[string]string
		require.NoError(t, json.Unmarshal(res.Structured, &c))
		require.Equal(t, "--add a", c["subject"])
		require.Equal(t, "Agent Smith <smith@example.com>", rawGit(t, f.repo, "log", "-1", "--format=%an <%ae>"))
		require.Equal(t, "Agent Smith", rawGit(t, f.repo, "log", "-1", "--format=%cn"))
	})
	t.Run("commit with author and filesToStage", func(t *testing.T) {
		f := f.sub(t)
		f.ok("git_commit", map[string]any{"message": "add b", "filesToStage": []any{"b.txt"}, "author": map[string]any{"name": "Ann", "email": "ann@example.com"}})
		require.Equal(t, "Ann <ann@example.com>", rawGit(t, f.repo, "log", "-1", "--format=%an <%ae>"))
		require.Equal(t, "Agent Smith", rawGit(t, f.repo, "log", "-1", "--format=%cn"))
	})
	t.Run("amend", func(t *testing.T) {
		f := f.sub(t)
		f.ok("git_commit", map[string]any{"message": "add b, amended", "amend": true})
		require.Equal(t, "add b, amended", rawGit(t, f.repo, "log", "-1", "--format=%s"))
		require.Equal(t, "3", rawGit(t, f.repo, "rev-list", "--count", "HEAD"))
	})
	t.Run("nothing to commit", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.fail("git_commit", map[string]any{"message": "empty"}), "nothing")
		f.ok("git_commit", map[string]any{"message": "empty", "allowEmpty": true, "noVerify": true})
	})
	t.Run("add force, update, all", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.fail("git_add", map[string]any{"paths": []any{"ignored.txt"}}), "ignored")
		require.Contains(t, f.ok("git_add", map[string]any{"paths": []any{"ignored.txt"}, "force": true}), "ignored.txt")
		writeFile(t, filepath.Join(f.repo, "README"), "changed\n")
		writeFile(t, filepath.Join(f.repo, "c.txt"), "c\n")
		text := f.ok("git_add", map[string]any{"update": true})
		require.Contains(t, text, "modified: README")
		require.NotContains(t, text, "c.txt")
		require.Contains(t, f.ok("git_add", map[string]any{"all": true}), "added: c.txt")
		f.fail("git_add", map[string]any{"all": true, "update": true})
	})
	t.Run("bad arguments", func(t *testing.T) {
		f := f.sub(t)
		f.fail("git_commit", map[string]any{"message": "  "})
		f.fail("git_commit", map[string]any{"message": "x", "author": map[string]any{"name": "A\nB", "email": "a@b"}})
		f.fail("git_commit", map[string]any{"message": "x", "author": map[string]any{"name": "A", "email": "a@b", "extra": 1}})
	})
}

func TestBranchModes(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "a\n", "second")

	f.ok("git_branch", map[string]any{"mode": "create", "branchName": "feature", "startPoint": "HEAD~1"})
	f.ok("git_branch", map[string]any{"mode": "create", "branchName": "topic"})
	require.Contains(t, f.fail("git_branch", map[string]any{"mode": "create", "branchName": "topic"}), "already exists")
	f.ok("git_branch", map[string]any{"mode": "create", "branchName": "topic", "startPoint": "HEAD~1", "force": true})

	res := f.call("git_branch", nil)
	var list BranchList
	require.NoError(t, json.Unmarshal(res.Structured, &list))
	require.Equal(t, "main", list.Current)
	var names []string
	for _, b := range list.Branches {
		names = append(names, b.Name)
	}
	require.Equal(t, []string{"feature", "main", "topic"}, names)

	t.Run("list filters", func(t *testing.T) {
		f := f.sub(t)
		res := f.call("git_branch", map[string]any{"merged": true})
		require.NoError(t, json.Unmarshal(res.Structured, &list))
		require.Len(t, list.Branches, 3)
		res = f.call("git_branch", map[string]any{"noMerged": "feature"})
		require.NoError(t, json.Unmarshal(res.Structured, &list))
		require.Len(t, list.Branches, 1)
		require.Equal(t, "main", list.Branches[0].Name)
		res = f.call("git_branch", map[string]any{"limit": 1})
		require.NoError(t, json.Unmarshal(res.Structured, &list))
		require.Len(t, list.Branches, 1)
		f.fail("git_branch", map[string]any{"merged": "--all"})
	})
	t.Run("remote branches", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "update-ref", "refs/remotes/origin/main", "HEAD")
		res := f.call("git_branch", map[string]any{"remote": true})
		require.NoError(t, json.Unmarshal(res.Structured, &list))
		require.Len(t, list.Branches, 1)
		require.True(t, list.Branches[0].Remote)
		require.Equal(t, "origin/main", list.Branches[0].Name)
		res = f.call("git_branch", map[string]any{"all": true})
		require.NoError(t, json.Unmarshal(res.Structured, &list))
		require.Len(t, list.Branches, 4)
		f.ok("git_branch", map[string]any{"mode": "delete", "branchName": "origin/main", "remote": true})
	})
	t.Run("rename and show-current", func(t *testing.T) {
		f := f.sub(t)
		f.ok("git_branch", map[string]any{"mode": "rename", "branchName": "topic", "newBranchName": "topic2"})
		require.Equal(t, "main", f.ok("git_branch", map[string]any{"mode": "show-current"}))
		f.ok("git_branch", map[string]any{"mode": "rename", "newBranchName": "trunk"})
		require.Equal(t, "trunk", f.ok("git_branch", map[string]any{"mode": "show-current"}))
		f.ok("git_branch", map[string]any{"mode": "rename", "newBranchName": "main"})
	})
	t.Run("delete", func(t *testing.T) {
		f := f.sub(t)
		f.ok("git_checkout", map[string]any{"target": "feature"})
		commitFile(t, f.repo, "f.txt", "f\n", "unmerged work")
		f.ok("git_checkout", map[string]any{"target": "main"})
		require.Contains(t, f.fail("git_branch", map[string]any{"mode": "delete", "branchName": "feature"}), "not fully merged")
		f.ok("git_branch", map[string]any{"mode": "delete", "branchName": "feature", "force": true})
		f.ok("git_branch", map[string]any{"mode": "delete", "branchName": "topic2"})
	})
	t.Run("detached show-current", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "checkout", "-q", "--detach")
		require.Contains(t, f.ok("git_branch", map[string]any{"mode": "show-current"}), "detached")
		rawGit(t, f.repo, "checkout", "-q", "main")
	})
	t.Run("invalid names", func(t *testing.T) {
		f := f.sub(t)
		for _, name := range []string{"-d", "a..b", "a b", "x.lock", "HEAD", "a@{1}", "bad\x01name", ""} {
			f.fail("git_branch", map[string]any{"mode": "create", "branchName": name})
		}
		f.fail("git_branch", map[string]any{"mode": "frobnicate"})
	})
}

func TestCheckout(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "v1\n", "a v1")
	rawGit(t, f.repo, "tag", "v1")
	commitFile(t, f.repo, "a.txt", "v2\n", "a v2")

	f.ok("git_checkout", map[string]any{"target": "new", "createBranch": true})
	require.Equal(t, "new", rawGit(t, f.repo, "branch", "--show-current"))
	f.ok("git_checkout", map[string]any{"target": "main"})
	f.ok("git_checkout", map[string]any{"target": "v1"})
	require.Equal(t, "", rawGit(t, f.repo, "branch", "--show-current"))
	f.ok("git_checkout", map[string]any{"target": "main"})

	f.ok("git_checkout", map[string]any{"target": "v1", "paths": []any{"a.txt"}})
	require.Equal(t, "v1\n", readFile(t, filepath.Join(f.repo, "a.txt")))
	f.ok("git_checkout", map[string]any{"target": "HEAD", "paths": []any{"a.txt"}})

	writeFile(t, filepath.Join(f.repo, "a.txt"), "local\n")
	require.Contains(t, f.fail("git_checkout", map[string]any{"target": "v1"}), "overwritten")
	f.ok("git_checkout", map[string]any{"target": "v1", "force": true})
	require.Equal(t, "v1\n", readFile(t, filepath.Join(f.repo, "a.txt")))
	f.ok("git_checkout", map[string]any{"target": "main"})

	t.Run("track", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "update-ref", "refs/remotes/origin/feat", "HEAD~1")
		rawGit(t, f.repo, "config", "remote.origin.url", filepath.Join(f.root, "nowhere"))
		rawGit(t, f.repo, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
		f.ok("git_checkout", map[string]any{"target": "feat"}) // created from origin/feat
		require.Equal(t, "origin/feat", rawGit(t, f.repo, "rev-parse", "--abbrev-ref", "feat@{upstream}"))
		f.ok("git_checkout", map[string]any{"target": "main"})
		f.ok("git_checkout", map[string]any{"target": "feat2", "createBranch": true, "track": false})
		f.ok("git_checkout", map[string]any{"target": "main"})
	})
	f.fail("git_checkout", map[string]any{"target": "--orphan=x"})
	f.fail("git_checkout", map[string]any{"target": "x", "createBranch": true, "paths": []any{"a.txt"}})
	f.fail("git_checkout", map[string]any{"target": "no-such-branch"})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestResetModes(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "v1\n", "a v1")
	commitFile(t, f.repo, "a.txt", "v2\n", "a v2")
	head := func() string { return rawGit(t, f.repo, "log", "-1", "--format=%s") }

	f.ok("git_reset", map[string]any{"mode": "soft", "target": "HEAD~1"})
	require.Equal(t, "a v1", head())
	staged := func() string { return rawGit(t, f.repo, "diff", "--cached", "--name-only") }
	require.Equal(t, "a.txt", staged())
	f.ok("git_reset", nil) // mixed HEAD: unstage
	require.Empty(t, staged())
	require.Equal(t, "a.txt", rawGit(t, f.repo, "diff", "--name-only"))

	rawGit(t, f.repo, "add", "a.txt")
	f.ok("git_reset", map[string]any{"paths": []any{"a.txt"}})
	require.Empty(t, staged())
	f.fail("git_reset", map[string]any{"mode": "hard", "paths": []any{"a.txt"}, "confirmed": true})

	require.Contains(t, f.fail("git_reset", map[string]any{"mode": "hard"}), "confirmed=true")
	f.ok("git_reset", map[string]any{"mode": "hard", "confirmed": true})
	require.Empty(t, rawGit(t, f.repo, "status", "--short"))

	commitFile(t, f.repo, "b.txt", "b\n", "add b")
	writeFile(t, filepath.Join(f.repo, "a.txt"), "local\n")
	f.ok("git_reset", map[string]any{"mode": "keep", "target": "HEAD~1"})
	require.Equal(t, "local\n", readFile(t, filepath.Join(f.repo, "a.txt")))
	require.NoFileExists(t, filepath.Join(f.repo, "b.txt"))
	f.ok("git_reset", map[string]any{"mode": "merge", "target": "HEAD"})
	f.fail("git_reset", map[string]any{"mode": "frob"})
	f.fail("git_reset", map[string]any{"target": "--hard"})
}

func TestClean(t *testing.T) {
	f := newFixture(t, Options{})
	writeFile(t, filepath.Join(f.repo, ".gitignore"), "*.log\n")
	rawGit(t, f.repo, "add", ".gitignore")
	rawGit(t, f.repo, "commit", "-q", "-m", "ignore logs")
	writeFile(t, filepath.Join(f.repo, "junk.txt"), "j")
	writeFile(t, filepath.Join(f.repo, "dir", "junk.txt"), "j")
	writeFile(t, filepath.Join(f.repo, "debug.log"), "l")
	newRepo(t, filepath.Join(f.repo, "nested"))

	require.Contains(t, f.fail("git_clean", nil), "force=true")
	dry := f.ok("git_clean", map[string]any{"dryRun": true, "directories": true})
	require.Contains(t, dry, "Would remove junk.txt")
	require.Contains(t, dry, "Would remove dir/")
	require.FileExists(t, filepath.Join(f.repo, "junk.txt"))

	f.ok("git_clean", map[string]any{"force": true})
	require.NoFileExists(t, filepath.Join(f.repo, "junk.txt"))
	require.FileExists(t, filepath.Join(f.repo, "dir", "junk.txt"))
	require.FileExists(t, filepath.Join(f.repo, "debug.log"))

	f.ok("git_clean", map[string]any{"force": true, "directories": true, "ignored": true})
	require.NoDirExists(t, filepath.Join(f.repo, "dir"))
	require.NoFileExists(t, filepath.Join(f.repo, "debug.log"))
	require.DirExists(t, filepath.Join(f.repo, "nested", ".git"), "nested repositories are never removed")
	require.Equal(t, "Nothing to clean.", f.ok("git_clean", map[string]any{"force": true}))
}

func TestTagModes(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "a\n", "second")
	f.ok("git_tag", map[string]any{"mode": "create", "tagName": "v0.1", "commit": "HEAD~1"})
	f.ok("git_tag", map[string]any{"mode": "create", "tagName": "v0.2", "message": "release 0.2", "annotated": true})
	f.fail("git_tag", map[string]any{"mode": "create", "tagName": "v0.3", "annotated": true})
	require.Contains(t, f.fail("git_tag", map[string]any{"mode": "create", "tagName": "v0.2"}), "already exists")
	f.ok("git_tag", map[string]any{"mode": "create", "tagName": "v0.2", "force": true})

	res := f.call("git_tag", nil)
	var got struct{ Tags []Tag }
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Len(t, got.Tags, 2)
	byName := map[string]Tag{}
	for _, tg := range got.Tags {
		byName[tg.Name] = tg
	}
	require.Equal(t, rawGit(t, f.repo, "rev-parse", "HEAD~1"), byName["v0.1"].Commit)
	require.False(t, byName["v0.2"].Annotated)
	res = f.call("git_tag", map[string]any{"limit": 1})
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Len(t, got.Tags, 1)

	f.ok("git_tag", map[string]any{"mode": "create", "tagName": "v1.0", "message": "one"})
	require.Equal(t, "tag", rawGit(t, f.repo, "cat-file", "-t", "v1.0"))
	require.Contains(t, f.fail("git_tag", map[string]any{"mode": "verify", "tagName": "v1.0"}), "could not be verified")
	f.ok("git_tag", map[string]any{"mode": "delete", "tagName": "v0.1"})
	f.fail("git_tag", map[string]any{"mode": "delete", "tagName": "v0.1"})
	f.fail("git_tag", map[string]any{"mode": "create", "tagName": "-f"})
	f.fail("git_tag", map[string]any{"mode": "create", "tagName": "x", "commit": "--help"})
}

func TestStashModes(t *testing.T) {
	f := newFixture(t, Options{})
	writeFile(t, filepath.Join(f.repo, "README"), "change one\n")
	require.Contains(t, f.ok("git_stash", map[string]any{"message": "first"}), "first")
	require.Equal(t, "hello\n", readFile(t, filepath.Join(f.repo, "README")))

	writeFile(t, filepath.Join(f.repo, "README"), "change two\n")
	writeFile(t, filepath.Join(f.repo, "new.txt"), "untracked\n")
	f.ok("git_stash", map[string]any{"mode": "push", "message": "second", "includeUntracked": true})
	require.NoFileExists(t, filepath.Join(f.repo, "new.txt"))

	writeFile(t, filepath.Join(f.repo, "README"), "staged\n")
	rawGit(t, f.repo, "add", "README")
	f.ok("git_stash", map[string]any{"keepIndex": true, "message": "third"})
	require.Equal(t, "staged\n", readFile(t, filepath.Join(f.repo, "README")))
	rawGit(t, f.repo, "reset", "-q", "--hard")

	res := f.call("git_stash", map[string]any{"mode": "list"})
	var got struct{ Entries []StashEntry }
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Len(t, got.Entries, 3)
	require.Equal(t, "stash@{0}", got.Entries[0].Ref)
	require.Contains(t, got.Entries[0].Message, "third")
	res = f.call("git_stash", map[string]any{"mode": "list", "limit": 1})
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Len(t, got.Entries, 1)

	f.ok("git_stash", map[string]any{"mode": "drop"})
	f.ok("git_stash", map[string]any{"mode": "apply", "stashRef": "1"}) // "first"
	require.Equal(t, "change one\n", readFile(t, filepath.Join(f.repo, "README")))
	rawGit(t, f.repo, "checkout", "--", "README")
	f.ok("git_stash", map[string]any{"mode": "pop", "stashRef": "stash@{0}"}) // "second"
	require.Equal(t, "change two\n", readFile(t, filepath.Join(f.repo, "README")))
	require.FileExists(t, filepath.Join(f.repo, "new.txt"))

	f.ok("git_stash", map[string]any{"mode": "clear"})
	require.Contains(t, f.ok("git_stash", map[string]any{"mode": "list"}), "empty")
	for _, ref := range []string{"--index", "stash@{0}^", "HEAD", "stash@{-1}"} {
		require.Contains(t, f.fail("git_stash", map[string]any{"mode": "drop", "stashRef": ref}), "stashRef")
	}
	f.fail("git_stash", map[string]any{"mode": "frob"})
}

func TestRemoteModes(t *testing.T) {
	f := newFixture(t, Options{AllowedProtocols: []string{"https", "file"}})
	local := filepath.Join(f.root, "upstream.git")
	f.ok("git_remote", map[string]any{"mode": "add", "name": "origin", "url": "https://example.com/org/repo.git"})
	f.ok("git_remote", map[string]any{"mode": "add", "name": "local", "url": local})
	f.ok("git_remote", map[string]any{"mode": "set-url", "name": "origin", "url": "https://example.com/org/push.git", "push": true})
	require.Equal(t, "https://example.com/org/push.git", f.ok("git_remote", map[string]any{"mode": "get-url", "name": "origin", "push": true}))
	require.Equal(t, "https://example.com/org/repo.git", f.ok("git_remote", map[string]any{"mode": "get-url", "name": "origin"}))

	res := f.call("git_remote", nil)
	var got struct{ Remotes []Remote }
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Equal(t, []Remote{
		{Name: "local", FetchURL: local, PushURL: local},
		{Name: "origin", FetchURL: "https://example.com/org/repo.git", PushURL: "https://example.com/org/push.git"},
	}, got.Remotes)

	f.ok("git_remote", map[string]any{"mode": "rename", "name": "local", "newName": "mirror"})
	f.ok("git_remote", map[string]any{"mode": "remove", "name": "mirror"})
	f.fail("git_remote", map[string]any{"mode": "remove", "name": "mirror"})

	t.Run("passwords in configured URLs are not shown", func(t *testing.T) {
		f := f.sub(t)
		rawGit(t, f.repo, "remote", "add", "leaky", "https://user:hunter2@example.com/r.git")
		require.NotContains(t, f.ok("git_remote", nil), "hunter2")
		require.NotContains(t, f.ok("git_remote", map[string]any{"mode": "get-url", "name": "leaky"}), "hunter2")
	})
	t.Run("refused URLs and names", func(t *testing.T) {
		f := f.sub(t)
		for _, u := range []string{
			"ext::sh -c touch% /tmp/pwned",
			"fd::17",
			"ssh://example.com/r.git", // not allowed here
			"git@example.com:r.git",
			"http://example.com/r.git",
			"https://user:pw@example.com/r.git",
			"-uhttps://example.com",
			filepath.Join(t.TempDir(), "outside.git"),
		} {
			f.fail("git_remote", map[string]any{"mode": "add", "name": "x", "url": u})
		}
		f.fail("git_remote", map[string]any{"mode": "add", "name": "--mirror", "url": "https://example.com/r"})
		f.fail("git_remote", map[string]any{"mode": "rename", "name": "origin", "newName": "a..b"})
		f.fail("git_remote", map[string]any{"mode": "frob"})
	})
}

func TestWorktreeModes(t *testing.T) {
	f := newFixture(t, Options{})
	rawGit(t, f.repo, "branch", "existing")
	wt1 := filepath.Join(f.root, "wt1")
	f.ok("git_worktree", map[string]any{"mode": "add", "worktreePath": "../wt1", "branch": "existing"})
	require.Equal(t, "existing", rawGit(t, wt1, "branch", "--show-current"))
	wt2 := filepath.Join(f.root, "wt2")
	f.ok("git_worktree", map[string]any{"mode": "add", "worktreePath": wt2, "branch": "fresh", "commitish": "HEAD"})
	require.Equal(t, "fresh", rawGit(t, wt2, "branch", "--show-current"))
	wt3 := filepath.Join(f.root, "wt3")
	f.ok("git_worktree", map[string]any{"mode": "add", "worktreePath": wt3, "detach": true})

	res := f.call("git_worktree", nil)
	var got struct{ Worktrees []Worktree }
	require.NoError(t, json.Unmarshal(res.Structured, &got))
	require.Len(t, got.Worktrees, 4)
	require.Equal(t, f.repo, got.Worktrees[0].Path)
	require.Equal(t, "main", got.Worktrees[0].Branch)
	require.True(t, got.Worktrees[3].Detached)

	// The tools work inside a worktree too.
	require.Contains(t, f.ok("git_status", map[string]any{"path": wt2}), "On branch fresh")

	moved := filepath.Join(f.root, "moved")
	f.ok("git_worktree", map[string]any{"mode": "move", "worktreePath": wt3, "newPath": moved})
	require.DirExists(t, moved)
	writeFile(t, filepath.Join(moved, "dirty"), "x")
	require.Contains(t, f.fail("git_worktree", map[string]any{"mode": "remove", "worktreePath": moved}), "untracked")
	f.ok("git_worktree", map[string]any{"mode": "remove", "worktreePath": moved, "force": true})
	require.NoError(t, os.RemoveAll(wt2))
	require.Contains(t, f.ok("git_worktree", map[string]any{"mode": "prune", "dryRun": true}), "wt2")
	f.ok("git_worktree", map[string]any{"mode": "prune", "verbose": true})

	outside := filepath.Join(t.TempDir(), "wt")
	require.Contains(t, f.fail("git_worktree", map[string]any{"mode": "add", "worktreePath": outside}), "outside")
	require.Contains(t, f.fail("git_worktree", map[string]any{"mode": "move", "worktreePath": wt1, "newPath": outside}), "outside")
	require.Contains(t, f.fail("git_worktree", map[string]any{"mode": "add", "worktreePath": wt1}), "not empty")
	f.fail("git_worktree", map[string]any{"mode": "add", "worktreePath": filepath.Join(f.root, "wt4"), "branch": "--detach"})
	f.fail("git_worktree", map[string]any{"mode": "add", "worktreePath": filepath.Join(f.root, "wt4"), "commitish": "-b"})
	f.fail("git_worktree", map[string]any{"mode": "frob"})
}
