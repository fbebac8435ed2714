package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// reachPolicy is "never delete permanently" reaching the sandbox, an
// escalation only inside it, and a broad allow written before both.
func reachPolicy(sandbox string) string {
	rules := []Rule{
		{Name: "allow-read-write-anywhere", If: Condition{Roles: []Role{RoleReadPath, RoleWritePath}}, Then: ironcurtain.Allow, Reason: "r"},
		{Name: "deny-delete", If: Condition{Roles: []Role{RoleDeletePath}, Sandbox: sandbox}, Then: ironcurtain.Deny, Reason: "never delete permanently"},
		{Name: "escalate-history-in-sandbox", If: Condition{Roles: []Role{RoleWriteHistory}, Server: []string{"git"}, Sandbox: SandboxOnly}, Then: ironcurtain.Escalate, Reason: "ask before committing"},
	}
	return mustJSON(CompiledPolicy{Rules: rules})
}

// TestDenyReachesSandbox: a deny rule that says it reaches the sandbox
// decides the paths inside it before the structural sandbox allow — the
// move-away (move_file's source), git_reset --hard and git_clean — while
// reads and writes there stay allowed. Without the field (the engine
// before it), every one of these calls was allowed by the sandbox.
func TestDenyReachesSandbox(t *testing.T) {
	w := newWorld(t, "sandbox/a.txt")
	ann := mustJSON(DefaultAnnotations())
	e := w.engine(t, reachPolicy(SandboxInclude), ann, "", Config{Sandbox: w.sandbox})
	denied := []ironcurtain.ToolCall{
		call("filesystem", "move_file", "source", w.p("sandbox/a.txt"), "destination", w.p("sandbox/b.txt")),
		call("filesystem", "move_file", "source", "a.txt", "destination", "b.txt"),
		call("git", "git_reset", "path", w.sandbox, "mode", "hard"),
		call("git", "git_clean", "path", w.sandbox),
		call("filesystem", "move_file", "source", w.p("outside/data.txt"), "destination", w.p("outside/x")),
	}
	for _, c := range denied {
		d := decide(t, e, c)
		require.Equal(t, ironcurtain.Deny, d.Verdict, "%v: %s", c, d.Reason)
		require.Equal(t, "deny-delete", d.Rule, "%v", c)
	}
	for _, c := range []ironcurtain.ToolCall{
		call("filesystem", "write_file", "path", "a.txt", "content", "x"),
		call("filesystem", "read_file", "path", w.p("sandbox/notes.txt")),
		call("git", "git_clean", "path", w.sandbox, "dryRun", true),
		call("git", "git_status", "path", w.sandbox),
	} {
		require.Equal(t, ironcurtain.Allow, decide(t, e, c).Verdict, "%v", c)
	}
	// git_reset without --hard writes history only: the sandbox-only
	// escalation reaches it inside the sandbox...
	d := decide(t, e, call("git", "git_reset", "path", w.sandbox))
	require.Equal(t, ironcurtain.Escalate, d.Verdict)
	require.Equal(t, "escalate-history-in-sandbox", d.Rule)
	// ...and decides nothing outside it: there no rule allows history
	// writes, so the default deny does.
	d = decide(t, e, call("git", "git_commit", "path", w.p("outside"), "message", "m"))
	require.Equal(t, RuleDefaultDeny, d.Rule)

	// The same rules without the field leave the sandbox to the
	// structural allow: the old behaviour, still the default.
	old := w.engine(t, mustJSON(CompiledPolicy{Rules: []Rule{
		{Name: "deny-delete", If: Condition{Roles: []Role{RoleDeletePath}}, Then: ironcurtain.Deny, Reason: "r"},
	}}), ann, "", Config{Sandbox: w.sandbox})
	require.Equal(t, RuleSandboxAllow, decide(t, old, denied[0]).Rule)
	require.Equal(t, RuleSandboxAllow, decide(t, old, denied[2]).Rule)
}

// TestSandboxFieldValidated: an allow cannot reach the sandbox, and an
// unknown value is refused at load.
func TestSandboxFieldValidated(t *testing.T) {
	for _, r := range []Rule{
		{Name: "a", If: Condition{Sandbox: SandboxInclude}, Then: ironcurtain.Allow, Reason: "r"},
		{Name: "b", If: Condition{Sandbox: "inside"}, Then: ironcurtain.Deny, Reason: "r"},
	} {
		_, err := New(Artifacts{Policy: &CompiledPolicy{Rules: []Rule{r}}, Annotations: DefaultAnnotations()}, Config{})
		require.Error(t, err, r.Name)
	}
}

// TestLintSandboxReach: a deny that reaches the sandbox is not shadowed by
// an earlier, equal deny that does not: the later one still decides every
// path inside the sandbox.
func TestLintSandboxReach(t *testing.T) {
	rules := []Rule{
		{Name: "deny-delete-outside", If: Condition{Roles: []Role{RoleDeletePath}}, Then: ironcurtain.Deny, Reason: "r"},
		{Name: "deny-delete-everywhere", If: Condition{Roles: []Role{RoleDeletePath}, Sandbox: SandboxInclude}, Then: ironcurtain.Deny, Reason: "r"},
	}
	e, err := New(Artifacts{Policy: &CompiledPolicy{Rules: rules}, Annotations: DefaultAnnotations()}, Config{})
	require.NoError(t, err)
	for _, f := range e.Lint() {
		require.NotEqual(t, "shadowed", f.Kind, "%s", f)
	}
}
