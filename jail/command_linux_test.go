//go:build linux

package jail

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKernelSupport injects kernels of every kind and checks the decision:
// refuse what cannot be enforced, run with Unsandboxed only when it is
// set, and report it.
func TestKernelSupport(t *testing.T) {
	real, f := parallelJailFixture(t)
	tests := []struct {
		name    string
		k       kernel
		p       Policy
		wantErr error
		want    Enforcement
		probes  []probeCase
	}{
		{name: "no Landlock refuses", k: kernel{abi: 0, seccomp: true}, wantErr: ErrUnsupported},
		{name: "no Landlock, unsandboxed accepted",
			k: kernel{abi: 0, seccomp: true}, p: Policy{Unsandboxed: true},
			want: Enforcement{Seccomp: true, Unsandboxed: true, Missing: []Protection{ProtectLandlock, ProtectSignals}},
			// No Landlock: the key is readable; the filter still holds.
			probes: []probeCase{{"read:" + f.key, "ok"}, {"ptrace", "EPERM"}, {"socket:inet", "EPERM"}}},
		{name: "no seccomp refuses", k: kernel{abi: real.abi}, wantErr: ErrUnsupported},
		{name: "no seccomp, unsandboxed accepted",
			k: kernel{abi: real.abi}, p: Policy{Unsandboxed: true},
			want: Enforcement{Landlock: min(real.abi, maxABI), KernelLandlock: real.abi, Unsandboxed: true,
				Missing: append([]Protection{ProtectSeccomp}, signalsMissing(real)...)},
			probes: []probeCase{{"read:" + f.key, "EACCES"}, {"socket:unix", "ok"}}},
		{name: "nothing at all refuses", k: kernel{}, wantErr: ErrUnsupported},
		{name: "ports need ABI 4", k: kernel{abi: 3, seccomp: true}, p: Policy{ConnectTCP: []uint16{443}}, wantErr: ErrUnsupported},
		{name: "ports need ABI 4 even with signals accepted", k: kernel{abi: 3, seccomp: true},
			p: Policy{ConnectTCP: []uint16{443}, Accept: []Protection{ProtectSignals}}, wantErr: ErrUnsupported},
		{name: "ABI 3 without network",
			k: kernel{abi: 3, seccomp: true}, p: Policy{ReadWrite: []string{f.work}, Accept: []Protection{ProtectSignals}},
			want: Enforcement{Landlock: 3, KernelLandlock: 3, Seccomp: true, Unsandboxed: true, Missing: []Protection{ProtectSignals}},
			probes: []probeCase{{"read:" + f.key, "EACCES"}, {"socket:inet", "EPERM"},
				{"write:" + filepath.Join(f.work, "abi3"), "ok"}}},
		{name: "ABI 2: truncate(2) refused by the filter",
			k: kernel{abi: 2, seccomp: true}, p: Policy{ReadWrite: []string{f.work}, Accept: []Protection{ProtectSignals}},
			want: Enforcement{Landlock: 2, KernelLandlock: 2, Seccomp: true, Unsandboxed: true, Missing: []Protection{ProtectSignals}},
			probes: []probeCase{{"write:" + filepath.Join(f.work, "abi2"), "ok"},
				{"truncate:" + filepath.Join(f.work, "abi2"), "EPERM"}, {"read:" + f.key, "EACCES"}}},
		{name: "ABI 1",
			k: kernel{abi: 1, seccomp: true}, p: Policy{Accept: []Protection{ProtectSignals}},
			want:   Enforcement{Landlock: 1, KernelLandlock: 1, Seccomp: true, Unsandboxed: true, Missing: []Protection{ProtectSignals}},
			probes: []probeCase{{"read:" + f.key, "EACCES"}}},
		{name: "newer kernel used at the newest ABI handled",
			k:    kernel{abi: maxABI + 3, seccomp: true},
			want: Enforcement{Landlock: maxABI, KernelLandlock: maxABI + 3, Seccomp: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, env, err := f.probeCmd(t, tt.k, tt.p)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, c.Enforcement)
			if tt.probes != nil && tt.k.abi <= real.abi {
				check(t, tt.p, env, tt.probes)
			}
		})
	}
}

