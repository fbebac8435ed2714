package jail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Cmd is a program to be run in a jail. It embeds the exec.Cmd that
// starts it: set Stdin, Stdout, Stderr, Dir, Env (initialised from
// Policy.Env; append to it rather than replace it with the parent's),
// SysProcAttr, Cancel and WaitDelay as usual. Path, Args and ExtraFiles
// belong to the launcher: Start refuses a Cmd in which they were changed.
//
// Start, Run, Output and CombinedOutput check that the sandbox was
// applied before the program started and report ErrLaunch otherwise. The
// embedded exec.Cmd may also be started directly (an MCP stdio transport
// does so): the sandbox is then applied just the same, and a launcher
// failure shows as exit status 126 with the reason on standard error,
// since nobody reads the status pipe. With Policy.Connect only Start
// forwards the program's connections to its granted hosts (until the
// program exits): started directly, it reaches none.
//
// A Cmd is not safe for concurrent use, as an exec.Cmd is not.
type Cmd struct {
	*exec.Cmd
	// Enforcement is what the jail enforces for this program; record it
	// when Unsandboxed is set.
	Enforcement Enforcement

	launcher bool       // started through the launcher (Linux)
	confine  bool       // the launcher builds a private root (socket or host grants)
	netns    bool       // the launcher makes a network namespace (host grants)
	fwd      *forwarder // forwards connections to the granted hosts; nil without
	exe      string     // the launcher's path
	extra    []*os.File // ExtraFiles as set up: the plan, the status pipe's write end
	status   *os.File   // the status pipe's read end; nil once started
}

// launcherArg is the launcher's only argument: the running binary, started
// with it, is the launcher (see launch in launcher_linux.go).
const launcherArg = "__ironcurtain_jail_launch__"

// Status bytes on the status pipe. statusApplied is written once the
// sandbox is in place, right before exec; a successful exec then closes
// the pipe (close-on-exec), so "A" then EOF means the program runs jailed.
// Anything after it is why exec failed. statusFailed starts the reason the
// sandbox could not be applied. EOF before any byte means the launcher
// never ran this package's code.
const (
	statusApplied = 'A'
	statusFailed  = 'E'
)

// environment is what a Cmd is built against; tests replace it.
type environment struct {
	kernel kernel
	homes  []string
	exe    string // the launcher: the running binary
	// probe: fill kernel.mountns by probing when the policy needs it.
	probe bool
}

// Command returns a Cmd that runs the program name with args in a jail
// built from p. name is looked up in PATH (of this process) now, so the
// launcher needs no search and the program itself is granted exactly.
//
// The error satisfies errors.Is with ErrPolicy for a policy that cannot
// be enforced as written (ErrCredentialPath too, for a grant covering a
// credential store), ErrUnsupported for a kernel that lacks what the
// policy needs, and is an *exec.Error for a program that cannot be found.
// ctx kills the program as exec.CommandContext does and must not be nil.
// Command is safe for concurrent use.
func Command(ctx context.Context, p Policy, name string, args ...string) (*Cmd, error) {
	return newCmd(ctx, p, environment{kernel: detect(), homes: homes(), exe: "/proc/self/exe", probe: true}, name, args)
}

func newCmd(ctx context.Context, p Policy, env environment, name string, args []string) (*Cmd, error) {
	g, err := p.validate(env.homes)
	if err != nil {
		return nil, err
	}
	k := env.kernel
	if env.probe {
		k = detectFor(g)
	}
	e, err := decide(p, g, k)
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, err
	}
	if path, err = filepath.Abs(path); err != nil {
		return nil, err
	}
	// The canonical path: the launcher grants and runs exactly this file,
	// and refuses it if a symbolic link appears in it meanwhile.
	if path, err = filepath.EvalSymlinks(path); err != nil {
		return nil, err
	}
	if g.execOnly {
		// The program's own interpreter must be executable for it to start.
		interp, err := withInterpreters([]string{path})
		if err != nil {
			return nil, err
		}
		for _, x := range interp[1:] {
			if !slices.Contains(g.exec, x) {
				g.exec = append(slices.Clone(g.exec), x)
			}
		}
	}
	c := &Cmd{Enforcement: e}
	if err := c.setup(ctx, g, env.exe, path, append([]string{name}, args...)); err != nil {
		return nil, err
	}
	c.Env = g.env
	return c, nil
}

