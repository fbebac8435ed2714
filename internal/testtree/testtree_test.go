package testtree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCanCreate(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "d/e"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "f"), nil, 0o644))
	require.NoError(t, os.Symlink("../..", filepath.Join(root, "up")))
	require.NoError(t, os.Symlink("d", filepath.Join(root, "down")))
	require.NoError(t, os.Symlink("nowhere", filepath.Join(root, "dangling")))

	for p, want := range map[string]bool{
		"new":       true,
		"d/new":     true,
		"d/e/x/y/z": true,
		"new/x/y":   true,
		"d":         false, // exists
		"f":         false,
		"f/x":       false, // under a file
		"up/x":      false, // through a symlink out of root
		"down/x":    false, // through a symlink, even one that stays inside
		"dangling":  false, // creating it would follow the link
		"../escape": false,
		"d/../../x": false,
		".":         false,
		"":          false,
	} {
		require.Equal(t, want, CanCreate(root, filepath.Join(root, p)), p)
	}
	require.False(t, CanCreate(root, "/elsewhere/x"))
}

func TestBuild(t *testing.T) {
	root := t.TempDir()
	Build(t, root, "hi", strings.NewReplacer("$ROOT", root), "d/e/", "d/f.txt", "l/ink -> $ROOT/d", "rel -> d/f.txt")
	fi, err := os.Lstat(filepath.Join(root, "d/e"))
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	b, err := os.ReadFile(filepath.Join(root, "d/f.txt"))
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))
	to, err := os.Readlink(filepath.Join(root, "l/ink"))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "d"), to, "targets are expanded")
	to, err = os.Readlink(filepath.Join(root, "rel"))
	require.NoError(t, err)
	require.Equal(t, "d/f.txt", to)
}
