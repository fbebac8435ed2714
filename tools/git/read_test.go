package git

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatus(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "keep.txt", "keep\n", "add keep")
	commitFile(t, f.repo, "old.txt", "old\n", "add old")
	writeFile(t, filepath.Join(f.repo, "README"), "changed\n")         // unstaged modification
	writeFile(t, filepath.Join(f.repo, "staged.txt"), "new\n")         // staged addition
	writeFile(t, filepath.Join(f.repo, "dir", "untracked.txt"), "u\n") // untracked
	rawGit(t, f.repo, "add", "staged.txt")
	rawGit(t, f.repo, "mv", "old.txt", "renamed.txt")
	require.NoError(t, os.Remove(filepath.Join(f.repo, "keep.txt"))) // unstaged deletion

	res := f.call("git_status", nil)
	require.False(t, res.IsError, res.Text())
	var st Status
	require.NoError(t, json.Unmarshal(res.Structured, &st))
	require.Equal(t, "main", st.Branch)
	require.False(t, st.Clean)
	require.ElementsMatch(t, []FileChange{
		{Path: "staged.txt", Status: "added"},
		{Path: "renamed.txt", Status: "renamed", OrigPath: "old.txt"},
	}, st.Staged)
	require.ElementsMatch(t, []FileChange{
		{Path: "README", Status: "modified"},
		{Path: "keep.txt", Status: "deleted"},
	}, st.Unstaged)
	require.Equal(t, []string{"dir/untracked.txt"}, st.Untracked)
	require.Contains(t, res.Text(), "renamed: old.txt -> renamed.txt")

	res = f.call("git_status", map[string]any{"includeUntracked": false})
	require.NoError(t, json.Unmarshal(res.Structured, &st))
	require.Empty(t, st.Untracked)
}

func TestStatusUpstreamAndDetached(t *testing.T) {
	f := newFixture(t, Options{})
	rawGit(t, f.repo, "branch", "base")
	rawGit(t, f.repo, "branch", "--set-upstream-to=base")
	commitFile(t, f.repo, "a.txt", "a\n", "ahead one")
	res := f.call("git_status", nil)
	var st Status
	require.NoError(t, json.Unmarshal(res.Structured, &st))
	require.Equal(t, "base", st.Upstream)
	require.Equal(t, 1, st.Ahead)
	require.Equal(t, 0, st.Behind)
	require.True(t, st.Clean)

	rawGit(t, f.repo, "checkout", "-q", "--detach")
	res = f.call("git_status", nil)
	require.NoError(t, json.Unmarshal(res.Structured, &st))
	require.True(t, st.Detached)
	require.Contains(t, res.Text(), "HEAD detached")
}

func TestStatusBareRepositoryIsRefused(t *testing.T) {
	f := newFixture(t, Options{})
	bare := filepath.Join(f.root, "bare.git")
	rawGit(t, f.root, "init", "-q", "--bare", bare)
	require.Contains(t, f.fail("git_status", map[string]any{"path": bare}), "bare")
}

// history makes n commits "commit 1".."commit n", alternating authors, each
// touching file<i%2>.txt.
var historySeq atomic.Int64

func history(t *testing.T, dir string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("file%d.txt", i%2)), fmt.Sprintf("v%d\n", historySeq.Add(1)))
		rawGit(t, dir, "add", "-A")
		author := "Alice <alice@example.com>"
		if i%2 == 0 {
			author = "Bob <bob@example.com>"
		}
		rawGit(t, dir, "commit", "-q", "--author="+author, "-m", fmt.Sprintf("commit %d", i), "-m", fmt.Sprintf("body of %d", i))
	}
}

func logOf(t *testing.T, f *fixture, args map[string]any) (LogResult, string) {
	t.Helper()
	res := f.call("git_log", args)
	require.False(t, res.IsError, res.Text())
	var lr LogResult
	require.NoError(t, json.Unmarshal(res.Structured, &lr))
	return lr, res.Text()
}

func subjects(lr LogResult) []string {
	var s []string
	for _, c := range lr.Commits {
		s = append(s, c.Subject)
	}
	return s
}

