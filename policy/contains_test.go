package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestProtectedPathAncestors is hole 3 of issue 14: a directory that contains
// a protected path must not be moved, renamed, deleted, overwritten or walked,
// or the protected path is read under a new name or revealed by the walk.
func TestProtectedPathAncestors(t *testing.T) {
	w := newWorld(t, "sandbox/proj/", "sandbox/proj/keys/", "sandbox/proj/keys/secret", "sandbox/empty/",
		"sandbox/up -> $HOME/sandbox/proj", "sandbox/homelink -> $HOME")
	e, err := Default(Config{Home: w.home, Sandbox: w.sandbox, Protected: []string{w.p("sandbox/proj/keys/secret")}})
	require.NoError(t, err)
	secret := w.p("sandbox/proj/keys/secret")
	deny := []struct {
		name string
		c    ironcurtain.ToolCall
	}{
		{"move the parent", call("filesystem", "move_file", "source", "proj/keys", "destination", "k2")},
		{"move the grandparent", call("filesystem", "move_file", "source", "proj", "destination", "p2")},
		{"move through a symlink to the parent", call("filesystem", "move_file", "source", "up", "destination", "p2")},
		{"move onto the parent", call("filesystem", "move_file", "source", "empty", "destination", "proj")},
		{"tree of the sandbox", call("filesystem", "directory_tree", "path", ".")},
		{"search the parent", call("filesystem", "search_files", "path", "proj/keys", "pattern", "*")},
		{"git on a work tree containing it", call("git", "git_status", "path", "proj")},
		{"git diff on the sandbox", call("git", "git_diff", "path", ".", "includeUntracked", true)},
		{"git reset --hard", call("git", "git_reset", "path", "proj", "mode", "hard")},
		{"move the home through a symlink", call("filesystem", "move_file", "source", "homelink", "destination", "h2")},
	}
	for _, tc := range deny {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, e, tc.c)
			require.Equal(t, ironcurtain.Deny, d.Verdict, "%s: %s", d.Rule, d.Reason)
			require.Equal(t, RuleProtectedPath, d.Rule)
			if tc.name == "move the home through a symlink" {
				require.Contains(t, d.Reason, "lies inside "+w.home, "the home holds several protected paths")
				return
			}
			require.Contains(t, d.Reason, secret, "the protected path is named")
		})
	}
	allow := []struct {
		name string
		c    ironcurtain.ToolCall
	}{
		{"list the parent's names", call("filesystem", "list_directory", "path", "proj/keys")},
		{"info of the parent", call("filesystem", "get_file_info", "path", "proj")},
		{"move a sibling", call("filesystem", "move_file", "source", "notes.txt", "destination", "empty/n.txt")},
		{"tree of a sibling", call("filesystem", "directory_tree", "path", "empty")},
	}
	for _, tc := range allow {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, e, tc.c)
			require.NotEqual(t, RuleProtectedPath, d.Rule, d.Reason)
		})
	}
}
