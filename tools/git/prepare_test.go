package git

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

func TestPrepareCall(t *testing.T) {
	f := newFixture(t, Options{})
	sub := filepath.Join(f.root, "sub")
	tests := []struct {
		name string
		tool string
		args map[string]any
		want map[string]any // nil: the call comes back unchanged
	}{
		{"absent path", "git_status", map[string]any{}, map[string]any{"path": f.repo}},
		{"nil arguments", "git_log", nil, map[string]any{"path": f.repo}},
		{"empty path", "git_status", map[string]any{"path": ""}, map[string]any{"path": f.repo}},
		{"dot", "git_status", map[string]any{"path": "."}, map[string]any{"path": f.repo}},
		{"relative", "git_log", map[string]any{"path": "../sub"}, map[string]any{"path": sub}},
		{"absolute unchanged", "git_status", map[string]any{"path": f.repo}, nil},
		{"absolute cleaned", "git_status", map[string]any{"path": f.repo + "/./x/.."}, map[string]any{"path": f.repo}},
		{"clone destination", "git_clone", map[string]any{"url": "https://example.com/r", "path": "clone"},
			map[string]any{"url": "https://example.com/r", "path": filepath.Join(f.repo, "clone")}},
		{"clone without path", "git_clone", map[string]any{"url": "https://example.com/r"}, nil},
		{"set working dir relative", "git_set_working_dir", map[string]any{"path": ".."}, map[string]any{"path": f.root}},
		{"worktree paths", "git_worktree", map[string]any{"mode": "move", "worktreePath": "../wt", "newPath": "/abs/wt2"},
			map[string]any{"path": f.repo, "mode": "move", "worktreePath": filepath.Join(f.root, "wt"), "newPath": "/abs/wt2"}},
		{"no path tool", "git_wrapup_instructions", map[string]any{"acknowledgement": "yes"}, nil},
		{"unknown tool", "git_unknown", map[string]any{"path": "."}, nil},
		{"non-string path left for the tool", "git_status", map[string]any{"path": 3.0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			var before []byte
			if tt.args != nil {
				before, _ = json.Marshal(tt.args)
			}
			call := ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: tt.tool, Arguments: tt.args}
			got, err := f.s.PrepareCall(context.Background(), call)
			require.NoError(t, err)
			if tt.want == nil {
				require.Equal(t, tt.args, got.Arguments)
			} else {
				require.Equal(t, tt.want, got.Arguments)
			}
			if tt.args != nil {
				after, _ := json.Marshal(tt.args)
				require.JSONEq(t, string(before), string(after), "PrepareCall must not modify the caller's map")
			}
		})
	}
}

func TestPrepareCallFollowsSessionWorkingDir(t *testing.T) {
	f := newFixture(t, Options{})
	other := newRepo(t, filepath.Join(f.root, "other"))
	f.ok("git_set_working_dir", map[string]any{"path": other})
	got, err := f.s.PrepareCall(context.Background(), ironcurtain.ToolCall{Session: testSession, Tool: "git_status"})
	require.NoError(t, err)
	require.Equal(t, other, got.Arguments["path"])
	got, err = f.s.PrepareCall(context.Background(), ironcurtain.ToolCall{Session: "another", Tool: "git_status"})
	require.NoError(t, err)
	require.Equal(t, f.repo, got.Arguments["path"], "sessions do not share working directories")
}