func TestLog(t *testing.T) {
	f := newFixture(t, Options{})
	history(t, f.repo, 6)
	rawGit(t, f.repo, "branch", "side", "HEAD~3")

	lr, text := logOf(t, f, nil)
	require.Len(t, lr.Commits, 7)
	require.Equal(t, "commit 6", lr.Commits[0].Subject)
	require.Equal(t, "body of 6", lr.Commits[0].Body)
	require.Equal(t, "Bob", lr.Commits[0].Author)
	require.Equal(t, "bob@example.com", lr.Commits[0].Email)
	require.Len(t, lr.Commits[0].Hash, 40)
	require.Equal(t, []string{lr.Commits[1].Hash}, lr.Commits[0].Parents)
	require.Empty(t, lr.Commits[6].Parents)
	require.Contains(t, text, "Author: Bob <bob@example.com>")

	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"maxCount", map[string]any{"maxCount": 2}, []string{"commit 6", "commit 5"}},
		{"skip", map[string]any{"maxCount": 2, "skip": 1}, []string{"commit 5", "commit 4"}},
		{"author", map[string]any{"author": "alice", "maxCount": 2}, []string{"commit 5", "commit 3"}},
		{"grep", map[string]any{"grep": "commit [12]$"}, []string{"commit 2", "commit 1"}},
		{"branch", map[string]any{"branch": "side", "maxCount": 1}, []string{"commit 3"}},
		{"range", map[string]any{"branch": "side..main"}, []string{"commit 6", "commit 5", "commit 4"}},
		{"filePath", map[string]any{"filePath": "file0.txt", "maxCount": 2}, []string{"commit 6", "commit 4"}},
		{"since future", map[string]any{"since": "2090-01-01"}, nil},
		{"until past", map[string]any{"until": "1971-01-01"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, _ := logOf(t, f, tt.args)
			require.Equal(t, tt.want, subjects(lr))
		})
	}

	t.Run("oneline", func(t *testing.T) {
		_, text := logOf(t, f, map[string]any{"oneline": true, "maxCount": 2})
		lines := strings.Split(text, "\n")
		require.Len(t, lines, 2)
		require.True(t, strings.HasSuffix(lines[0], " commit 6"))
	})
	t.Run("stat", func(t *testing.T) {
		_, text := logOf(t, f, map[string]any{"stat": true, "maxCount": 1})
		require.Contains(t, text, "file0.txt | 2 +-")
	})
	t.Run("patch", func(t *testing.T) {
		_, text := logOf(t, f, map[string]any{"patch": true, "maxCount": 1})
		require.Regexp(t, `\n-v\d+\n\+v\d+`, text)
	})
	t.Run("showSignature", func(t *testing.T) {
		lr, text := logOf(t, f, map[string]any{"showSignature": true, "maxCount": 1})
		require.Equal(t, "N", lr.Commits[0].Signature)
		require.Contains(t, text, "Signature: none")
	})
	t.Run("bad arguments", func(t *testing.T) {
		f := f.sub(t)
		f.fail("git_log", map[string]any{"maxCount": 0})
		f.fail("git_log", map[string]any{"maxCount": 1000000})
		f.fail("git_log", map[string]any{"skip": -1})
		require.Contains(t, f.fail("git_log", map[string]any{"branch": "--all"}), "starts with '-'")
		f.fail("git_log", map[string]any{"grep": "a\nb"})
		require.Contains(t, f.fail("git_log", map[string]any{"branch": "nope"}), "nope")
	})
}

func TestLogEmptyRepository(t *testing.T) {
	f := newFixture(t, Options{})
	empty := filepath.Join(f.root, "empty")
	rawGit(t, f.root, "init", "-q", empty)
	lr, text := logOf(t, f, map[string]any{"path": empty})
	require.Empty(t, lr.Commits)
	require.Contains(t, text, "No commits yet")
}

func TestLogCommitMessageCannotForgeRecords(t *testing.T) {
	f := newFixture(t, Options{})
	// A message holding record and field separators of the kind the parser
	// uses; the per-call marker keeps it one commit.
	rawGit(t, f.repo, "commit", "-q", "--allow-empty", "-m", "evil\x1e0000000000000000fake\x1e1")
	lr, _ := logOf(t, f, nil)
	require.Len(t, lr.Commits, 2)
	require.Contains(t, lr.Commits[0].Subject, "evil")
}

