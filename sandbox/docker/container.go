package docker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// runContainer creates, attaches, starts and waits for the container, and
// removes it whatever happens.
func (sb *Sandbox) runContainer(ctx context.Context, log *slog.Logger, sp spec, out *output) (err error) {
	cli := sb.cli
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       sp.name,
		Config:     sp.config,
		HostConfig: sp.host,
	})
	id := created.ID
	// Registered before the error is looked at: a create cut short by ctx
	// may have made the container all the same, and then it is found by
	// name.
	defer func() {
		ref := id
		if ref == "" {
			ref = sp.name
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		_, rerr := cli.ContainerRemove(rctx, ref, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if rerr != nil && id != "" {
			log.Error("docker: removing the container failed", "container", sp.name, "err", rerr)
			if err == nil {
				err = fmt.Errorf("docker: removing container %s: %w", sp.name, rerr)
			}
		}
	}()
	if err != nil {
		return sb.ctxErr(ctx, fmt.Errorf("docker: creating the container: %w", err))
	}
	for _, w := range created.Warnings {
		log.Warn("docker: engine warning", "warning", w)
	}
	att, err := cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return sb.ctxErr(ctx, fmt.Errorf("docker: attaching: %w", err))
	}
	defer att.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		stdcopy.StdCopy(out.writer(), out.writer(), att.Reader)
		out.flush()
	}()
	wait := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return sb.ctxErr(ctx, fmt.Errorf("docker: starting the container: %w", err))
	}
	log.Debug("docker: agent started", "container", sp.name)
	if sb.started != nil {
		sb.started(ctx, id)
	}
	var code int64
	select {
	case res := <-wait.Result:
		if res.Error != nil && res.Error.Message != "" {
			return fmt.Errorf("docker: waiting for the container: %s", res.Error.Message)
		}
		code = res.StatusCode
	case err := <-wait.Error:
		return sb.ctxErr(ctx, fmt.Errorf("docker: waiting for the container: %w", err))
	case <-ctx.Done():
		return sb.ctxErr(ctx, nil)
	}
	// The attach stream ends with the container; wait for the last lines,
	// but not for ever if the engine keeps it open.
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		log.Warn("docker: output stream did not end after the container exited")
	}
	if code == 0 {
		return nil
	}
	ee := &ExitError{Code: int(code)}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	if info, err := cli.ContainerInspect(ictx, id, client.ContainerInspectOptions{}); err == nil && info.Container.State != nil {
		ee.OOMKilled = info.Container.State.OOMKilled
	}
	return ee
}

// ctxErr reports a failure caused by ctx as ctx's error, so that a
// deadline satisfies errors.Is(err, context.DeadlineExceeded).
func (sb *Sandbox) ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if err == nil {
			return fmt.Errorf("docker: run stopped: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	return err
}

// ExitError reports an agent that exited with a non-zero status.
type ExitError struct {
	// Code is the exit status; 128+n for a process ended by signal n.
	Code int
	// OOMKilled reports that the engine killed the agent for exceeding
	// its memory limit.
	OOMKilled bool
}

// Error describes the exit.
func (e *ExitError) Error() string {
	if e.OOMKilled {
		return fmt.Sprintf("docker: the agent was killed for exceeding its memory limit (status %d)", e.Code)
	}
	return fmt.Sprintf("docker: the agent exited with status %d", e.Code)
}

// Unwrap makes an agent killed for memory satisfy
// errors.Is(err, ironcurtain.ErrLimit).
func (e *ExitError) Unwrap() error {
	if e.OOMKilled {
		return ironcurtain.ErrLimit
	}
	return nil
}