// TestStrictABI: the launcher enforces exactly the ABI it was told and
// fails — without running the program — when the kernel cannot, rather
// than falling back to less (BestEffort would).
func TestStrictABI(t *testing.T) {
	k := requireJail(t)
	if k.abi >= maxABI {
		t.Skipf("the kernel supports every ABI handled (%d)", k.abi)
	}
	t.Parallel()
	f := newFixture(t)
	marker := filepath.Join(f.work, "ran")
	c, err := newCmd(context.Background(), Policy{ReadWrite: []string{f.work}, Env: []string{probeEnv + "=1"}},
		f.env(kernel{abi: k.abi + 1, seccomp: true}), testBinary(t), []string{"write:" + marker})
	require.NoError(t, err)
	err = c.Run()
	require.ErrorIs(t, err, ErrLaunch)
	require.Contains(t, err.Error(), "could not be applied")
	require.NoFileExists(t, marker)
}

// TestMissingHook: a launcher binary without this package (here
// /bin/true) never answers on the status pipe; Start must notice rather
// than report a program that runs without its jail.
func TestMissingHook(t *testing.T) {
	k := requireJail(t)
	t.Parallel()
	env := environment{kernel: k, homes: homes(), exe: "/bin/true"}
	c, err := newCmd(context.Background(), Policy{}, env, "/bin/echo", []string{"escaped"})
	require.NoError(t, err)
	out, err := c.Output()
	require.ErrorIs(t, err, ErrLaunch)
	require.Contains(t, err.Error(), "built with the jail package")
	require.Empty(t, out)
}

// TestFailClosed: a sandbox that cannot be applied (a granted directory
// vanished between Command and Start) stops the launch; the program never
// runs, whether Start is ours or the embedded exec.Cmd's.
func TestFailClosed(t *testing.T) {
	k, f := parallelJailFixture(t)
	gone := filepath.Join(f.outside, "gone")
	marker := filepath.Join(f.work, "ran")
	p := Policy{ReadWrite: []string{f.work}, ReadOnly: []string{gone}, Env: []string{probeEnv + "=1"}}
	require.NoError(t, os.Mkdir(gone, 0o700))
	c, err := newCmd(context.Background(), p, f.env(k), testBinary(t), []string{"write:" + marker})
	require.NoError(t, err)
	direct, err := newCmd(context.Background(), p, f.env(k), testBinary(t), []string{"write:" + marker})
	require.NoError(t, err)
	require.NoError(t, os.Remove(gone))

	err = c.Run()
	require.ErrorIs(t, err, ErrLaunch)
	require.Contains(t, err.Error(), "the program was not run")
	require.Equal(t, exitApply, c.ProcessState.ExitCode())

	var stderr strings.Builder
	direct.Stderr = &stderr
	err = direct.Cmd.Run() // as an MCP transport would: no status check
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, exitApply, ee.ExitCode())
	require.Contains(t, stderr.String(), "ironcurtain jail: the sandbox could not be applied")
	require.NoFileExists(t, marker)
}

// TestDirectExecCmd: started as a plain exec.Cmd, the program still runs
// jailed.
func TestDirectExecCmd(t *testing.T) {
	k, f := parallelJailFixture(t)
	c, err := newCmd(context.Background(), Policy{Env: []string{probeEnv + "=1"}}, f.env(k), testBinary(t),
		[]string{"read:" + f.key, "ptrace"})
	require.NoError(t, err)
	out, err := c.Cmd.Output()
	require.NoError(t, err)
	require.Equal(t, []string{"EACCES", "EPERM"}, lines(out))
}

