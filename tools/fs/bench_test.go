package fs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// The 10,000-file fixture is built once per test binary and shared by the
// benchmarks that walk it; TestMain removes it.
var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// tenThousandFiles returns a directory of 100 directories of 100 files.
func tenThousandFiles(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "fs-bench-")
		for d := 0; d < 100 && benchErr == nil; d++ {
			sub := filepath.Join(benchDir, fmt.Sprintf("dir%02d", d))
			if benchErr = os.Mkdir(sub, 0o755); benchErr != nil {
				break
			}
			for f := 0; f < 100 && benchErr == nil; f++ {
				benchErr = os.WriteFile(filepath.Join(sub, fmt.Sprintf("file%02d.txt", f)), nil, 0o644)
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

// tenThousandFileServer returns a server whose root is [tenThousandFiles],
// allowed to examine all of them; it is closed when b ends.
func tenThousandFileServer(b *testing.B) *Server {
	b.Helper()
	s, err := New(Options{Roots: []string{tenThousandFiles(b)}, MaxEntries: 20_000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchCall(b *testing.B, s *Server, tool string, a map[string]any) ironcurtain.Result {
	b.Helper()
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: tool, Arguments: a})
	if err != nil || res.IsError {
		b.Fatalf("%s: %v %s", tool, err, res.Text())
	}
	return res
}

func BenchmarkReadFile1MiB(b *testing.B) {
	s, dir := newTestServer(b, Options{})
	line := strings.Repeat("x", 63) + "\n"
	writeTestFile(b, filepath.Join(dir, "big.txt"), strings.Repeat(line, (1<<20)/len(line)))
	a := args("path", "big.txt")
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		benchCall(b, s, "read_text_file", a)
	}
}

func BenchmarkDirectoryTree10k(b *testing.B) {
	s := tenThousandFileServer(b)
	a := args("path", ".")
	b.ReportAllocs()
	for b.Loop() {
		benchCall(b, s, "directory_tree", a)
	}
}

func BenchmarkSearchFiles10k(b *testing.B) {
	s := tenThousandFileServer(b)
	a := args("path", ".", "pattern", "file?7.txt")
	b.ReportAllocs()
	for b.Loop() {
		if res := benchCall(b, s, "search_files", a); strings.Count(res.Text(), "\n") != 999 {
			b.Fatalf("want 1000 matches, got %q...", res.Text()[:100])
		}
	}
}