func TestPrepareCallWithoutWorkingDirDenies(t *testing.T) {
	requireGit(t)
	s, err := New(Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.PrepareCall(context.Background(), ironcurtain.ToolCall{Tool: "git_status", Arguments: map[string]any{"path": "."}})
	require.Error(t, err)
	got, err := s.PrepareCall(context.Background(), ironcurtain.ToolCall{Tool: "git_status", Arguments: map[string]any{"path": "/abs"}})
	require.NoError(t, err)
	require.Equal(t, "/abs", got.Arguments["path"])
}

func TestWorkingDirTools(t *testing.T) {
	f := newFixture(t, Options{})
	other := newRepo(t, filepath.Join(f.root, "other"))
	commitFile(t, other, "b.txt", "b\n", "second")

	t.Run("set relative", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.ok("git_set_working_dir", map[string]any{"path": "../other"}), other)
		require.Contains(t, f.ok("git_log", map[string]any{"oneline": true}), "second")
	})
	t.Run("clear", func(t *testing.T) {
		f := f.sub(t)
		require.Contains(t, f.fail("git_clear_working_dir", map[string]any{"confirm": "no"}), "confirm")
		require.Contains(t, f.ok("git_clear_working_dir", map[string]any{"confirm": "yes"}), f.repo)
		require.NotContains(t, f.ok("git_log", map[string]any{"oneline": true}), "second")
	})
	t.Run("not a repository", func(t *testing.T) {
		f := f.sub(t)
		plain := filepath.Join(f.root, "plain")
		require.NoError(t, os.Mkdir(plain, 0o755))
		require.Contains(t, f.fail("git_set_working_dir", map[string]any{"path": plain}), "not in a git repository")
		f.ok("git_set_working_dir", map[string]any{"path": plain, "validateGitRepo": false})
		f.ok("git_clear_working_dir", map[string]any{"confirm": "Y"})
	})
	t.Run("initialize", func(t *testing.T) {
		f := f.sub(t)
		fresh := filepath.Join(f.root, "fresh", "project")
		res := f.call("git_set_working_dir", map[string]any{"path": fresh, "initializeIfNotPresent": true})
		require.False(t, res.IsError, res.Text())
		require.Contains(t, res.Text(), "Initialized")
		require.DirExists(t, filepath.Join(fresh, ".git"))
		require.Contains(t, f.ok("git_status", nil), "no commits yet")
		require.Contains(t, f.ok("git_branch", map[string]any{"mode": "show-current"}), "main")
		f.ok("git_clear_working_dir", map[string]any{"confirm": "y"})
	})
	t.Run("outside roots", func(t *testing.T) {
		f := f.sub(t)
		outside := newRepo(t, t.TempDir())
		require.Contains(t, f.fail("git_set_working_dir", map[string]any{"path": outside}), "outside")
		require.Contains(t, f.fail("git_status", map[string]any{"path": outside}), "outside")
	})
	t.Run("symlink out of the roots", func(t *testing.T) {
		f := f.sub(t)
		outside := newRepo(t, t.TempDir())
		link := filepath.Join(f.root, "link")
		require.NoError(t, os.Symlink(outside, link))
		require.Contains(t, f.fail("git_status", map[string]any{"path": link}), "outside")
	})
	t.Run("prefix is not containment", func(t *testing.T) {
		f := f.sub(t)
		// root "/x/root" must not admit "/x/root-other".
		sibling := newRepo(t, f.root+"-other")
		t.Cleanup(func() { os.RemoveAll(sibling) })
		require.Contains(t, f.fail("git_status", map[string]any{"path": sibling}), "outside")
	})
}

func TestInitTool(t *testing.T) {
	f := newFixture(t, Options{})
	dir := filepath.Join(f.root, "new")
	require.Contains(t, f.ok("git_init", map[string]any{"path": dir, "initialBranch": "trunk"}), "Initialized")
	require.Equal(t, "trunk", rawGit(t, dir, "symbolic-ref", "--short", "HEAD"))
	bare := filepath.Join(f.root, "bare.git")
	f.ok("git_init", map[string]any{"path": bare, "bare": true})
	require.Equal(t, "true", rawGit(t, bare, "rev-parse", "--is-bare-repository"))
	require.Contains(t, f.fail("git_init", map[string]any{"path": dir, "initialBranch": "-x"}), "starts with '-'")
	require.Contains(t, f.fail("git_init", map[string]any{"path": filepath.Join(t.TempDir(), "x")}), "outside")
}

func TestWrapupInstructions(t *testing.T) {
	f := newFixture(t, Options{})
	plain := f.ok("git_wrapup_instructions", map[string]any{"acknowledgement": "yes"})
	require.Contains(t, plain, "git_commit")
	require.NotContains(t, plain, "git_tag")
	require.Contains(t, f.ok("git_wrapup_instructions", map[string]any{"acknowledgement": "Y", "createTag": true}), "git_tag")
	f.fail("git_wrapup_instructions", map[string]any{"acknowledgement": "nope"})
}
