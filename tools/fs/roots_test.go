package fs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// testRoots opens roots at base/a, base/a/inner and base/ab (the last to
// catch prefix comparisons that ignore component boundaries).
func testRoots(t testing.TB) (string, []*root) {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	var roots []*root
	for _, d := range []string{"a", "a/inner", "ab"} {
		require.NoError(t, os.MkdirAll(filepath.Join(base, d), 0o755))
		r, err := openRoot(filepath.Join(base, d))
		require.NoError(t, err)
		t.Cleanup(func() { r.close() })
		roots = append(roots, r)
	}
	return base, roots
}

func TestResolve(t *testing.T) {
	base, roots := testRoots(t)
	a, inner, ab := roots[0], roots[1], roots[2]
	tests := []struct {
		path    string
		root    *root // nil: refused
		rel     string
		wantErr string
	}{
		{path: "f.txt", root: a, rel: "f.txt"},
		{path: ".", root: a, rel: "."},
		{path: "./x/../y", root: a, rel: "y"},
		{path: "x/", root: a, rel: "x"},
		{path: base + "/a", root: a, rel: "."},
		{path: base + "/a/", root: a, rel: "."},
		{path: base + "/a/f.txt", root: a, rel: "f.txt"},
		{path: base + "/a/inner/f.txt", root: inner, rel: "f.txt"},
		{path: base + "/a/inner", root: inner, rel: "."},
		{path: base + "/ab/f.txt", root: ab, rel: "f.txt"},
		{path: base + "/a/../ab/f.txt", root: ab, rel: "f.txt"},
		{path: base + "/abc/f.txt", wantErr: "outside"},
		{path: base + "/a/../b/f.txt", wantErr: "outside"},
		{path: base, wantErr: "outside"},
		{path: "/etc/passwd", wantErr: "outside"},
		{path: "/", wantErr: "outside"},
		{path: "..", wantErr: "outside"},
		{path: "../ab/f.txt", wantErr: "outside"},
		{path: "x/../../a", wantErr: "outside"},
		{path: "", wantErr: "empty"},
		{path: "a\x00b", wantErr: "NUL"},
		{path: "~", wantErr: "~"},
		{path: "~/x", wantErr: "~"},
		{path: "~root/x", wantErr: "~"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := resolve(roots, tt.path)
			if tt.root == nil {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Same(t, tt.root, got.root)
			require.Equal(t, tt.rel, got.rel)
		})
	}
}

func TestResolveWithoutRoots(t *testing.T) {
	_, err := resolve(nil, "x")
	require.ErrorIs(t, err, errOutside)
}

// checkResolved is the invariant of resolve: whatever it accepts is a
// clean local name inside the chosen root.
func checkResolved(t require.TestingT, roots []*root, p string) {
	got, err := resolve(roots, p)
	if err != nil {
		return
	}
	require.True(t, got.rel == "." || filepath.IsLocal(got.rel), "rel %q of %q is not local", got.rel, p)
	require.Equal(t, filepath.Clean(got.rel), got.rel)
	_, inside := within(got.root.dir, got.abs())
	require.True(t, inside || got.rel == ".", "%q resolved outside its root", p)
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"a", "../x", "/etc/passwd", "a/../../b", "~/x", ".", "/", "a\x00", "//a//b", `..\x`} {
		f.Add(s)
	}
	_, roots := testRoots(f)
	f.Fuzz(func(t *testing.T, p string) {
		checkResolved(t, roots, p)
		checkResolved(t, roots, roots[0].dir+"/"+p)
	})
}

// TestResolveNeverLeavesRoots is the property behind resolve: no path
// string, however it mixes "..", separators and root prefixes, is
// accepted as a name outside a root.
func TestResolveNeverLeavesRoots(t *testing.T) {
	base, roots := testRoots(t)
	parts := []string{"..", ".", "", "a", "ab", "inner", "x", "~", base, base + "/a", base + "/ab", "/"}
	rapid.Check(t, func(t *rapid.T) {
		segs := rapid.SliceOfN(rapid.SampledFrom(parts), 1, 8).Draw(t, "segs")
		p := strings.Join(segs, "/")
		checkResolved(t, roots, p)
	})
}
