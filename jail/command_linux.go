//go:build linux

package jail

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"

	"golang.org/x/sys/unix"
)

// setup makes c start the launcher: exe with launcherArg, the plan in a
// sealed memory file as descriptor 3, the status pipe as descriptor 4.
func (c *Cmd) setup(ctx context.Context, g grants, exe, path string, argv []string) error {
	e := c.Enforcement
	p := &plan{
		Version: planVersion, Path: path, Args: argv,
		ABI: e.Landlock, Seccomp: e.Seccomp,
		RO: g.ro, RW: g.rw, Exec: g.exec, ExecOnly: g.execOnly,
		Connect: g.connect, Bind: g.bind,
		Unix: len(g.unix) > 0, Sockets: g.unix, Confine: e.UnixPaths || e.Masked || e.Hosts,
		AnyPort: slices.Contains(e.Missing, ProtectTCPPorts),
	}
	if p.Confine {
		ns, err := mountNS()
		if err != nil {
			return fmt.Errorf("jail: %w", err)
		}
		p.ParentNS = ns
	}
	if e.Masked {
		p.Masked = g.masked
	}
	var netEnd *os.File
	if e.Hosts {
		ns, err := nsID("net")
		if err != nil {
			return fmt.Errorf("jail: %w", err)
		}
		p.Net, p.ParentNet, p.Hosts = true, ns, planHosts(g.hosts)
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("jail: socketpair: %w", err)
		}
		netEnd = os.NewFile(uintptr(pair[1]), "jail-net")
		c.fwd = newForwarder(os.NewFile(uintptr(pair[0]), "jail-net"), g.hosts, g.dial)
	}
	p.normalise()
	b, err := p.encode()
	if err != nil {
		return fmt.Errorf("jail: %w", err)
	}
	fail := func(err error) error {
		if netEnd != nil {
			_ = netEnd.Close()
			c.fwd.discard()
			c.fwd = nil
		}
		return err
	}
	planFile, err := memFile("jail-plan", b)
	if err != nil {
		return fail(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = planFile.Close()
		return fail(fmt.Errorf("jail: %w", err))
	}
	c.Cmd = exec.CommandContext(ctx, exe)
	c.Args = []string{argv[0], launcherArg}
	c.extra = []*os.File{planFile, w}
	if netEnd != nil {
		c.extra = append(c.extra, netEnd)
	}
	c.ExtraFiles = slices.Clone(c.extra)
	c.launcher, c.exe, c.status = true, exe, r
	c.confine, c.netns = p.Confine, p.Net
	c.prepare()
	return nil
}

// prepare sets what Start needs in SysProcAttr, which the caller may have
// replaced (a process group of its own): the namespaces of a confined
// jail, and the network namespace of one with host grants. A launcher started without them refuses to run the program.
func (c *Cmd) prepare() {
	if c.confine {
		c.SysProcAttr = applyNamespaces(c.SysProcAttr)
	}
	if c.netns {
		c.SysProcAttr.Cloneflags |= netFlags
	}
}

// detectFor is detect, plus the namespace probes when g grants Unix
// sockets, masks paths or grants hosts (only then are they needed, and
// each costs a process, once).
func detectFor(g grants) kernel {
	k := detect()
	if len(g.unix) > 0 || len(g.masked) > 0 {
		k.mountns = namespacesWork()
	}
	if len(g.hosts) > 0 {
		k.netns = netnsWork()
	}
	return k
}

// memFile returns a read-only, sealed memory file holding b, positioned
// at its start.
func memFile(name string, b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("jail: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("jail: writing the plan: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("jail: sealing the plan: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("jail: %w", err)
	}
	return f, nil
}
