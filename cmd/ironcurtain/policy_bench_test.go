package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/stretchr/testify/require"
)

// evalWorkload writes a sandbox with files and a git repository under
// dir and returns n request lines that mix the calls an agent makes:
// reads and writes in and out of the sandbox, protected paths, listings,
// fetches and searches, git on a named remote, and unknown tools.
func evalWorkload(tb testing.TB, dir string, n int) (sandbox string, lines []byte) {
	tb.Helper()
	sandbox = filepath.Join(dir, "sandbox")
	for _, d := range []string{"src", "docs", "repo"} {
		require.NoError(tb, os.MkdirAll(filepath.Join(sandbox, d), 0o755))
	}
	for i := range 20 {
		require.NoError(tb, os.WriteFile(filepath.Join(sandbox, "src", fmt.Sprintf("f%d.go", i)), []byte("package x\n"), 0o644))
	}
	if _, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command("git", "init", "-q", filepath.Join(sandbox, "repo"))
		cmd.Env = append(os.Environ(), "TMPDIR="+dir)
		require.NoError(tb, cmd.Run())
		cfg := filepath.Join(sandbox, "repo", ".git", "config")
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(tb, err)
		_, err = f.WriteString("[remote \"origin\"]\n\turl = https://github.com/alice/project.git\n")
		require.NoError(tb, err)
		require.NoError(tb, f.Close())
	}
	home, _ := os.UserHomeDir()
	shapes := []string{
		`{"server":"filesystem","tool":"read_file","arguments":{"path":%q}}`,
		`{"server":"filesystem","tool":"write_file","arguments":{"path":%q,"content":"hello"}}`,
		`{"server":"filesystem","tool":"list_directory","arguments":{"path":%q}}`,
		`{"server":"filesystem","tool":"read_multiple_files","arguments":{"paths":[%q,%q,%q]}}`,
		`{"server":"filesystem","tool":"read_file","arguments":{"path":"/etc/hostname"}}`,
		`{"server":"filesystem","tool":"read_file","arguments":{"path":%q}}`,
		`{"server":"fetch","tool":"http_fetch","arguments":{"url":"https://docs.python.org/3/library/json.html"}}`,
		`{"server":"fetch","tool":"http_fetch","arguments":{"url":"http://0x7f.1/admin"}}`,
		`{"server":"fetch","tool":"web_search","arguments":{"query":"go generics"}}`,
		`{"server":"git","tool":"git_status","arguments":{"path":%q}}`,
		`{"server":"git","tool":"git_push","arguments":{"path":%q,"remote":"origin"}}`,
		`{"server":"shell","tool":"exec","arguments":{"command":"rm -rf /"}}`,
	}
	var buf bytes.Buffer
	for i := range n {
		src := func(k int) string { return filepath.Join(sandbox, "src", fmt.Sprintf("f%d.go", (i+k)%20)) }
		repo := filepath.Join(sandbox, "repo")
		switch s := shapes[i%len(shapes)]; i % len(shapes) {
		case 0, 1, 2:
			fmt.Fprintf(&buf, s, src(0))
		case 3:
			fmt.Fprintf(&buf, s, src(0), src(1), src(2))
		case 5:
			fmt.Fprintf(&buf, s, filepath.Join(home, ".ssh", "id_rsa"))
		case 9, 10:
			fmt.Fprintf(&buf, s, repo)
		default:
			buf.WriteString(s)
		}
		buf.WriteByte('\n')
	}
	return sandbox, buf.Bytes()
}

// jsonRoundTrip is the floor policy eval is measured against: it decodes
// each line as eval does (strictly, numbers kept exact) and encodes a
// result of the same shape, deciding nothing.
func jsonRoundTrip(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, _, err := readLine(r, maxRequestLine)
		if len(line) > 0 {
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			dec.UseNumber()
			var req request
			if err := dec.Decode(&req); err != nil {
				return err
			}
			if err := enc.Encode(result{Decision: "deny", Rule: req.Tool, Reason: req.Server}); err != nil {
				return err
			}
		}
		if err != nil {
			if err == io.EOF {
				return w.Flush()
			}
			return err
		}
	}
}

// BenchmarkPolicyEval compares `ironcurtain policy eval` over 20,000 mixed
// calls under the default policy with the bare JSON round trip of the same
// lines; each reports calls per second, and "eval" reports the ratio of
// its time to the round trip's measured in the same run.
func BenchmarkPolicyEval(b *testing.B) {
	const calls = 20000
	sandbox, lines := evalWorkload(b, b.TempDir(), calls)
	e, err := policy.Default(policy.Config{Sandbox: sandbox})
	require.NoError(b, err)
	ctx := context.Background()

	var floor float64
	b.Run("json-roundtrip", func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, jsonRoundTrip(bytes.NewReader(lines), io.Discard))
		}
		floor = b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(calls/floor, "calls/s")
	})
	b.Run("eval", func(b *testing.B) {
		var stderr bytes.Buffer
		for b.Loop() {
			if code := evalLines(ctx, e, bytes.NewReader(lines), io.Discard, &stderr, false); code != 0 {
				b.Fatalf("exit %d: %s", code, stderr.String())
			}
		}
		per := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(calls/per, "calls/s")
		if floor > 0 {
			b.ReportMetric(per/floor, "x-roundtrip")
		}
	})
}
