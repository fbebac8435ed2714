//go:build linux

package jail

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// serveUnix listens on a Unix socket at path (or an abstract name
// starting with "@") and accepts until the test ends.
func serveUnix(t *testing.T, path string) {
	t.Helper()
	serveConns(t, "unix", path, func(net.Conn) {})
}

// dockerSocket is the Docker daemon's socket when one is listening.
func dockerSocket() string {
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Type() == os.ModeSocket {
			return p
		}
	}
	return ""
}

// TestEscapeUnixSocketPaths: a jail granted one socket and one socket
// directory connects to those and to nothing else: not to another
// listening socket made by the test, not through /proc to it, not to an
// abstract socket, not to the Docker daemon's socket where one exists.
func TestEscapeUnixSocketPaths(t *testing.T) {
	k := requireMountNS(t, ": socket paths cannot be confined (see ProtectUnixPaths)")
	t.Parallel()
	f := newFixture(t)
	granted := filepath.Join(f.work, "agent.sock")
	dir := filepath.Join(f.ro, "sockets")
	require.NoError(t, os.Mkdir(dir, 0o700))
	inDir := filepath.Join(dir, "c1")
	other := filepath.Join(f.outside, "other.sock")
	abstract := "@ironcurtain-jail-test-" + strconv.Itoa(os.Getpid())
	for _, p := range []string{granted, inDir, other, abstract} {
		serveUnix(t, p)
	}
	viaProc := filepath.Join("/proc", strconv.Itoa(os.Getpid()), "root", other)
	control := []string{"unix:" + other, "unix:" + viaProc, "unix:" + abstract}
	cases := []probeCase{
		{"unix:" + granted, "ok"},
		{"unix:" + inDir, "ok"},
		{"unix:" + other, "ENOENT"},
		{"unix:" + viaProc, "!ok"},
		{"unix:" + abstract, "EPERM"},
		{"unix:/proc/self/root" + other, "ENOENT"},
		// The socket grant is for connecting only: no file in the
		// directory can be listed or read.
		{"list:" + dir, "EACCES"},
		{"socket:inet", "EPERM"},
	}
	if d := dockerSocket(); d != "" {
		control = append(control, "unix:"+d)
		cases = append(cases, probeCase{"unix:" + d, "ENOENT"})
	}
	// Without the jail each of these connects.
	for i, r := range unjailed(t, control...) {
		require.Equal(t, "ok", r, "control %s", control[i])
	}
	p := Policy{UnixSockets: []string{granted, dir}}
	if k.abi < scopeABI {
		t.Skipf("abstract sockets are scoped from Landlock ABI %d, the kernel has %d", scopeABI, k.abi)
	}
	check(t, p, f.env(k), cases)

	_, c := jailed(t, p, f.env(k), "unix:"+granted)
	require.True(t, c.Enforcement.UnixPaths)
	require.False(t, c.Enforcement.Unsandboxed)
}

// TestSocketGrantsRefused: no socket grant may be, contain or lie inside
// a daemon's socket or a Protected path, and no file or directory grant
// may contain one when the jail has sockets; a grant that is neither a
// socket nor a directory is refused.
func TestSocketGrantsRefused(t *testing.T) {
	requireJail(t)
	t.Parallel()
	f := newFixture(t)
	sock := filepath.Join(f.work, "s")
	serveUnix(t, sock)
	env := f.env(kernel{abi: maxABI, seccomp: true, mountns: true})
	refused := []Policy{
		{UnixSockets: []string{filepath.Join(f.ro, "file")}},            // a regular file
		{UnixSockets: []string{"/run"}},                                 // holds docker.sock
		{UnixSockets: []string{"/var/run/docker.sock"}},                 // is it
		{UnixSockets: []string{sock}, ReadOnly: []string{"/run"}},       // a file grant holding it
		{UnixSockets: []string{sock}, Protected: []string{sock}},        // a protected socket
		{UnixSockets: []string{f.work}, Protected: []string{sock}},      // a directory holding one
		{UnixSockets: []string{filepath.Join(f.home, ".ssh")}},          // a credential store
		{UnixSockets: []string{"relative.sock"}},                        // not absolute
		{UnixSockets: []string{sock}, Accept: []Protection{"whatever"}}, // no such protection
	}
	for _, p := range refused {
		_, err := newCmd(context.Background(), p, env, testBinary(t), nil)
		require.ErrorIs(t, err, ErrPolicy, "%+v", p)
	}
	_, err := newCmd(context.Background(), Policy{UnixSockets: []string{sock}}, env, testBinary(t), nil)
	require.NoError(t, err)
}

// TestConfineFailsClosed: a confined jail whose clone flags were removed
// and whose embedded exec.Cmd is started directly (so that Start cannot
// put them back) runs in its parent's mount namespace; the launcher
// refuses to build its root there, and the program never runs.
func TestConfineFailsClosed(t *testing.T) {
	k := requireMountNS(t, "")
	t.Parallel()
	f := newFixture(t)
	sock := filepath.Join(f.work, "s")
	serveUnix(t, sock)
	marker := filepath.Join(f.work, "ran")
	c, err := newCmd(context.Background(), Policy{UnixSockets: []string{sock}, ReadWrite: []string{f.work},
		Env: []string{probeEnv + "=1"}}, f.env(k), testBinary(t), []string{"write:" + marker})
	require.NoError(t, err)
	c.SysProcAttr = nil
	out, err := c.Cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "parent's mount namespace")
	require.NoFileExists(t, marker)
}
