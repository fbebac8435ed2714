package git

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testvault"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
	"github.com/stretchr/testify/require"
)

// surface is the tool surface of the reference git server: tool name →
// argument names (required ones marked with "!"), and whether the tool is
// read-only. Agents and policies depend on exactly these names.
var surface = []struct {
	name string
	args []string
	ro   bool
}{
	{"git_add", []string{"path", "paths", "update", "all", "force"}, false},
	{"git_blame", []string{"path", "filePath!", "startLine", "endLine", "ignoreWhitespace"}, true},
	{"git_branch", []string{"path", "mode", "branchName", "newBranchName", "startPoint", "force", "all", "remote", "merged", "noMerged", "limit"}, false},
	{"git_changelog_analyze", []string{"path", "reviewTypes!", "maxCommits", "maxTags", "sinceTag", "branch"}, true},
	{"git_checkout", []string{"path", "target!", "createBranch", "force", "paths", "track"}, false},
	{"git_cherry_pick", []string{"path", "commits", "noCommit", "continueOperation", "abort", "mainline", "strategy", "signoff"}, false},
	{"git_clean", []string{"path", "force", "dryRun", "directories", "ignored"}, false},
	{"git_clear_working_dir", []string{"confirm!"}, false},
	{"git_clone", []string{"url!", "path!", "branch", "depth", "bare", "mirror"}, false},
	{"git_commit", []string{"path", "message!", "author", "amend", "allowEmpty", "noVerify", "filesToStage"}, false},
	{"git_diff", []string{"path", "target", "source", "paths", "staged", "includeUntracked", "nameOnly", "stat", "contextLines", "autoExclude"}, true},
	{"git_fetch", []string{"path", "remote", "prune", "tags", "depth"}, false},
	{"git_init", []string{"path", "initialBranch", "bare"}, false},
	{"git_log", []string{"path", "maxCount", "skip", "since", "until", "author", "grep", "branch", "filePath", "oneline", "stat", "patch", "showSignature"}, true},
	{"git_merge", []string{"path", "branch", "strategy", "noFastForward", "squash", "message", "abort"}, false},
	{"git_pull", []string{"path", "remote", "branch", "rebase", "fastForwardOnly"}, false},
	{"git_push", []string{"path", "remote", "branch", "force", "forceWithLease", "setUpstream", "tags", "dryRun", "delete", "remoteBranch", "confirmed"}, false},
	{"git_rebase", []string{"path", "mode", "upstream", "branch", "interactive", "onto", "preserve"}, false},
	{"git_reflog", []string{"path", "ref", "maxCount"}, true},
	{"git_remote", []string{"path", "mode", "name", "url", "newName", "push"}, false},
	{"git_reset", []string{"path", "mode", "target", "paths", "confirmed"}, false},
	{"git_set_working_dir", []string{"path!", "validateGitRepo", "initializeIfNotPresent"}, false},
	{"git_show", []string{"path", "object!", "format", "stat", "filePath"}, true},
	{"git_stash", []string{"path", "mode", "message", "stashRef", "includeUntracked", "keepIndex", "limit"}, false},
	{"git_status", []string{"path", "includeUntracked"}, true},
	{"git_tag", []string{"path", "mode", "tagName", "commit", "message", "annotated", "force", "limit"}, false},
	{"git_worktree", []string{"path", "mode", "worktreePath", "branch", "commitish", "force", "newPath", "detach", "verbose", "dryRun"}, false},
	{"git_wrapup_instructions", []string{"acknowledgement!", "createTag"}, true},
}

func TestToolSurfaceMatchesReference(t *testing.T) {
	f := newFixture(t, Options{})
	tools, err := f.s.Tools(context.Background())
	require.NoError(t, err)
	require.Len(t, tools, 28)
	for i, want := range surface {
		tl := tools[i]
		t.Run(want.name, func(t *testing.T) {
			require.Equal(t, want.name, tl.Name)
			require.NotEmpty(t, tl.Description)
			var schema struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			}
			require.NoError(t, json.Unmarshal(tl.InputSchema, &schema))
			var names, required []string
			for _, a := range want.args {
				n, req := a, false
				if a[len(a)-1] == '!' {
					n, req = a[:len(a)-1], true
				}
				names = append(names, n)
				if req {
					required = append(required, n)
				}
			}
			got := make([]string, 0, len(schema.Properties))
			for k := range schema.Properties {
				got = append(got, k)
			}
			require.ElementsMatch(t, names, got)
			require.ElementsMatch(t, required, schema.Required)
			require.Equal(t, want.ro, tl.Annotations.ReadOnlyHint)
			if want.ro {
				require.False(t, tl.Annotations.DestructiveHint)
			}
			network := slices.Contains([]string{"git_clone", "git_fetch", "git_pull", "git_push"}, want.name)
			require.Equal(t, network, tl.Annotations.OpenWorldHint)
			if slices.Contains([]string{"git_reset", "git_clean", "git_push", "git_branch", "git_rebase", "git_stash", "git_tag", "git_worktree"}, want.name) {
				require.True(t, tl.Annotations.DestructiveHint)
			}
		})
	}
}

