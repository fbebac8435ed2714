package git

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// TestJailReadyOnceFailsClosed: a jailed server starts without running
// git; its first calls, made concurrently, ask git for its exec path once
// between them, and when that fails every call fails, none runs git
// unjailed or without the exec path's grant.
func TestJailReadyOnceFailsClosed(t *testing.T) {
	requireGit(t)
	requireJail(t)
	real, err := exec.LookPath("git")
	require.NoError(t, err)
	dir := t.TempDir()
	count := filepath.Join(dir, "asked")
	wrapper := filepath.Join(dir, "git")
	writeFile(t, wrapper, "#!/bin/sh\ncase \"$*\" in *--exec-path*) echo x >> "+count+"; exit 1;; esac\n"+
		"echo ran >> "+count+"\nexec "+real+" \"$@\"\n")
	require.NoError(t, os.Chmod(wrapper, 0o755))
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	repo := newRepo(t, filepath.Join(root, "repo"))
	s, err := New(Options{Git: wrapper, Roots: []string{root}, DefaultDir: repo, Jail: &jail.Policy{}})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoFileExists(t, count, "New ran git")

	var wg sync.WaitGroup
	errs := make([]string, 8)
	for i := range errs {
		wg.Go(func() {
			res, err := s.Call(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: "git_status", Arguments: map[string]any{}})
			switch {
			case err != nil:
				errs[i] = err.Error()
			case res.IsError:
				errs[i] = res.Text()
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		require.Contains(t, e, "exec path")
	}
	b, err := os.ReadFile(count)
	require.NoError(t, err)
	require.Equal(t, "x\n", string(b), "asked once, and git never ran otherwise")
}

// BenchmarkNewJailed measures what starting a jailed server costs, alone
// and with its first tool call.
//
//	go test ./tools/git -run '^$' -bench NewJailed -benchtime 50x
func BenchmarkNewJailed(b *testing.B) {
	requireJail(b)
	_, repo := benchServer(b)
	opts := Options{Roots: []string{filepath.Dir(repo)}, DefaultDir: repo, Jail: &jail.Policy{}}
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			s, err := New(opts)
			require.NoError(b, err)
			s.Close()
		}
	})
	b.Run("new+git_status", func(b *testing.B) {
		for b.Loop() {
			s, err := New(opts)
			require.NoError(b, err)
			res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "git_status", Arguments: map[string]any{}})
			if err != nil || res.IsError {
				b.Fatalf("%v %s", err, res.Text())
			}
			s.Close()
		}
	})
}
