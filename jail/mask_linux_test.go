//go:build linux

package jail

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// maskFixture is a granted work directory holding a secret file, a
// private directory and a path not created yet, all masked, beside files
// that are not.
type maskFixture struct {
	fixture
	secret, private, inner, later, visible string
}

func newMaskFixture(t *testing.T) maskFixture {
	t.Helper()
	m := maskFixture{fixture: newFixture(t)}
	m.secret = filepath.Join(m.work, "sub", "secret")
	m.private = filepath.Join(m.work, "private")
	m.inner = filepath.Join(m.private, "inner")
	m.later = filepath.Join(m.work, "later", "x")
	m.visible = filepath.Join(m.work, "sub", "visible")
	for _, d := range []string{filepath.Dir(m.secret), m.private, filepath.Dir(m.later)} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	for _, f := range []string{m.secret, m.inner, m.visible} {
		require.NoError(t, os.WriteFile(f, []byte("TOPSECRET"), 0o600))
	}
	return m
}

// maskJail skips the test where paths cannot be masked, runs it in
// parallel, and returns the kernel and a fixture.
func maskJail(t *testing.T) (kernel, maskFixture) {
	t.Helper()
	k := requireMountNS(t, ": paths cannot be masked (see ProtectMaskedPaths)")
	t.Parallel()
	return k, newMaskFixture(t)
}

func (m maskFixture) policy() Policy {
	return Policy{ReadWrite: []string{m.work}, Masked: []string{m.secret, m.private, m.later}}
}

// TestEscapeMaskedPaths: a program granted a directory cannot read,
// list, write, truncate, chmod, rename, delete, replace or hard-link the
// masked paths inside it, nor move the directory holding one, nor create
// a masked path that did not exist; the rest of the grant stays usable.
func TestEscapeMaskedPaths(t *testing.T) {
	k, m := maskJail(t)
	w := func(name string) string { return filepath.Join(m.work, name) }
	decoy := filepath.Join(filepath.Dir(m.secret), "decoy")
	require.NoError(t, os.WriteFile(decoy, []byte("decoy"), 0o600))
	cases := []probeCase{
		{"read:" + m.secret, "EACCES"},
		{"write:" + m.secret, "!ok"},
		{"truncate:" + m.secret, "!ok"},
		{"chmod:" + m.secret, "EROFS"},
		{"rename:" + m.secret + ">" + filepath.Join(filepath.Dir(m.secret), "moved"), "EBUSY"},
		{"rename:" + m.secret + ">" + w("moved"), "!ok"},
		{"remove:" + m.secret, "EBUSY"},
		{"link:" + m.secret + ">" + w("hardlink"), "!ok"},
		{"rename:" + decoy + ">" + m.secret, "EBUSY"},
		{"rename:" + filepath.Dir(m.secret) + ">" + w("sub2"), "EBUSY"},
		{"list:" + m.private, "EACCES"},
		{"read:" + m.inner, "EACCES"},
		{"write:" + filepath.Join(m.private, "new"), "!ok"},
		{"rename:" + m.private + ">" + w("private2"), "EBUSY"},
		{"rmdir:" + m.private, "EBUSY"},
		{"write:" + m.later, "EROFS"},
		// The rest of the grant.
		{"read:" + m.visible, "ok"},
		{"list:" + filepath.Dir(m.secret), "ok"},
		{"write:" + w("new"), "ok"},
	}
	// Without masks, each attempt on a masked path succeeds.
	for i, r := range unjailedIn(t, Policy{ReadWrite: []string{m.work}}, m.env(k), "read:"+m.secret, "list:"+m.private, "write:"+m.later) {
		require.Equal(t, "ok", r, "control %d", i)
	}
	require.NoError(t, os.Remove(m.later))
	check(t, m.policy(), m.env(k), cases)
	for _, f := range []string{m.secret, m.inner} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Equal(t, "TOPSECRET", string(b), "%s", f)
	}
	for _, f := range []string{w("moved"), filepath.Join(filepath.Dir(m.secret), "moved"), w("hardlink"), w("sub2"), w("private2"), m.later, filepath.Join(m.private, "new")} {
		require.NoFileExists(t, f)
	}
	require.FileExists(t, decoy)

	_, c := jailed(t, m.policy(), m.env(k), "read:"+m.visible)
	require.True(t, c.Enforcement.Masked)
	require.Contains(t, c.Enforcement.String(), "masked paths")
}