func TestNewValidatesOptions(t *testing.T) {
	requireGit(t)
	root := t.TempDir()
	file := filepath.Join(root, "file")
	writeFile(t, file, "x")
	vault := testvault.Map{}
	tests := []struct {
		name string
		opts Options
	}{
		{"relative root", Options{Roots: []string{"relative"}}},
		{"missing root", Options{Roots: []string{filepath.Join(root, "missing")}}},
		{"file root", Options{Roots: []string{file}}},
		{"default dir outside roots", Options{Roots: []string{filepath.Join(root)}, DefaultDir: "/"}},
		{"missing git", Options{Git: filepath.Join(root, "no-git")}},
		{"not git", Options{Git: "/bin/true"}},
		{"ext protocol", Options{AllowedProtocols: []string{"ext"}}},
		{"fd protocol", Options{AllowedProtocols: []string{"fd"}}},
		{"unknown protocol", Options{AllowedProtocols: []string{"gopher"}}},
		{"credentials without vault", Options{Credentials: map[string]Credential{"example.com": {Name: "t"}}}},
		{"credential without name", Options{Vault: vault, Credentials: map[string]Credential{"example.com": {}}}},
		{"credential host with path", Options{Vault: vault, Credentials: map[string]Credential{"example.com/x": {Name: "t"}}}},
		{"env overrides HOME", Options{Env: map[string]string{"HOME": "/root"}}},
		{"env sets GIT_DIR", Options{Env: map[string]string{"GIT_DIR": "/x"}}},
		{"env sets GIT_CONFIG_COUNT", Options{Env: map[string]string{"GIT_CONFIG_COUNT": "1"}}},
		{"env sets LD_PRELOAD", Options{Env: map[string]string{"LD_PRELOAD": "/x.so"}}},
		{"identity with newline", Options{Identity: Identity{Name: "a\nb", Email: "a@b"}}},
		{"identity with angle bracket", Options{Identity: Identity{Name: "a", Email: "<a@b>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if s != nil {
				s.Close()
			}
			require.Error(t, err)
		})
	}
}

func TestZeroOptionsGrantNothing(t *testing.T) {
	requireGit(t)
	s, err := New(Options{})
	require.NoError(t, err)
	defer s.Close()
	repo := newRepo(t, t.TempDir())
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "git_status", Arguments: map[string]any{"path": repo}})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Contains(t, res.Text(), "outside the directories")
	res, err = s.Call(context.Background(), ironcurtain.ToolCall{Tool: "git_status"})
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Contains(t, res.Text(), "no working directory")
	require.Equal(t, []string{"https"}, s.cfg.protocols)
}

func TestCloseIsIdempotentAndRefusesCalls(t *testing.T) {
	requireGit(t)
	s, err := New(Options{})
	require.NoError(t, err)
	base := s.base
	require.DirExists(t, base)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.NoDirExists(t, base)
	_, err = s.Call(context.Background(), ironcurtain.ToolCall{Tool: "git_status"})
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
}

func TestUnknownToolIsAnError(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Tool: "git_frobnicate"})
	require.ErrorIs(t, err, ironcurtain.ErrUnknownTool)
}

func TestInvalidArgumentsAreToolErrors(t *testing.T) {
	f := newFixture(t, Options{})
	require.Contains(t, f.fail("git_log", map[string]any{"maxCount": "ten"}), "maxCount")
	require.Contains(t, f.fail("git_status", map[string]any{"bogus": true}), "bogus")
}

// TestUnknownModesAreToolErrors covers both layers that refuse a mode a
// multi-mode tool does not have: the schema's enum and pickMode behind it.
func TestUnknownModesAreToolErrors(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tool := range []string{"git_branch", "git_tag", "git_remote", "git_worktree", "git_stash", "git_reset", "git_rebase"} {
		require.Contains(t, f.fail(tool, map[string]any{"mode": "frobnicate"}), "mode", tool)
	}
	handlers := map[string]int{"": 1, "list": 1, "create": 2}
	for mode, want := range handlers {
		got, err := pickMode(mode, handlers)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := pickMode("frobnicate", handlers)
	te, ok := toolset.AsError(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, `unknown mode "frobnicate"`, te.Public)
}

func TestCancelledContextIsAGoError(t *testing.T) {
	f := newFixture(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.s.Call(ctx, ironcurtain.ToolCall{Tool: "git_status"})
	require.ErrorIs(t, err, context.Canceled)
}

func TestConcurrentSessions(t *testing.T) {
	f := newFixture(t, Options{})
	other := newRepo(t, filepath.Join(f.root, "other"))
	commitFile(t, other, "other.txt", "x\n", "second in other")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		session := "a"
		dir := f.repo
		if i%2 == 1 {
			session, dir = "b", other
		}
		wg.Go(func() {
			ctx := context.Background()
			res, err := f.s.Call(ctx, ironcurtain.ToolCall{Session: session, Tool: "git_set_working_dir", Arguments: map[string]any{"path": dir}})
			if err == nil && res.IsError {
				err = errors.New(res.Text())
			}
			if err != nil {
				errs <- err
				return
			}
			res, err = f.s.Call(ctx, ironcurtain.ToolCall{Session: session, Tool: "git_log", Arguments: map[string]any{"oneline": true}})
			if err == nil && res.IsError {
				err = errors.New(res.Text())
			}
			if err != nil {
				errs <- err
				return
			}
			var lr LogResult
			if err := json.Unmarshal(res.Structured, &lr); err != nil {
				errs <- err
				return
			}
			want := 1
			if session == "b" {
				want = 2
			}
			if len(lr.Commits) != want {
				errs <- errors.New("session saw another session's working directory")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestServerDirectoryIsPrivate(t *testing.T) {
	f := newFixture(t, Options{})
	for _, d := range []string{f.s.base, f.s.home} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		require.Zero(t, fi.Mode().Perm()&0o077, "%s must not be accessible to others", d)
	}
	entries, err := os.ReadDir(f.s.hooks)
	require.NoError(t, err)
	require.Empty(t, entries)
}