func TestLogTruncatesAtTheCap(t *testing.T) {
	f := newFixture(t, Options{MaxOutput: 2048})
	history(t, f.repo, 30)
	lr, text := logOf(t, f, map[string]any{"maxCount": 30})
	require.True(t, lr.Truncated)
	require.NotEmpty(t, lr.Commits)
	require.Less(t, len(lr.Commits), 31)
	require.Contains(t, text, "[output truncated at 2048 bytes")
	// Tools whose output is not naturally cut report the cap as an error.
	for i := range 80 {
		writeFile(t, filepath.Join(f.repo, fmt.Sprintf("untracked-file-with-a-long-name-%03d.txt", i)), "x")
	}
	require.Contains(t, f.fail("git_status", nil), "limit exceeded")
}

func TestDiff(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\n", "add a")
	commitFile(t, f.repo, "go.sum", "hash1\n", "add go.sum")
	rawGit(t, f.repo, "tag", "v1")
	commitFile(t, f.repo, "a.txt", "one\ntwo\nthree\nFOUR\nfive\nsix\nseven\n", "change a")
	writeFile(t, filepath.Join(f.repo, "a.txt"), "one\ntwo\nthree\nFOUR\nfive\nsix\nSEVEN\n")
	writeFile(t, filepath.Join(f.repo, "go.sum"), "hash2\n")
	writeFile(t, filepath.Join(f.repo, "b.txt"), "bee\n")
	rawGit(t, f.repo, "add", "b.txt")
	writeFile(t, filepath.Join(f.repo, "new.txt"), "brand new\n")

	tests := []struct {
		name     string
		args     map[string]any
		contains []string
		excludes []string
	}{
		{"work tree", nil, []string{"+SEVEN", "-seven"}, []string{"+FOUR", "go.sum", "b.txt", "new.txt"}},
		{"staged", map[string]any{"staged": true}, []string{"+bee"}, []string{"SEVEN"}},
		{"against target", map[string]any{"target": "v1"}, []string{"+FOUR", "+SEVEN"}, nil},
		{"source to target", map[string]any{"source": "v1", "target": "HEAD"}, []string{"+FOUR"}, []string{"SEVEN"}},
		{"source alone", map[string]any{"source": "v1"}, []string{"+FOUR", "+SEVEN"}, nil},
		{"nameOnly", map[string]any{"nameOnly": true}, []string{"a.txt"}, []string{"@@"}},
		{"stat", map[string]any{"stat": true}, []string{"a.txt | 2 +-"}, nil},
		{"contextLines", map[string]any{"contextLines": 0}, []string{"@@ -7 +7 @@"}, []string{"\n six"}},
		{"paths", map[string]any{"paths": []any{"go.sum"}, "autoExclude": false}, []string{"+hash2"}, []string{"SEVEN"}},
		{"autoExclude off", map[string]any{"autoExclude": false}, []string{"+hash2", "+SEVEN"}, nil},
		{"includeUntracked", map[string]any{"includeUntracked": true}, []string{"+brand new", "+SEVEN"}, nil},
		{"includeUntracked nameOnly", map[string]any{"includeUntracked": true, "nameOnly": true}, []string{"new.txt", "a.txt"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			text := f.ok("git_diff", tt.args)
			for _, c := range tt.contains {
				require.Contains(t, text, c)
			}
			for _, c := range tt.excludes {
				require.NotContains(t, text, c)
			}
		})
	}
	f.fail("git_diff", map[string]any{"staged": true, "source": "v1", "target": "HEAD"})
	f.fail("git_diff", map[string]any{"target": "-p"})
	f.fail("git_diff", map[string]any{"contextLines": -1})
	rawGit(t, f.repo, "stash", "-u")
	require.Equal(t, "No differences.", f.ok("git_diff", nil))
}

