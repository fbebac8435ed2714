package git

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// benchCommits is the size of the benchmark history.
const benchCommits = 5000

// benchRepo builds a repository of benchCommits commits over 200 files
// with git fast-import, and checks it out.
func benchRepo(b *testing.B, dir string) {
	b.Helper()
	rawGit(b, dir, "init", "-q", "-b", "main")
	var stream bytes.Buffer
	for i := 1; i <= benchCommits; i++ {
		msg := fmt.Sprintf("commit %d\n\nBody of commit %d.\n", i, i)
		content := fmt.Sprintf("file %d, revision %d\n", i%200, i)
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s", 1700000000+i*60, len(msg), msg)
		fmt.Fprintf(&stream, "M 644 inline dir%d/file%d.txt\ndata %d\n%s\n", i%10, i%200, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Env = testEnv(b.TempDir())
	cmd.Stdin = &stream
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, string(out))
	rawGit(b, dir, "checkout", "-q", "-f", "main")
}

func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	requireGit(b)
	root, err := filepath.EvalSymlinks(b.TempDir())
	require.NoError(b, err)
	repo := filepath.Join(root, "repo")
	rawGit(b, root, "init", "-q", repo)
	benchRepo(b, repo)
	s, err := New(Options{Roots: []string{root}, DefaultDir: repo})
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s, repo
}

func benchCall(b *testing.B, s *Server, tool string, args map[string]any) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Call(ctx, ironcurtain.ToolCall{Tool: tool, Arguments: args})
		if err != nil || res.IsError {
			b.Fatalf("%s: %v %s", tool, err, res.Text())
		}
	}
}

func BenchmarkStatus(b *testing.B) {
	s, _ := benchServer(b)
	benchCall(b, s, "git_status", nil)
}

func BenchmarkLog(b *testing.B) {
	s, _ := benchServer(b)
	b.Run("default-10", func(b *testing.B) { benchCall(b, s, "git_log", nil) })
	b.Run("maxCount-1000", func(b *testing.B) { benchCall(b, s, "git_log", map[string]any{"maxCount": 1000}) })
	b.Run("all-5000-oneline", func(b *testing.B) {
		benchCall(b, s, "git_log", map[string]any{"maxCount": benchCommits, "oneline": true})
	})
	b.Run("filePath-10", func(b *testing.B) {
		benchCall(b, s, "git_log", map[string]any{"filePath": "dir3/file3.txt"})
	})
}

// BenchmarkRawGit measures plain git on the same repository, so the
// server's own cost (location check, configuration scan, parsing) can be
// read off by difference.
func BenchmarkRawGit(b *testing.B) {
	_, repo := benchServer(b)
	env := testEnv(b.TempDir())
	for _, args := range [][]string{
		{"status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all"},
		{"log", "-n", "10", "--format=%H%x00%s"},
		{"rev-parse", "--is-bare-repository", "--absolute-git-dir"},
	} {
		b.Run(args[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cmd := exec.Command("git", args...)
				cmd.Dir = repo
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatal(err, string(out))
				}
			}
		})
	}
}
