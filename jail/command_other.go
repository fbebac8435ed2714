//go:build !linux

package jail

import (
	"context"
	"errors"
	"os/exec"
)

// setup runs the program directly: without Linux there is no jail, and
// decide has already refused unless Policy.Unsandboxed accepted that.
func (c *Cmd) setup(ctx context.Context, _ grants, _, path string, argv []string) error {
	c.Cmd = exec.CommandContext(ctx, path, argv[1:]...)
	c.Args = argv
	return nil
}

// prepare has nothing to set without Linux.
func (c *Cmd) prepare() {}

// detectFor is detect: there are no namespaces to probe.
func detectFor(grants) kernel { return detect() }

// start is never reached without Linux: setup makes no forwarder.
func (f *forwarder) start(int) error { return errors.New("jail: host grants need Linux") }