// Start starts the program and, through the launcher, waits until the
// sandbox is in place and the program is being executed. When the
// launcher fails, Start waits for it to exit and returns an error
// satisfying errors.Is(err, ErrLaunch).
func (c *Cmd) Start() error {
	if !c.launcher {
		return c.Cmd.Start()
	}
	if c.status == nil {
		return errors.New("jail: Start called twice")
	}
	for _, kv := range c.Env {
		if name, _, _ := strings.Cut(kv, "="); loaderVar(name) {
			return fmt.Errorf("%w: Env sets the loader variable %s, which would act on the launcher outside the sandbox", ErrPolicy, name)
		}
	}
	if c.Path != c.exe || len(c.Args) != 2 || c.Args[1] != launcherArg || !slices.Equal(c.ExtraFiles, c.extra) {
		return errors.New("jail: Path, Args and ExtraFiles of a jailed Cmd must not be changed")
	}
	status := c.status
	c.status = nil
	c.prepare()
	err := c.Cmd.Start()
	for _, f := range c.extra {
		_ = f.Close() // the launcher has its copies
	}
	if err != nil {
		_ = status.Close()
		if c.fwd != nil {
			c.fwd.discard()
		}
		return err
	}
	msg, rerr := io.ReadAll(io.LimitReader(status, 64<<10))
	_ = status.Close()
	if rerr == nil && len(msg) == 1 && msg[0] == statusApplied {
		if c.fwd == nil {
			return nil
		}
		// The program runs; without its connections forwarded it would
		// run without the network it was granted: stopped instead.
		if err := c.fwd.start(c.Process.Pid); err != nil {
			_ = c.Process.Kill()
			_ = c.Cmd.Wait()
			return fmt.Errorf("%w: %v", ErrLaunch, err)
		}
		return nil
	}
	if c.fwd != nil {
		c.fwd.discard()
	}
	_ = c.Cmd.Wait()
	return launchError(msg, c.ProcessState)
}

// launchError explains what the status pipe said.
func launchError(msg []byte, ps *os.ProcessState) error {
	exit := ""
	if ps != nil {
		exit = " (" + ps.String() + ")"
	}
	switch {
	case len(msg) == 0:
		return fmt.Errorf("%w: the launcher exited without applying the sandbox%s; "+
			"was the program at /proc/self/exe built with the jail package?", ErrLaunch, exit)
	case msg[0] == statusFailed:
		return fmt.Errorf("%w: %s%s", ErrLaunch, msg[1:], exit)
	case msg[0] == statusApplied:
		return fmt.Errorf("%w: the sandbox was applied but the program could not run: %s%s", ErrLaunch, msg[1:], exit)
	}
	return fmt.Errorf("%w: unexpected answer from the launcher%s", ErrLaunch, exit)
}

// Run starts the program and waits for it, as exec.Cmd.Run does.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the program and returns its standard output, as
// exec.Cmd.Output does: an *exec.ExitError carries standard error when
// Stderr was not set.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	var stdout, stderr bytes.Buffer
	c.Stdout = &stdout
	captureErr := c.Stderr == nil
	if captureErr {
		c.Stderr = &stderr
	}
	err := c.Run()
	var ee *exec.ExitError
	if captureErr && errors.As(err, &ee) {
		ee.Stderr = stderr.Bytes()
	}
	return stdout.Bytes(), err
}

// CombinedOutput runs the program and returns its standard output and
// standard error together.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil || c.Stderr != nil {
		return nil, errors.New("exec: Stdout or Stderr already set")
	}
	var b bytes.Buffer
	c.Stdout, c.Stderr = &b, &b
	err := c.Run()
	return b.Bytes(), err
}
