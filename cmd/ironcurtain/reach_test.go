package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// refusal returns the message a command printed for a refused layout,
// without the command's name, or fails.
func refusal(t *testing.T, name string, code int, stderr string) string {
	t.Helper()
	require.NotEqual(t, 0, code, "%s started with the audit log within the agent's reach:\n%s", name, stderr)
	_, msg, ok := strings.Cut(stderr, "stack: a file the agent must not rewrite is within its reach: ")
	require.True(t, ok, "%s: not the shared refusal:\n%s", name, stderr)
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// TestCommandsRefuseALogWithinReach: serve, exec and docker run refuse a
// sandbox that holds the audit log, the log's directory, or the grants
// file, with the very same message (stack.CheckOutOfReach), before anything
// starts; serve also refuses an upstream server whose jail may write there.
func TestCommandsRefuseALogWithinReach(t *testing.T) {
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "sandbox")
	require.NoError(t, os.MkdirAll(sandbox, 0o700))
	script := filepath.Join(dir, "agent.ts")
	require.NoError(t, os.WriteFile(script, []byte(`return 1;`), 0o644))

	for _, logPath := range []string{filepath.Join(sandbox, "audit.jsonl"), filepath.Join(sandbox, "logs", "audit.jsonl")} {
		var msgs []string
		code, _, stderr := runCLI(t, "", "serve", "--sandbox", sandbox, "--audit", logPath)
		msgs = append(msgs, refusal(t, "serve", code, stderr))
		code, _, stderr = runCLI(t, "", "exec", "--sandbox", sandbox, "--audit", logPath, script)
		msgs = append(msgs, refusal(t, "exec", code, stderr))
		code, _, stderr = runCLI(t, "", "docker", "run", "--image", "none", "--workspace", sandbox, "--audit", logPath, "--unjailed-git", "a task")
		msgs = append(msgs, refusal(t, "docker run", code, stderr))
		for _, m := range msgs {
			require.Equal(t, msgs[0], m, "the commands refuse differently")
		}
		require.Contains(t, msgs[0], "the audit log "+logPath+" is inside the sandbox "+sandbox)
		require.NoFileExists(t, logPath, "the log was opened before the refusal")
	}

	outside := filepath.Join(dir, "state")
	for name, cfg := range map[string]string{
		"grants in the sandbox": fmt.Sprintf(`{"sandbox":%q,"audit":%q,"grants":%q}`,
			sandbox, filepath.Join(outside, "audit.jsonl"), filepath.Join(sandbox, "grants.json")),
		"upstream may write the log's directory": fmt.Sprintf(`{"sandbox":%q,"audit":%q,
			"servers":{"up":{"command":"/bin/true","sandbox":{"write":[%q]}}}}`,
			sandbox, filepath.Join(outside, "audit.jsonl"), outside),
		"upstream may write above the grants file": fmt.Sprintf(`{"sandbox":%q,"grants":%q,
			"servers":{"up":{"command":"/bin/true","sandbox":{"write":[%q]}}}}`,
			sandbox, filepath.Join(outside, "g", "grants.json"), dir),
	} {
		p := filepath.Join(t.TempDir(), "serve.json")
		require.NoError(t, os.WriteFile(p, []byte(cfg), 0o600))
		code, _, stderr := runCLI(t, "", "serve", "--config", p)
		msg := refusal(t, name, code, stderr)
		require.Contains(t, msg, "is inside", name)
	}
}

// TestAuditVerifyHead: `audit head` prints the head to keep; `audit verify
// -head` and `-records` catch a log cut at a record boundary, which verify
// alone calls intact; the commands print the head when they close the log.
func TestAuditVerifyHead(t *testing.T) {
	path := sampleLog(t, true)
	code, out, stderr := auditCLI("", "head", path)
	require.Equal(t, 0, code, stderr)
	head := strings.TrimSpace(out)
	require.Regexp(t, `^5:[0-9a-f]{64}$`, head)
	_, hash, _ := strings.Cut(head, ":")

	code, out, _ = auditCLI("", "verify", "--head", head, "--records", "5", path)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "holds the head kept elsewhere")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ls := strings.SplitAfter(string(data), "\n")
	cut := strings.Join(ls[:3], "") // the close record and the last call removed
	code, out, _ = auditCLI(cut, "verify", "-")
	require.Equal(t, 0, code, "a cut at a record boundary is intact in itself: %s", out)
	for _, flags := range [][]string{{"-head", head}, {"-head", hash}, {"-records", "5"}} {
		code, out, _ = auditCLI(cut, append(append([]string{"verify"}, flags...), "-")...)
		require.Equal(t, 1, code, "%v: %s", flags, out)
		require.Contains(t, out, "BROKEN at line 4", flags)
		require.Contains(t, out, "cut from its end", flags)
	}
	for _, bad := range [][]string{{"-head", "xyz"}, {"-records", head}, {"-records", "0"}} {
		code, _, _ = auditCLI("", append(append([]string{"verify"}, bad...), path)...)
		require.Equal(t, 2, code, bad)
	}
	code, _, _ = auditCLI("", "head", "-sealed", path)
	require.Equal(t, 2, code, "head takes no verify flags")

	// exec prints the head of the log it closes, and that head verifies.
	code, _, stderr = runExecScript(t, `return 1;`)
	require.Equal(t, 0, code, stderr)
	m := regexp.MustCompile(`ironcurtain exec: audit log (\S+): head ([0-9]+:[0-9a-f]{64}) `).FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)
	code, out, _ = auditCLI("", "verify", "-sealed", "-head", m[2], m[1])
	require.Equal(t, 0, code, out)
}
