package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// jailedStack assembles the trusted side of a command (exec, docker run)
// with every git invocation in its jail, as serve runs it: the audit log,
// the grants file and the further protected files out of reach (the stack
// adds every path its policy protects, masked inside the sandbox), no
// network beyond what a transfer needs. Where the kernel cannot enforce the jail it fails unless
// unjailed accepts running git without it, a choice written to the audit
// log and to stderr.
func jailedStack(ctx context.Context, cmd string, opts stack.Options, unjailed bool, stderr io.Writer, protected ...string) (*stack.Stack, error) {
	// Refused before the jail is even probed, so that the refusal reads the
	// same on every kernel (stack.New checks again, with the policy's roots).
	if err := stack.CheckOutOfReach(opts.Audit, opts.GrantsFile, stack.Writable{What: "the sandbox", Dir: opts.Sandbox}); err != nil {
		return nil, err
	}
	// The git server's transfer jail has host grants: the kernel check they
	// need starts a process, which runs while the policy loads.
	jail.ProbeHosts()
	jp := jail.Policy{Unsandboxed: unjailed}
	for _, p := range append(protected, opts.Audit, opts.GrantsFile) {
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		jp.Protected = append(jp.Protected, abs)
	}
	enforced, err := jail.Check(jp)
	if err != nil {
		if errors.Is(err, jail.ErrUnsupported) {
			err = fmt.Errorf("%w (to run git without its jail, pass --unjailed-git)", err)
		}
		return nil, fmt.Errorf("git: %w", err)
	}
	opts.Git.Jail = &jp
	st, err := stack.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, e := range jailEvents("git", enforced) {
		fmt.Fprintf(stderr, "ironcurtain %s: %s\n", cmd, e.Message)
		if err := st.RecordEvent(ctx, e); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}