func TestShowBlameReflog(t *testing.T) {
	f := newFixture(t, Options{})
	commitFile(t, f.repo, "a.txt", "line one\nline two\n", "first a")
	rawGit(t, f.repo, "commit", "-q", "--allow-empty", "-m", "empty")
	commitFile(t, f.repo, "a.txt", "line one\nline 2\n", "second a")

	t.Run("show", func(t *testing.T) {
		f := f.sub(t)
		text := f.ok("git_show", map[string]any{"object": "HEAD"})
		require.Contains(t, text, "second a")
		require.Contains(t, text, "+line 2")
		require.Contains(t, f.ok("git_show", map[string]any{"object": "HEAD", "stat": true}), "a.txt | 2 +-")
		require.Contains(t, f.ok("git_show", map[string]any{"object": "HEAD", "format": "raw"}), "tree ")
		require.Equal(t, "line one\nline two", f.ok("git_show", map[string]any{"object": "HEAD~2", "filePath": "a.txt"}))
		require.Contains(t, f.fail("git_show", map[string]any{"object": "--output=/tmp/x"}), "starts with '-'")
		f.fail("git_show", map[string]any{"object": "HEAD", "format": "fuller"})
	})
	t.Run("blame", func(t *testing.T) {
		f := f.sub(t)
		text := f.ok("git_blame", map[string]any{"filePath": "a.txt"})
		require.Contains(t, text, "line one")
		require.Contains(t, text, "line 2")
		lines := strings.Split(f.ok("git_blame", map[string]any{"filePath": "a.txt", "startLine": 2, "endLine": 2}), "\n")
		require.Len(t, lines, 1)
		require.Contains(t, lines[0], "line 2")
		f.ok("git_blame", map[string]any{"filePath": "a.txt", "ignoreWhitespace": true, "startLine": 1})
		f.fail("git_blame", map[string]any{"filePath": "a.txt", "startLine": 2, "endLine": 1})
		f.fail("git_blame", map[string]any{"filePath": "missing.txt"})
		// A file named like an option is still a file: it follows "--".
		commitFile(t, f.repo, "--output=x", "dash\n", "dash file")
		require.Contains(t, f.ok("git_blame", map[string]any{"filePath": "--output=x"}), "dash")
	})
	t.Run("reflog", func(t *testing.T) {
		f := f.sub(t)
		text := f.ok("git_reflog", nil)
		require.Contains(t, text, "HEAD@{0}: commit")
		require.Len(t, strings.Split(f.ok("git_reflog", map[string]any{"maxCount": 2}), "\n"), 2)
		require.Contains(t, f.ok("git_reflog", map[string]any{"ref": "main"}), "main@{0}")
		f.fail("git_reflog", map[string]any{"ref": "-n1"})
	})
}

func TestChangelogAnalyze(t *testing.T) {
	f := newFixture(t, Options{})
	history(t, f.repo, 3)
	rawGit(t, f.repo, "tag", "-a", "v1.0", "-m", "release one")
	history(t, f.repo, 2)
	res := f.call("git_changelog_analyze", map[string]any{"reviewTypes": []any{"security", "breaking_changes"}})
	require.False(t, res.IsError, res.Text())
	var cl Changelog
	require.NoError(t, json.Unmarshal(res.Structured, &cl))
	require.Len(t, cl.Commits, 6)
	require.Len(t, cl.Tags, 1)
	require.Equal(t, "v1.0", cl.Tags[0].Name)
	require.True(t, cl.Tags[0].Annotated)
	require.Contains(t, res.Text(), "Security:")
	require.Contains(t, res.Text(), "Breaking changes:")
	require.NotContains(t, res.Text(), "Storyline:")

	res = f.call("git_changelog_analyze", map[string]any{"reviewTypes": []any{"features"}, "sinceTag": "v1.0", "maxTags": 0})
	require.NoError(t, json.Unmarshal(res.Structured, &cl))
	require.Len(t, cl.Commits, 2)
	require.Empty(t, cl.Tags)

	f.fail("git_changelog_analyze", map[string]any{"reviewTypes": []any{}})
	f.fail("git_changelog_analyze", map[string]any{"reviewTypes": []any{"vibes"}})
	f.fail("git_changelog_analyze", map[string]any{"reviewTypes": []any{"gaps"}, "sinceTag": "-x"})
}
