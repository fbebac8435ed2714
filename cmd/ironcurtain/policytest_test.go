package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// compiledDir compiles a constitution into a fresh directory.
func compiledDir(t *testing.T, constitution string) string {
	t.Helper()
	res, err := compile.Compile(context.Background(), []byte(constitution), compile.Options{Lists: policy.DefaultArtifacts().Lists})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, compile.WriteArtifacts(dir, res))
	return dir
}

func TestPolicyTest(t *testing.T) {
	dir := compiledDir(t, policy.DefaultConstitution())
	code, out, errOut := runCLI(t, "", "policy", "test", dir)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^(\d+) scenario\(s\): (\d+) passed, 0 failed\n$`, out)

	code, out, _ = runCLI(t, "", "policy", "test", "-v", filepath.Join(dir, "compiled-policy.json"))
	require.Equal(t, 0, code)
	require.Contains(t, out, "ok   line 15: filesystem/read_file ~/Documents/example.txt: want allow by allow-read-documents, got allow by allow-read-documents")

	// Break a rule: its scenarios fail.
	p := filepath.Join(dir, "compiled-policy.json")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	var pol policy.CompiledPolicy
	require.NoError(t, json.Unmarshal(b, &pol))
	pol.Rules[1].Then = 0 // allow-read-documents now denies
	b, err = json.Marshal(pol)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	code, out, _ = runCLI(t, "", "policy", "test", dir)
	require.Equal(t, 1, code)
	require.Contains(t, out, "FAIL line 15: filesystem/read_file ~/Documents/example.txt: want allow by allow-read-documents, got deny by allow-read-documents")
	require.Contains(t, out, "1 failed")

	// Explicit directories work too.
	home, sb := t.TempDir(), t.TempDir()
	code, _, _ = runCLI(t, "", "policy", "test", dir, "--home", home, "--sandbox", sb)
	require.Equal(t, 1, code)
}

func TestPolicyTestErrors(t *testing.T) {
	code, _, errOut := runCLI(t, "", "policy", "test")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage: ironcurtain policy test")
	code, _, errOut = runCLI(t, "", "policy", "test", t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "has no test-scenarios.json")
	dir := compiledDir(t, "- The agent may search the web.\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "compiled-policy.json"), []byte("{"), 0o644))
	code, _, errOut = runCLI(t, "", "policy", "test", dir)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "compiled-policy.json")
}

// TestPolicyDiffHandWrittenDefault replays the probes against the
// hand-written default policy this compiler replaced: escalate-git-push
// gained a role condition, and no call's verdict changes; only which rule
// is named for some pushes.
func TestPolicyDiffHandWrittenDefault(t *testing.T) {
	newDir := compiledDir(t, policy.DefaultConstitution())
	var pol policy.CompiledPolicy
	b, err := os.ReadFile(filepath.Join(newDir, "compiled-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &pol))
	found := false
	for i, r := range pol.Rules {
		if r.Name == "escalate-git-push" {
			pol.Rules[i].If.Roles = nil // as written by hand before
			found = true
		}
	}
	require.True(t, found)
	oldDir := t.TempDir()
	b, err = json.Marshal(pol)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(oldDir, "compiled-policy.json"), b, 0o644))
	lists, err := os.ReadFile(filepath.Join(newDir, "dynamic-lists.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(oldDir, "dynamic-lists.json"), lists, 0o644))

	code, out, errOut := runCLI(t, "", "policy", "diff", oldDir, newDir)
	require.Equal(t, 0, code, out)
	require.Empty(t, out)
	require.Regexp(t, `^0 of \d+ call\(s\) change\n$`, errOut)

	code, out, _ = runCLI(t, "", "policy", "diff", oldDir, newDir, "--rules")
	require.Equal(t, 1, code)
	require.Contains(t, out, `git/git_push {"path":"/opt/example/probe.txt","remote":"https://github.com/example/repo.git"}: escalate (escalate-git-push) -> escalate (escalate-git-read-outside-sandbox)`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		require.True(t, strings.HasPrefix(l, "git/git_push "), l)
	}
}

func TestPolicyDiffChanges(t *testing.T) {
	oldDir := compiledDir(t, policy.DefaultConstitution())
	newDir := compiledDir(t, strings.Replace(policy.DefaultConstitution(),
		"- The agent may read files in ~/Documents.\n",
		"- The agent may read files in ~/Documents.\n- The agent may read and write files in ~/Downloads.\n", 1))
	code, out, errOut := runCLI(t, "", "policy", "diff", oldDir, newDir)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, `filesystem/read_file {"path":"~/Downloads/probe.txt"}: escalate (escalate-read-outside-sandbox) -> allow (allow-read-write-downloads)`)
	require.Contains(t, out, `filesystem/write_file {"path":"~/Downloads/probe.txt"}: escalate (escalate-write-outside-sandbox) -> allow (allow-read-write-downloads)`)
	require.NotContains(t, out, "~/Documents/probe.txt")
	require.Contains(t, errOut, "call(s) change")
}

// TestPolicyDiffAuditLog replays the calls recorded in an audit log, read
// leniently: unknown fields (hash chain included) are ignored, and lines
// that are not entries are skipped and counted.
func TestPolicyDiffAuditLog(t *testing.T) {
	oldDir := compiledDir(t, policy.DefaultConstitution())
	newDir := compiledDir(t, strings.Replace(policy.DefaultConstitution(),
		"- The agent may search the web.\n", "- The agent may never search the web.\n", 1))
	home := t.TempDir()
	entries := []map[string]any{
		{"time": "2026-01-01T00:00:00Z", "callId": "c1", "server": "fetch", "tool": "web_search", "arguments": map[string]any{"query": "go"},
			"decision": "allow", "rule": "allow-web-search", "outcome": "success", "duration": 1, "prevHash": "00", "hash": "ab"},
		{"time": "2026-01-01T00:00:01Z", "callId": "c2", "server": "filesystem", "tool": "read_file",
			"arguments": map[string]any{"path": filepath.Join(home, "Documents", "a.txt")}, "decision": "allow", "outcome": "success"},
		{"callId": "c3", "server": "fetch", "tool": "web_search", "arguments": map[string]any{"query": "go"}},
	}
	var log bytes.Buffer
	for _, e := range entries {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		log.Write(b)
		log.WriteString("\n")
	}
	log.WriteString("not json\n\n{\"server\":\"\"}\n")
	logFile := writeTemp(t, "audit.jsonl", log.String())
	code, out, errOut := runCLI(t, "", "policy", "diff", oldDir, newDir, "--calls", logFile, "--home", home)
	require.Equal(t, 1, code, errOut)
	require.Equal(t, `fetch/web_search {"query":"go"}: allow (allow-web-search) -> deny (deny-web-search)`+"\n", out)
	require.Contains(t, errOut, "skipped 2 line(s)")
	require.Contains(t, errOut, "1 of 2 call(s) change")

	// From stdin.
	code, _, _ = runCLI(t, log.String(), "policy", "diff", oldDir, newDir, "--calls", "-", "--home", home)
	require.Equal(t, 1, code)
}

func TestPolicyDiffErrors(t *testing.T) {
	code, _, errOut := runCLI(t, "", "policy", "diff", t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage: ironcurtain policy diff")
	code, _, errOut = runCLI(t, "", "policy", "diff", t.TempDir(), filepath.Join(t.TempDir(), "nope"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "nope")
	code, _, _ = runCLI(t, "", "policy", "diff", "-h")
	require.Equal(t, 0, code)
}

// TestPolicyDiffReadsOwnAuditLog: policy diff replays the calls of an
// audit log this project writes (each call nested under "call"), and a log
// with no calls in it is an error, not an empty diff.
func TestPolicyDiffReadsOwnAuditLog(t *testing.T) {
	oldDir := compiledDir(t, policy.DefaultConstitution())
	newDir := compiledDir(t, strings.Replace(policy.DefaultConstitution(),
		"- The agent may search the web.\n", "- The agent may never search the web.\n", 1))
	home := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), logFile, audit.Options{NoSync: true})
	require.NoError(t, err)
	for _, q := range []string{"go", "rust"} {
		require.NoError(t, l.Record(context.Background(), ironcurtain.AuditEntry{
			Server: "fetch", Tool: "web_search", Arguments: map[string]any{"query": q},
			Verdict: ironcurtain.Allow, Rule: "allow-web-search", Outcome: ironcurtain.OutcomeSuccess,
		}))
	}
	require.NoError(t, l.Close())
	code, out, errOut := runCLI(t, "", "policy", "diff", oldDir, newDir, "--calls", logFile, "--home", home)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, `fetch/web_search {"query":"go"}: allow (allow-web-search) -> deny (deny-web-search)`)
	require.Contains(t, errOut, "2 of 2 call(s) change")

	empty := writeTemp(t, "empty.jsonl", "{\"type\":\"open\"}\nnot json\n")
	code, _, errOut = runCLI(t, "", "policy", "diff", oldDir, newDir, "--calls", empty, "--home", home)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "no calls")
}

// TestPolicyTestReadsIronCurtainScenarios: policy test replays a
// test-scenarios.json in IronCurtain's own format (request with serverName
// and toolName, expectedDecision including "not-allow").
func TestPolicyTestReadsIronCurtainScenarios(t *testing.T) {
	dir := compiledDir(t, policy.DefaultConstitution())
	scen := `{"generatedAt":"2026-01-01T00:00:00Z","constitutionHash":"x","inputHash":"y","scenarios":[
	 {"description":"reading the user's notes is fine","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/Documents/notes.txt"}},"expectedDecision":"allow","reasoning":"documents may be read","source":"handwritten"},
	 {"description":"ssh keys stay out of reach","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/.ssh/id_rsa"}},"expectedDecision":"not-allow","reasoning":"credentials","source":"generated"},
	 {"description":"wrong on purpose","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/.ssh/id_rsa"}},"expectedDecision":"allow","reasoning":"must fail","source":"generated"}
	]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, compile.ScenariosFile), []byte(scen), 0o644))
	code, out, errOut := runCLI(t, "", "policy", "test", "-v", dir)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, "3 scenario(s): 2 passed, 1 failed")
	require.Contains(t, out, "ssh keys stay out of reach: want not allow, got deny")
	require.Contains(t, out, "FAIL")

	bad := strings.Replace(scen, `"not-allow"`, `"maybe"`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, compile.ScenariosFile), []byte(bad), 0o644))
	code, _, errOut = runCLI(t, "", "policy", "test", dir)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "maybe")
}

// FuzzReadAuditCalls: whatever the file holds, policy diff reads calls
// that name a server and a tool, or refuses the file; it never panics.
func FuzzReadAuditCalls(f *testing.F) {
	f.Add(`{"seq":2,"type":"call","call":{"server":"fetch","tool":"web_search","arguments":{"query":"go"}}}` + "\n")
	f.Add(`{"server":"filesystem","tool":"read_file","arguments":{"path":"a"}}` + "\n{\"type\":\"open\"}\n")
	f.Add(`{"call":{"server":"","tool":"x"},"server":"s"}` + "\nnot json\n")
	f.Fuzz(func(t *testing.T, log string) {
		calls, err := readAuditCalls("-", strings.NewReader(log), io.Discard)
		if err != nil {
			return
		}
		require.NotEmpty(t, calls)
		for _, c := range calls {
			require.NotEmpty(t, c.Server)
			require.NotEmpty(t, c.Tool)
			require.NotNil(t, c.Arguments)
		}
	})
}
