//go:build linux

package jail

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireJail skips the test on a kernel that cannot run a jail.
func requireJail(t testing.TB) kernel {
	t.Helper()
	k := detect()
	if k.abi < 1 {
		t.Skip("the kernel has no Landlock (Linux 5.13+ with landlock in the lsm= list)")
	}
	if !k.seccomp {
		t.Skip("the kernel has no seccomp filter support on this architecture")
	}
	k.mountns = namespacesWork()
	return k
}

// requireMountNS is requireJail for a test that also needs user and mount
// namespaces, skipping it with why (the protection it cannot check) when
// they do not work here.
func requireMountNS(t testing.TB, why string) kernel {
	t.Helper()
	k := requireJail(t)
	if !k.mountns {
		t.Skip("no user and mount namespaces here" + why)
	}
	return k
}

// signalsMissing is what a jail without socket grants lacks on k.
func signalsMissing(k kernel) []Protection {
	if k.abi < scopeABI {
		return []Protection{ProtectSignals}
	}
	return nil
}

// fixture is a fake user: a home with a private key, and directories the
// jailed program is given or not.
type fixture struct {
	home    string // fake home: .ssh/id_rsa, .aws/credentials
	key     string // home/.ssh/id_rsa
	work    string // granted read-write
	ro      string // granted read-only, holds "file"
	outside string // not granted
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	f := fixture{
		home:    filepath.Join(root, "home"),
		work:    filepath.Join(root, "work"),
		ro:      filepath.Join(root, "ro"),
		outside: filepath.Join(root, "outside"),
	}
	f.key = filepath.Join(f.home, ".ssh", "id_rsa")
	for _, d := range []string{filepath.Join(f.home, ".ssh"), filepath.Join(f.home, ".aws"), f.work, f.ro, f.outside} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	require.NoError(t, os.WriteFile(f.key, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(f.ro, "file"), []byte("readable"), 0o644))
	return f
}

// env returns the environment for jails in the fixture: the real kernel,
// the fake home and the real ones counted as homes, this binary as the
// launcher.
func (f fixture) env(k kernel) environment {
	return environment{kernel: k, homes: append(homes(), f.home), exe: "/proc/self/exe"}
}

// parallelJailFixture is the start of most tests here: skip without a
// jail, run in parallel, work in a new fixture.
func parallelJailFixture(t *testing.T) (kernel, fixture) {
	t.Helper()
	k := requireJail(t)
	t.Parallel()
	return k, newFixture(t)
}

// probeCmd prepares the probe program (this test binary, with no actions
// yet) under p, as launched on a kernel like k, and returns the
// environment used.
func (f fixture) probeCmd(t *testing.T, k kernel, p Policy) (*Cmd, environment, error) {
	t.Helper()
	env := f.env(k)
	p.Env = append(p.Env, probeEnv+"=1")
	c, err := newCmd(context.Background(), p, env, testBinary(t), nil)
	return c, env, err
}

// testBinary is this test binary, the program the probes run in.
func testBinary(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return exe
}

// jailed runs the probe actions in a jail built from p and returns one
// result per action.
func jailed(t *testing.T, p Policy, env environment, actions ...string) ([]string, *Cmd) {
	t.Helper()
	p.Env = append(p.Env, probeEnv+"=1")
	if env.kernel.abi < scopeABI {
		// The probes adapt their expectations to the ABI.
		p.Accept = append(p.Accept, ProtectSignals, ProtectAbstractUnix)
	}
	c, err := newCmd(context.Background(), p, env, testBinary(t), actions)
	require.NoError(t, err)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	require.NoError(t, err, "stderr: %s", stderr.String())
	return lines(out), c
}

// unjailed runs the same probes without a jail: the control showing that
// each attempt a jail stops would otherwise succeed.
func unjailed(t *testing.T, actions ...string) []string {
	t.Helper()
	cmd := exec.Command(testBinary(t), actions...)
	cmd.Env = []string{probeEnv + "=1"}
	out, err := cmd.Output()
	require.NoError(t, err)
	return lines(out)
}

func lines(out []byte) []string {
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// probeCase is one attempt and its expected result; a want starting with
// "!" means anything but the rest.
type probeCase struct {
	action, want string
}

// check runs cases in one jailed process and compares every result.
func check(t *testing.T, p Policy, env environment, cases []probeCase) {
	t.Helper()
	actions := make([]string, len(cases))
	for i, c := range cases {
		actions[i] = c.action
	}
	got, _ := jailed(t, p, env, actions...)
	require.Len(t, got, len(cases), "results: %q", got)
	for i, c := range cases {
		if not, ok := strings.CutPrefix(c.want, "!"); ok {
			require.NotEqual(t, not, got[i], "%s", c.action)
			continue
		}
		require.Equal(t, c.want, got[i], "%s", c.action)
	}
}

// listen opens a loopback TCP listener that accepts and closes
// connections until the test ends, and returns its port.
func listen(t testing.TB) uint16 {
	t.Helper()
	l := serveConns(t, "tcp", "127.0.0.1:0", func(net.Conn) {})
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// serveConns listens at address until the test ends, calling handle with
// each connection accepted and then closing it.
func serveConns(t testing.TB, network, address string, handle func(net.Conn)) net.Listener {
	t.Helper()
	l, err := net.Listen(network, address)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			handle(c)
			c.Close()
		}
	}()
	return l
}

// freePort returns a loopback port nothing listens on.
func freePort(t testing.TB) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	return port
}

func loopback(port uint16) string { return "127.0.0.1:" + strconv.Itoa(int(port)) }
