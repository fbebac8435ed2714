package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
)

func runExecScript(t *testing.T, script string, extra ...string) (int, execOutput, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.ts")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o644))
	args := append([]string{"exec", "--sandbox", filepath.Join(dir, "sandbox"), "--audit", filepath.Join(dir, "audit.jsonl")}, extra...)
	code, stdout, stderr := runCLI(t, "", append(args, path)...)
	var out execOutput
	if strings.TrimSpace(stdout) != "" {
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stdout), "\n")+1, "one JSON line")
	}
	return code, out, stderr
}

func TestExec(t *testing.T) {
	code, out, stderr := runExecScript(t, `
interface Plan { steps: string[] }
const plan: Plan = { steps: ["read", "write"] };
filesystem.write_file({ path: "plan.txt", content: plan.steps.join("\n") });
const text = filesystem.read_text_file({ path: "plan.txt" });
let denied = "";
try {
  filesystem.read_text_file({ path: "~/.ssh/id_rsa" });
} catch (e) {
  denied = (e as Error).message;
}
console.log("done");
return { text, denied };
`)
	require.Equal(t, 0, code, stderr)
	require.True(t, out.OK)
	var result struct{ Text, Denied string }
	require.NoError(t, json.Unmarshal(out.Result, &result))
	require.Equal(t, "read\nwrite", strings.TrimSpace(result.Text))
	require.True(t, strings.HasPrefix(result.Denied, "DENIED: "), result.Denied)
	require.Equal(t, []string{"done"}, out.Output)
	require.Len(t, out.Calls, 3)
	require.Equal(t, "allow", out.Calls[0].Decision)
	require.Equal(t, "write_file", out.Calls[0].Tool)
	require.Equal(t, "structural-sandbox-allow", out.Calls[0].Rule, "allowed calls name their rule too")
	require.Equal(t, "deny", out.Calls[2].Decision)
	require.Equal(t, "structural-protected-path", out.Calls[2].Rule)
}

func TestExecFailures(t *testing.T) {
	code, out, _ := runExecScript(t, "const x: number = 1;\nthrow new Error(\"boom \" + x);\n")
	require.Equal(t, 1, code)
	require.False(t, out.OK)
	require.Contains(t, out.Error, "boom 1")
	require.Contains(t, out.Error, "2", "the error names the TypeScript line")

	code, out, _ = runExecScript(t, "while (true) {}", "--timeout", "1s")
	require.Equal(t, 1, code)
	require.False(t, out.OK)
	require.NotEmpty(t, out.Error)

	code, out, _ = runExecScript(t, "return shell.exec({command: 'id'});")
	require.Equal(t, 1, code, "a tool nobody offers does not exist in the sandbox")
	require.Empty(t, out.Calls)
}

func TestExecUsage(t *testing.T) {
	code, _, _ := runCLI(t, "", "exec")
	require.Equal(t, 2, code)
	code, _, _ = runCLI(t, "", "exec", "/nonexistent/script.ts")
	require.Equal(t, 2, code)
	code, _, _ = runCLI(t, "", "exec", "--memory", "lots", "x.ts")
	require.Equal(t, 2, code)
	dir := t.TempDir()
	code, stdout, _ := runCLI(t, "return 6 * 7;", "exec", "--sandbox", dir, "-")
	require.Equal(t, 0, code)
	require.JSONEq(t, `{"ok":true,"result":42,"calls":[]}`, stdout)
}

// TestExecGitJailed: exec runs git in its jail, as serve does, and the git
// tools still work from a script.
func TestExecGitJailed(t *testing.T) {
	requireJail(t)
	dir := t.TempDir()
	st, err := jailedStack(context.Background(), "exec", stack.Options{Sandbox: dir, Audit: filepath.Join(t.TempDir(), "audit.jsonl")}, false, io.Discard)
	require.NoError(t, err)
	e, jailed := st.Servers["git"].(*git.Server).Jail()
	require.NoError(t, st.Close())
	require.True(t, jailed, "every git invocation is jailed")
	require.False(t, e.Unsandboxed)
	require.Positive(t, e.Landlock)

	// A relative audit path is protected from git as its absolute path.
	t.Chdir(t.TempDir())
	st, err = jailedStack(context.Background(), "exec", stack.Options{Sandbox: dir, Audit: "audit.jsonl"}, false, io.Discard)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	code, out, stderr := runExecScript(t, `
git.git_init({ path: "repo" });
filesystem.write_file({ path: "repo/a.txt", content: "a" });
const s = git.git_status({ path: "repo" });
return JSON.stringify(s);
`)
	require.Equal(t, 0, code, "%s %+v", stderr, out)
	require.Contains(t, string(out.Result), "a.txt")
}
