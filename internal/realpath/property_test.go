package realpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

var names = []string{"a", "b", "c", "..", ".", "l1", "l2"}

// genTree creates a random tree of directories, files and symlinks (some
// absolute, some relative, some dangling, some looping) under a fresh root.
func genTree(t *rapid.T) string {
	root, err := os.MkdirTemp("", "realpath-prop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	root, err = filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	n := rapid.IntRange(0, 12).Draw(t, "entries")
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, filepath.Join(rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "c"}), 0, 3).Draw(t, "dir")...))
		name := rapid.SampledFrom([]string{"a", "b", "c", "l1", "l2", "f"}).Draw(t, "name")
		p := filepath.Join(dir, name)
		testtree.Make(t, root, p, names)
	}
	return root
}

func genPath(t *rapid.T, root string) string {
	parts := rapid.SliceOfN(rapid.SampledFrom(append(names, "new", "f")), 1, 8).Draw(t, "path")
	return root + "/" + strings.Join(parts, "/")
}

// TestResolveIsWhereTheKernelLands checks, over random trees of directories
// and symlinks, that a resolved path is clean, absolute and idempotent, that
// it agrees with filepath.EvalSymlinks wherever the path exists, and — the
// property the policy relies on — that a file the kernel creates through the
// original path lands exactly at the resolved path.
func TestResolveIsWhereTheKernelLands(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		root := genTree(t)
		p := genPath(t, root)
		got, err := resolve1(p)
		if err != nil {
			require.ErrorIs(t, err, ErrLoop, "only loops may fail in a tree we can read")
			return
		}
		require.True(t, filepath.IsAbs(got))
		require.Equal(t, filepath.Clean(got), got)
		again, err := resolve1(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "resolution must be idempotent")

		if _, statErr := os.Stat(p); statErr == nil {
			want, err := filepath.EvalSymlinks(p)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
		// Create through the original path; the kernel must put it where
		// Resolve said. Only beneath root: a path that leaves the tree
		// would create files in the machine's own directories.
		if !Within(got, root) || got == root {
			return
		}
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_ = f.Close()
			a, err1 := os.Stat(p)
			b, err2 := os.Stat(got)
			require.NoError(t, err1)
			require.NoError(t, err2, "created through %s but nothing at %s", p, got)
			require.True(t, os.SameFile(a, b), "created through %s, resolved to %s", p, got)
		}
	})
}

// TestResolveMkdirAll checks the same for directories made with parents,
// the way create_directory makes them.
func TestResolveMkdirAll(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		root := genTree(t)
		p := genPath(t, root)
		got, err := resolve1(p)
		if err != nil || !Within(got, root) || got == root {
			return
		}
		if os.MkdirAll(p, 0o755) != nil {
			return
		}
		a, err1 := os.Stat(p)
		b, err2 := os.Stat(got)
		require.NoError(t, err1)
		require.NoError(t, err2, "mkdir -p %s made nothing at %s", p, got)
		require.True(t, os.SameFile(a, b))
	})
}

func FuzzResolve(f *testing.F) {
	root := tree(f, "sb/", "sb/file", "out/", "sb/l -> ../out", "sb/d -> $ROOT/out/x/y", "sb/loop -> loop")
	for _, s := range []string{"sb/file", "sb/l/../sb", "sb/d", "sb/loop", "sb/l/new/../../sb/d", "../../..", "sb//./l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := resolve1(root + "/" + rel)
		if err != nil {
			return
		}
		require.True(t, filepath.IsAbs(got))
		require.Equal(t, filepath.Clean(got), got)
		again, err := resolve1(got)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}

func BenchmarkResolve(b *testing.B) {
	root := tree(b, "sandbox/project/src/", "sandbox/project/src/main.go")
	p := root + "/sandbox/project/src/main.go"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := resolve1(p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastPathAgreesWithWalk checks that the kernel-assisted fast path and
// the component walk give the same answer and see the same marks.
func TestFastPathAgreesWithWalk(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		root := genTree(t)
		p := genPath(t, root)
		marks := NewMarks([]string{root + "/a", root + "/a/b", root + "/l1", root + "/c/f", root})
		got, fastHits, err := Resolve(p, marks)
		r := resolver{marks: marks}
		r.visit()
		want, werr := r.run(p)
		walkHits := r.hits
		if werr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
		for i := 0; i < marks.Len(); i++ {
			require.Equal(t, walkHits.Has(i), fastHits.Has(i), "mark %d for %s", i, p)
		}
	})
}
