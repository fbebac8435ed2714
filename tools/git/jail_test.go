package git

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/testvault"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// jailTestEnv, set to 1, runs every fixture's git in the jail.
// TestJailedSuite sets it to run the whole suite a second time that way.
const jailTestEnv = "IRONCURTAIN_GIT_TEST_JAIL"

// testJail is the Options.Jail of fixtures: nil normally; with
// jailTestEnv set, the production derivation plus, read-write, the
// test's temporary directory (its markers, wrapper dumps and served
// repositories: a planted command that ran in the jail must still be
// seen). Test servers on loopback are reached as the remotes they are.
func testJail(t testing.TB) *jail.Policy {
	t.Helper()
	if os.Getenv(jailTestEnv) != "1" {
		return nil
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return &jail.Policy{ReadWrite: []string{filepath.Dir(dir)}}
}

// requireJail skips a test on a kernel that cannot jail.
func requireJail(t testing.TB) {
	t.Helper()
	if _, err := jail.Check(jail.Policy{}); err != nil {
		t.Skipf("no jail on this machine: %v", err)
	}
}

// TestJailedSuite runs every test of the package again with git jailed,
// in a child test process. -short skips it.
func TestJailedSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the jailed run of the suite is skipped")
	}
	if os.Getenv(jailTestEnv) == "1" {
		t.Skip("this is the jailed run")
	}
	requireGit(t)
	requireJail(t)
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.skip=^TestJailedSuite$")
	cmd.Env = append(os.Environ(), jailTestEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the suite failed with git jailed:\n%s", out)
}

// TestJailConfinesGit: with the production policy, git can work in its
// roots but cannot read a file elsewhere, which the same git, unjailed,
// reads; local invocations get no network, transfers no fixed one.
func TestJailConfinesGit(t *testing.T) {
	requireGit(t)
	requireJail(t)
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("top secret\n"), 0o600))
	readSecret := func(f *fixture) output {
		out, err := f.s.exec(context.Background(), invocation{dir: f.repo, ceiling: f.s.ceilingFor(f.repo),
			args: []string{"diff", "--no-index", "--", "README", secret}})
		require.NoError(t, err)
		return out
	}

	plain := newFixture(t, Options{Jail: nil})
	if plain.s.jail == nil {
		require.Contains(t, string(readSecret(plain).stdout), "top secret", "control: unjailed git reads it")
	}

	f := newFixture(t, Options{
		Jail:        &jail.Policy{},
		Vault:       testvault.Map{"t": "x"},
		Credentials: map[string]Credential{"forge.example:8443": {Name: "t"}},
	})
	e, ok := f.s.Jail()
	require.True(t, ok)
	require.False(t, e.Unsandboxed)
	require.Positive(t, e.Landlock)

	out := readSecret(f)
	require.NotContains(t, string(out.stdout), "top secret")
	require.Contains(t, string(out.stderr), "Permission denied")

	f.ok("git_commit", map[string]any{"message": "jailed", "allowEmpty": true})
	require.Contains(t, f.ok("git_log", nil), "jailed")

	require.Empty(t, f.s.jail.local.ConnectTCP)
	require.Empty(t, f.s.jail.local.UnixSockets)
	require.Empty(t, f.s.jail.network.ConnectTCP, "no port on every host")
	require.Empty(t, f.s.jail.network.Connect, "hosts are granted per transfer, those of its judged remotes")
	require.Empty(t, f.s.jail.network.UnixSockets, "credentials are a header, not a helper's socket")
	require.Equal(t, f.s.jail.local.Execute, f.s.jail.network.Execute, "only git's own programs, ssh and file not allowed")
	require.Len(t, f.s.jail.local.Execute, 2, "git and its exec path")
}

// BenchmarkJail measures what the jail adds to whole tool calls on the
// benchmark repository: git_status (three git invocations, two of them in
// parallel) and git_log.
//
//	go test ./tools/git -run '^$' -bench Jail -benchtime 50x
func BenchmarkJail(b *testing.B) {
	requireJail(b)
	_, repo := benchServer(b)
	for _, tc := range []struct {
		name string
		jail *jail.Policy
	}{{"plain", nil}, {"jailed", &jail.Policy{}}} {
		s, err := New(Options{Roots: []string{filepath.Dir(repo)}, DefaultDir: repo, Jail: tc.jail})
		require.NoError(b, err)
		b.Cleanup(func() { s.Close() })
		b.Run("git_status/"+tc.name, func(b *testing.B) { benchCall(b, s, "git_status", nil) })
		b.Run("git_log/"+tc.name, func(b *testing.B) { benchCall(b, s, "git_log", nil) })
	}
}
