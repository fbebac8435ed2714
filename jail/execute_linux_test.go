//go:build linux

package jail

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// canon resolves a system path for comparison with what the jail lists.
func canon(t *testing.T, p string) string {
	t.Helper()
	c, err := filepath.EvalSymlinks(p)
	require.NoError(t, err)
	return c
}

// TestExecuteAllowlist: with Policy.Execute set, the jailed program can
// start only what the list names (and its loader): not the shell, not a
// system tool beneath the base set, not an executable file the program
// wrote into its read-write grant, not a symbolic link to the shell placed
// there; reading and writing are unchanged. Without Execute (the control)
// the same attempts succeed.
func TestExecuteAllowlist(t *testing.T) {
	k := requireJail(t)
	f := newFixture(t)
	script := filepath.Join(f.work, "evil.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	link := filepath.Join(f.work, "sh")
	require.NoError(t, os.Symlink("/bin/sh", link))
	copied := filepath.Join(f.work, "true")
	b, err := os.ReadFile(canon(t, "/bin/true"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copied, b, 0o755))

	open := Policy{ReadOnly: []string{f.ro}, ReadWrite: []string{f.work}}
	check(t, open, f.env(k), []probeCase{
		{"exec:/bin/sh", "ok"}, {"exec:" + script, "ok"}, {"exec:" + link, "ok"}, {"exec:" + copied, "ok"},
		{"exec:/usr/bin/env", "ok"},
	})

	limited := open
	limited.Execute = []string{"/bin/true"}
	check(t, limited, f.env(k), []probeCase{
		{"exec:/bin/true", "ok"},
		{"exec:/bin/sh", "EACCES"},
		{"exec:/usr/bin/env", "EACCES"},
		{"exec:" + script, "EACCES"},
		{"exec:" + link, "EACCES"},
		{"exec:" + copied, "EACCES"},
		{"read:" + filepath.Join(f.ro, "file"), "ok"},
		{"read:/bin/sh", "ok"},
		{"write:" + filepath.Join(f.work, "out"), "ok"},
	})

	// An empty, non-nil list: only the program itself.
	none := open
	none.Execute = []string{}
	check(t, none, f.env(k), []probeCase{{"exec:/bin/true", "EACCES"}, {"exec:/bin/sh", "EACCES"}})
}

// TestExecuteAddsInterpreters: the loader of an ELF entry and the "#!"
// interpreter of a script entry are added, since the kernel needs them to
// run the entry; a directory is taken as it is.
func TestExecuteAddsInterpreters(t *testing.T) {
	g, err := Policy{Execute: []string{"/bin/true"}}.validate(nil)
	require.NoError(t, err)
	require.True(t, g.execOnly)
	interp, err := interpreterOf(canon(t, "/bin/true"))
	require.NoError(t, err)
	if interp != "" {
		require.Contains(t, g.exec, canon(t, interp), "the dynamic loader of /bin/true")
	}

	dir := t.TempDir()
	script := filepath.Join(dir, "s")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh -e\nexit 0\n"), 0o755))
	g, err = Policy{Execute: []string{script, dir}}.validate(nil)
	require.NoError(t, err)
	require.Contains(t, g.exec, canon(t, "/bin/sh"), "a script's interpreter")

	g, err = Policy{}.validate(nil)
	require.NoError(t, err)
	require.False(t, g.execOnly, "nil Execute limits nothing")

	_, err = Policy{Execute: []string{"relative"}}.validate(nil)
	require.ErrorIs(t, err, ErrPolicy)
	_, err = Policy{Execute: []string{filepath.Join(dir, "missing")}}.validate(nil)
	require.ErrorIs(t, err, ErrPolicy)
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("#!relative\n"), 0o755))
	_, err = Policy{Execute: []string{bad}}.validate(nil)
	require.ErrorIs(t, err, ErrPolicy)
}

// TestPlanExecNeedsExecOnly: a plan listing executables without limiting
// execution to them is refused on either side.
func TestPlanExecNeedsExecOnly(t *testing.T) {
	p := &plan{Version: planVersion, Path: "/bin/true", Args: []string{"true"}, Exec: []string{"/bin/sh"}}
	_, err := p.encode()
	require.Error(t, err)
	p.ExecOnly = true
	_, err = p.encode()
	require.NoError(t, err)
}

// FuzzInterpreterOf: any file content yields an interpreter or an error,
// never a panic; a returned interpreter is an absolute path.
func FuzzInterpreterOf(f *testing.F) {
	f.Add([]byte("#!/bin/sh\n"))
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	if b, err := os.ReadFile("/bin/true"); err == nil && len(b) > 4096 {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		interp, err := interpreterOf(p)
		if err == nil && interp != "" {
			require.True(t, filepath.IsAbs(interp), "%q", interp)
		}
	})
}
