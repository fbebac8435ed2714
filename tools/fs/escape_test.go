package fs

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain"
)

// Canaries: content and a name that exist only outside the root. Neither
// may ever appear in a result.
const (
	canaryContent = "inside content CANARY-7f3a" // also matches edits aimed at the inside file
	canaryName    = "hidden-name-q9z.txt"
	etcProbe      = "ironcurtain-escape-probe"
)

// escapeFixture is a root with every kind of way out in it, next to an
// outside directory holding canaries.
type escapeFixture struct {
	s             *Server
	root, outside string
	before        map[string]string
}

func newEscapeFixture(t require.TestingT, base string) *escapeFixture {
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(outside, "sub")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for _, name := range []string{"canary.txt", canaryName, "sub/deep.txt", "sub/" + canaryName} {
		require.NoError(t, os.WriteFile(filepath.Join(outside, name), []byte(canaryContent), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("inside content"), 0o644))
	for link, target := range map[string]string{
		"link_out":     outside,
		"link_out_rel": "../outside",
		"link_etc":     "/etc",
		"file_link":    filepath.Join(outside, "canary.txt"),
		"file_rel":     "../outside/canary.txt",
		"dangling":     filepath.Join(outside, "missing.txt"),
		"dangling_rel": "../outside/missing-too.txt",
		"dir_dangling": "../outside/newdir",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(root, link)))
	}
	s, err := New(Options{Roots: []string{root}})
	require.NoError(t, err)
	f := &escapeFixture{s: s, root: root, outside: outside}
	f.before = snapshot(t, outside)
	return f
}

// snapshot records every entry beneath dir: type, mode and content.
func snapshot(t require.TestingT, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		out[p] = v
		return nil
	})
	require.NoError(t, err)
	return out
}

// check asserts that a result leaks nothing from outside and that nothing
// outside changed.
func (f *escapeFixture) check(t require.TestingT, what string, res ironcurtain.Result) {
	text := res.Text() + string(res.Structured)
	for _, c := range res.Content {
		text += string(c.Data)
	}
	require.NotContains(t, text, "CANARY-7f3a", "%s leaked canary content", what)
	require.NotContains(t, text, canaryName, "%s leaked a name from outside", what)
	require.NotContains(t, text, "root:x:0:0", "%s leaked /etc/passwd", what)
	require.Equal(t, f.before, snapshot(t, f.outside), "%s changed something outside the root", what)
	_, err := os.Lstat(filepath.Join("/etc", etcProbe))
	require.ErrorIs(t, err, fs.ErrNotExist, "%s created a file in /etc", what)
}

// pathCalls returns a call of every path-taking tool with p in each of
// its path arguments.
func pathCalls(p string) map[string]map[string]any {
	edit := []any{map[string]any{"oldText": "inside content", "newText": "PWNED"}}
	return map[string]map[string]any{
		"read_text_file":            args("path", p),
		"read_file":                 args("path", p, "tail", 1),
		"read_media_file":           args("path", p),
		"read_multiple_files":       args("paths", []any{p, "ok.txt"}),
		"write_file":                args("path", p, "content", "PWNED"),
		"edit_file":                 args("path", p, "edits", edit),
		"create_directory":          args("path", p),
		"list_directory":            args("path", p),
		"list_directory_with_sizes": args("path", p),
		"directory_tree":            args("path", p),
		"search_files":              args("path", p, "pattern", "*"),
		"get_file_info":             args("path", p),
		"move_file/source":          args("source", p, "destination", "moved"),
		"move_file/destination":     args("source", "ok.txt", "destination", p),
	}
}

func toolOf(key string) string { tool, _, _ := strings.Cut(key, "/"); return tool }

func TestEscapeAttempts(t *testing.T) {
	paths := []struct {
		path    string
		refused bool // refused by every tool, whatever it is
	}{
		{"../outside/canary.txt", true},
		{"../outside/" + "new.txt", true},
		{"../outside", true},
		{"..", true},
		{"ok.txt/../../outside/canary.txt", true},
		{"/etc/passwd", true},
		{"/etc/" + etcProbe, true},
		{"{outside}/canary.txt", true},
		{"{outside}/new.txt", true},
		{"{outside}", true},
		{"{root}/../outside/canary.txt", true},
		{"{root}x/canary.txt", true},
		{"~/canary.txt", true},
		{"link_out/canary.txt", false},
		{"link_out/new.txt", false},
		{"link_out/sub", false},
		{"link_out", false},
		{"link_out_rel/canary.txt", false},
		{"link_out_rel/newdir/x", false},
		{"link_etc/passwd", false},
		{"link_etc/" + etcProbe, false},
		{"link_etc", false},
		{"file_link", false},
		{"file_rel", false},
		{"dangling", false},
		{"dangling_rel", false},
		{"dir_dangling/x", false},
	}
	for _, pc := range paths {
		t.Run(pc.path, func(t *testing.T) {
			// Read-only tools share a fixture; a tool that may change the
			// root (replace a link, say) gets one of its own.
			shared := newEscapeFixture(t, t.TempDir())
			defer shared.s.Close()
			for _, key := range slices.Sorted(maps.Keys(pathCalls(""))) {
				f := shared
				if mutates[toolOf(key)] {
					f = newEscapeFixture(t, t.TempDir())
					defer f.s.Close()
				}
				p := strings.NewReplacer("{outside}", f.outside, "{root}", f.root).Replace(pc.path)
				res := call(t, f.s, toolOf(key), pathCalls(p)[key])
				f.check(t, key+" "+p, res)
				if pc.refused && key != "read_multiple_files" {
					require.True(t, res.IsError, "%s %s succeeded: %s", key, p, res.Text())
				}
			}
		})
	}
}

