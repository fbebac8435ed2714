package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
)

func auditCLI(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runAudit(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// sampleLog writes a log with three calls; sealed says whether it is closed.
func sampleLog(t *testing.T, sealed bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	for _, p := range []string{"/a", "/b", "/c"} {
		require.NoError(t, l.Record(context.Background(), ironcurtain.AuditEntry{
			CallID: p, Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": p},
			Verdict: ironcurtain.Allow, Outcome: ironcurtain.OutcomeSuccess,
		}))
	}
	if sealed {
		require.NoError(t, l.Close())
	} else {
		t.Cleanup(func() { _ = l.Close() })
	}
	return path
}

func TestAuditVerify(t *testing.T) {
	path := sampleLog(t, true)
	code, out, _ := auditCLI("", "verify", path)
	require.Equal(t, 0, code)
	require.Contains(t, out, "intact: 5 records, 3 calls")
	require.Contains(t, out, "sealed")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	code, out, _ = auditCLI(string(data), "verify", "-")
	require.Equal(t, 0, code, out)

	lines := strings.SplitAfter(string(data), "\n")
	for name, tc := range map[string]struct {
		log  string
		line string
	}{
		"edited":     {strings.Replace(string(data), `"/b"`, `"/x"`, 1), "line 3:"},
		"removed":    {lines[0] + lines[1] + lines[3] + lines[4], "line 3: record 3 is missing"},
		"reordered":  {lines[0] + lines[2] + lines[1] + lines[3] + lines[4], "line 2: record 2 is missing"},
		"no start":   {strings.Join(lines[1:], ""), "line 1: record 1 is missing"},
		"no newline": {strings.TrimSuffix(string(data), "\n"), "line 5: the line is incomplete"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.jsonl")
			require.NoError(t, os.WriteFile(p, []byte(tc.log), 0o600))
			code, out, _ := auditCLI("", "verify", p)
			require.Equal(t, 1, code)
			require.Contains(t, out, "BROKEN at "+tc.line)
		})
	}
}

func TestAuditVerifySealed(t *testing.T) {
	path := sampleLog(t, false)
	code, out, _ := auditCLI("", "verify", path)
	require.Equal(t, 0, code)
	require.Contains(t, out, "not sealed")
	code, _, _ = auditCLI("", "verify", "-sealed", path)
	require.Equal(t, 1, code)
}

func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"check"}, {"verify"}, {"verify", "a", "b"}, {"verify", "-nope", "a"}} {
		code, _, errOut := auditCLI("", args...)
		require.Equal(t, 2, code, "%q", args)
		require.Contains(t, errOut, "usage")
	}
	code, _, _ := auditCLI("", "verify", "-h")
	require.Equal(t, 0, code)
	code, _, errOut := auditCLI("", "verify", filepath.Join(t.TempDir(), "missing.jsonl"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no such file")
}