// unjailedIn runs the probes jailed by p, without masks: the control.
func unjailedIn(t *testing.T, p Policy, env environment, actions ...string) []string {
	t.Helper()
	got, _ := jailed(t, p, env, actions...)
	return got
}

// TestMaskedSwappedForLink: a masked path replaced by a symbolic link
// after the policy was checked fails the launch; the program never runs
// and the link's target is not read.
func TestMaskedSwappedForLink(t *testing.T) {
	k, m := maskJail(t)
	p := m.policy()
	p.Env = []string{probeEnv + "=1"}
	p.Accept = []Protection{ProtectSignals, ProtectAbstractUnix}
	c, err := newCmd(context.Background(), p, m.env(k), testBinary(t), []string{"read:" + m.secret})
	require.NoError(t, err)
	elsewhere := filepath.Join(m.outside, "secret")
	require.NoError(t, os.Rename(m.secret, elsewhere))
	require.NoError(t, os.Symlink(m.visible, m.secret))
	out, err := c.Output()
	require.ErrorIs(t, err, ErrLaunch)
	require.ErrorContains(t, err, "symbolic link")
	require.Empty(t, out)
}

// TestMaskedRefused: masks that would hide a grant, or a file reachable
// under another name, are refused; masks outside every grant are
// ignored; a kernel without user namespaces refuses masks unless Accept
// names ProtectMaskedPaths, which Enforcement then reports missing.
func TestMaskedRefused(t *testing.T) {
	requireJail(t)
	t.Parallel()
	m := newMaskFixture(t)
	env := m.env(kernel{abi: maxABI, seccomp: true, mountns: true})
	require.NoError(t, os.Link(m.visible, filepath.Join(m.outside, "link")))
	refused := []Policy{
		{ReadWrite: []string{m.work}, Masked: []string{m.work}},                                   // the grant
		{ReadWrite: []string{m.work}, Masked: []string{filepath.Dir(m.work)}},                     // its parent
		{ReadWrite: []string{m.work}, ReadOnly: []string{m.private}, Masked: []string{m.private}}, // a grant inside
		{ReadWrite: []string{m.work}, Masked: []string{m.visible}},                                // hard-linked
		{ReadWrite: []string{m.work}, Masked: []string{"relative"}},                               // not absolute
	}
	for _, p := range refused {
		_, err := newCmd(context.Background(), p, env, testBinary(t), nil)
		require.ErrorIs(t, err, ErrPolicy, "%+v", p)
	}
	g, err := Policy{ReadWrite: []string{m.work}, Masked: []string{m.key, m.secret, m.inner, m.private}}.validate(env.homes)
	require.NoError(t, err)
	require.Equal(t, []string{m.private, m.secret}, g.masked, "outside every grant ignored, inside another mask folded")

	noNS := m.env(kernel{abi: maxABI, seccomp: true})
	_, err = newCmd(context.Background(), m.policy(), noNS, testBinary(t), nil)
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, string(ProtectMaskedPaths))
	p := m.policy()
	p.Accept = []Protection{ProtectMaskedPaths}
	c, err := newCmd(context.Background(), p, noNS, testBinary(t), nil)
	require.NoError(t, err)
	require.Equal(t, []Protection{ProtectMaskedPaths}, c.Enforcement.Missing)
	require.False(t, c.Enforcement.Masked)
	c.status.Close()
}
