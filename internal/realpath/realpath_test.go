package realpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

// tree builds a directory layout under a fresh temporary directory. Entries
// ending in "/" are directories, "a -> b" are symlinks, others are files.
func tree(t testing.TB, entries ...string) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	testtree.Build(t, root, "x", strings.NewReplacer("$ROOT", root), entries...)
	return root
}

func TestResolve(t *testing.T) {
	root := tree(t,
		"sb/", "sb/file.txt", "out/", "out/secret",
		"sb/abs -> $ROOT/out",
		"sb/rel -> ../out",
		"sb/dangling -> $ROOT/out/new.txt",
		"sb/dangling-rel -> ../out/deeper/new.txt",
		"sb/chain1 -> chain2", "sb/chain2 -> $ROOT/out/secret",
		"sb/loop1 -> loop2", "sb/loop2 -> loop1",
		"sb/self -> self",
		"sb/dotdot -> $ROOT/out/../sb/file.txt",
	)
	deep := strings.Repeat("/n", 100)
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"existing file", "/sb/file.txt", "/sb/file.txt", nil},
		{"root dir", "", "", nil},
		{"redundant separators and dots", "//sb/./file.txt/", "/sb/file.txt", nil},
		{"missing tail is lexical", "/sb/new/deeper/x.txt", "/sb/new/deeper/x.txt", nil},
		{"absolute symlink dir", "/sb/abs/secret", "/out/secret", nil},
		{"relative symlink dir", "/sb/rel/secret", "/out/secret", nil},
		{"dangling symlink judged by its target", "/sb/dangling", "/out/new.txt", nil},
		{"dangling relative symlink", "/sb/dangling-rel", "/out/deeper/new.txt", nil},
		{"symlink chain", "/sb/chain1", "/out/secret", nil},
		{"dotdot applied after the symlink", "/sb/abs/../sb/file.txt", "/sb/file.txt", nil},
		{"dotdot after symlink leaves the sandbox", "/sb/rel/../out/secret", "/out/secret", nil},
		{"symlink target containing dotdot", "/sb/dotdot", "/sb/file.txt", nil},
		{"dotdot out of missing territory back into a symlink", "/sb/missing/../abs/secret", "/out/secret", nil},
		{"deep missing components under a symlink", "/sb/abs" + deep, "/out" + deep, nil},
		{"component under a regular file", "/sb/file.txt/x", "/sb/file.txt/x", nil},
		{"loop", "/sb/loop1", "", ErrLoop},
		{"self loop", "/sb/self/x", "", ErrLoop},
		{"dotdot above root stays at root", "/../../sb/file.txt", "/sb/file.txt", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := root + tc.in
			if strings.HasPrefix(tc.in, "/..") {
				in = root + "/" + strings.Repeat("../", strings.Count(root, "/")+2) + strings.TrimPrefix(root, "/") + "/sb/file.txt"
			}
			got, err := resolve1(in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, root+tc.want, got)
		})
	}
}

func TestResolveRejects(t *testing.T) {
	_, err := resolve1("relative/path")
	require.ErrorIs(t, err, ErrNotAbsolute)
	_, err = resolve1("/a\x00b")
	require.ErrorIs(t, err, ErrInvalid)
	_, err = resolve1("/" + strings.Repeat("a/", MaxPath))
	require.ErrorIs(t, err, ErrTooLong)
	require.Equal(t, "/", must(resolve1("/")))
}

func TestResolveUnreadableParent(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	root := tree(t, "locked/", "locked/inner/")
	require.NoError(t, os.Chmod(filepath.Join(root, "locked"), 0))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(root, "locked"), 0o755) })
	_, err := resolve1(root + "/locked/inner/x")
	require.Error(t, err, "a component that cannot be examined must not be judged lexically")
}

func TestMarksSeeEveryVisitedLocation(t *testing.T) {
	root := tree(t,
		"home/.ssh/", "home/.ssh/id_rsa", "sb/",
		"sb/to-ssh -> $ROOT/home/.ssh",
		"sb/through -> $ROOT/home/.ssh/../public",
		"home/public/",
		"home/link-ssh -> $ROOT/keys", "keys/", "keys/k",
	)
	marks := NewMarks([]string{root + "/home/.ssh", root + "/home/link-ssh"})
	cases := []struct {
		in   string
		want []int
	}{
		{"/home/.ssh/id_rsa", []int{0}},
		{"/sb/to-ssh/id_rsa", []int{0}},
		{"/sb/through/x", []int{0}}, // passes through .ssh on the way
		{"/home/public/x", nil},
		{"/home/link-ssh/k", []int{1}}, // the marked symlink itself is a location
		{"/keys/k", nil},
		{"/HOME/.SSH/id_rsa", []int{0}}, // case folding: a case-insensitive fs must not dodge
	}
	for _, tc := range cases {
		// On a case-sensitive file system "/HOME/.SSH" does not exist and is
		// appended lexically; folding still makes it hit the mark.
		_, hits, err := Resolve(root+tc.in, marks)
		require.NoError(t, err, tc.in)
		for i := 0; i < 2; i++ {
			require.Equal(t, containsInt(tc.want, i), hits.Has(i), "%s mark %d", tc.in, i)
		}
	}
}

func TestWithin(t *testing.T) {
	require.True(t, Within("/a/b", "/a/b"))
	require.True(t, Within("/a/b/c", "/a/b"))
	require.False(t, Within("/a/bc", "/a/b"))
	require.False(t, Within("/a", "/a/b"))
	require.True(t, Within("/anything", "/"))
	require.True(t, Within("/", "/"))
}

func TestFold(t *testing.T) {
	require.Equal(t, Fold("/home/user/.ssh"), Fold("/HOME/User/.SSH"))
	require.Equal(t, Fold("k"), Fold("\u212a"), "Kelvin sign folds like k")
	require.NotEqual(t, Fold("/a"), Fold("/b"))
	require.Equal(t, "\xff", Fold("\xff"), "invalid UTF-8 is kept byte for byte")
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// resolve1 resolves without marks.
func resolve1(p string) (string, error) {
	s, _, err := Resolve(p, nil)
	return s, err
}