// TestEnvironment: the program gets exactly the variables Policy.Env
// names, none of this process's others, and none of the launcher's.
func TestEnvironment(t *testing.T) {
	k := requireJail(t)
	t.Setenv("JAIL_TEST_PASSED", "from parent")
	t.Setenv("JAIL_TEST_SECRET", "must not leak")
	f := newFixture(t)
	p := Policy{Env: []string{"JAIL_TEST_PASSED", "JAIL_TEST_UNSET", "HOME=" + f.home}}
	got, c := jailed(t, p, f.env(k), "env")
	require.Equal(t, []string{"HOME=" + f.home + " JAIL_TEST_PASSED=from parent " + probeEnv + "=1"}, got)
	require.Equal(t, []string{"JAIL_TEST_PASSED=from parent", "HOME=" + f.home, probeEnv + "=1"}, c.Env)
}

// TestStartChecks: a loader variable added to Env, a tampered Cmd and a
// second Start are refused before anything runs.
func TestStartChecks(t *testing.T) {
	k := requireJail(t)
	t.Parallel()
	env := environment{kernel: k, homes: homes(), exe: "/proc/self/exe"}
	newTrue := func() *Cmd {
		c, err := newCmd(context.Background(), Policy{}, env, "true", nil)
		require.NoError(t, err)
		return c
	}

	c := newTrue()
	c.Env = append(c.Env, "LD_PRELOAD=/tmp/evil.so")
	require.ErrorIs(t, c.Start(), ErrPolicy)

	c = newTrue()
	c.ExtraFiles = append(c.ExtraFiles, os.Stdin)
	require.ErrorContains(t, c.Start(), "must not be changed")

	c = newTrue()
	c.Path = "/bin/true"
	require.ErrorContains(t, c.Start(), "must not be changed")

	c = newTrue()
	require.NoError(t, c.Run())
	require.Error(t, c.Start())

	_, err := newCmd(context.Background(), Policy{}, env, "no-such-program-jail-test", nil)
	require.ErrorIs(t, err, exec.ErrNotFound)
}

// TestCommandOutput exercises the exported entry point end to end.
func TestCommandOutput(t *testing.T) {
	requireJail(t)
	t.Parallel()
	c, err := Command(context.Background(), Policy{}, "echo", "hello", "jail")
	require.NoError(t, err)
	require.False(t, c.Enforcement.Unsandboxed)
	out, err := c.CombinedOutput()
	require.NoError(t, err)
	require.Equal(t, "hello jail\n", string(out))

	c, err = Command(context.Background(), Policy{}, "sh", "-c", "echo oops >&2; exit 3")
	require.NoError(t, err)
	_, err = c.Output()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, 3, ee.ExitCode())
	require.Equal(t, "oops\n", string(ee.Stderr))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err = Command(ctx, Policy{}, "true")
	require.NoError(t, err)
	require.Error(t, c.Run())
}

// TestGrantSwappedForSymlink: a granted directory replaced by a symbolic
// link to the credential store after the policy was checked (by a jailed
// program that can write next to it, say) makes the launch fail; the
// launcher never grants where the link leads.
func TestGrantSwappedForSymlink(t *testing.T) {
	k, f := parallelJailFixture(t)
	shared := filepath.Join(f.work, "shared")
	require.NoError(t, os.Mkdir(shared, 0o700))
	c, err := newCmd(context.Background(), Policy{ReadOnly: []string{shared}, Env: []string{probeEnv + "=1"}},
		f.env(k), testBinary(t), []string{"read:" + filepath.Join(shared, "id_rsa")})
	require.NoError(t, err)

	require.NoError(t, os.Remove(shared))
	require.NoError(t, os.Symlink(filepath.Join(f.home, ".ssh"), shared))
	out, err := c.Output()
	require.ErrorIs(t, err, ErrLaunch)
	require.Contains(t, err.Error(), "symbolic link appeared")
	require.Empty(t, out)
}