var mutates = map[string]bool{"write_file": true, "edit_file": true, "create_directory": true, "move_file": true}

// TestNoPathEscapes is the property: no path string whatsoever, built from
// "..", separators, links, root and outside prefixes, makes any tool read,
// write, create or move anything outside the root.
func TestNoPathEscapes(t *testing.T) {
	base := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(base, "case")
		require.NoError(rt, err)
		f := newEscapeFixture(rt, dir)
		defer f.s.Close()
		parts := []string{"..", ".", "", "/", "~", "ok.txt", "link_out", "link_out_rel", "link_etc", "file_link",
			"dangling", "dir_dangling", "canary.txt", "sub", "passwd", "etc", f.outside, f.root, "new"}
		segs := rapid.SliceOfN(rapid.SampledFrom(parts), 1, 6).Draw(rt, "segs")
		p := strings.Join(segs, rapid.SampledFrom([]string{"/", "//", "/./"}).Draw(rt, "sep"))
		calls := pathCalls(p)
		keys := slices.Sorted(maps.Keys(calls))
		key := rapid.SampledFrom(keys).Draw(rt, "tool")
		res, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Tool: toolOf(key), Arguments: calls[key]})
		require.NoError(rt, err)
		f.check(rt, key+" "+p, res)
	})
}

// TestSymlinkSwapRace: one goroutine keeps replacing a directory inside
// the root with a symbolic link to the outside directory (absolute and
// relative in turn) and back, while every path-taking tool runs against
// paths beneath it. Whatever the interleaving, nothing outside is read,
// written, created or moved.
func TestSymlinkSwapRace(t *testing.T) {
	base := t.TempDir()
	f := newEscapeFixture(t, base)
	defer f.s.Close()
	swap, parked := filepath.Join(f.root, "swap"), filepath.Join(f.root, "swap.parked")
	require.NoError(t, os.MkdirAll(filepath.Join(swap, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(swap, "canary.txt"), []byte("inside content"), 0o644))
	// The outside directory mirrors the names inside, so that any access
	// that followed the link would find something.
	f.before = snapshot(t, f.outside)

	stop := make(chan struct{})
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		targets := []string{f.outside, "../outside"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := os.Lstat(swap); err != nil {
				// A tool moved it away (move_file source "swap"): make it anew.
				os.MkdirAll(filepath.Join(swap, "sub"), 0o755)
				os.WriteFile(filepath.Join(swap, "canary.txt"), []byte("inside content"), 0o644)
			}
			if os.Rename(swap, parked) != nil {
				continue
			}
			if os.Symlink(targets[i%2], swap) == nil {
				swaps.Add(1)
				os.Remove(swap) // the link itself, never what it leads to
			}
			for os.Rename(parked, swap) != nil {
				os.RemoveAll(swap) // something a tool put there meanwhile
			}
		}
	})

	// The test itself never touches a path through "swap": that could
	// follow the link. It repairs only entries directly in the root.
	moved, ok := filepath.Join(f.root, "moved"), filepath.Join(f.root, "ok.txt")
	var results []string
	paths := []string{"swap/canary.txt", "swap", "swap/sub", "swap/new.txt", "swap/sub/new", "."}
	for round := 0; round < 40 || (swaps.Load() < 50 && round < 5000); round++ {
		for _, p := range paths {
			for key, a := range pathCalls(p) {
				res, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Tool: toolOf(key), Arguments: a})
				require.NoError(t, err)
				results = append(results, res.Text()+string(res.Structured))
				if toolOf(key) == "move_file" && !res.IsError {
					require.NoError(t, os.RemoveAll(moved)) // a link is removed, not followed
					require.NoError(t, os.WriteFile(ok, []byte("inside content"), 0o644))
				}
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d calls during %d swaps", len(results), swaps.Load())
	require.Positive(t, swaps.Load())
	for _, r := range results {
		require.NotContains(t, r, "CANARY-7f3a")
		require.NotContains(t, r, canaryName)
	}
	f.check(t, "the swap race", ironcurtain.Result{})
	leftovers, err := filepath.Glob(filepath.Join(f.root, "*", ".*.tmp"))
	require.NoError(t, err)
	require.Empty(t, leftovers, "an interrupted write leaves no temporary file")
}
