package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

const (
	// stderrCap bounds the standard error kept from one invocation.
	stderrCap = 64 << 10
	// waitDelay bounds how long Wait waits for output pipes held open by a
	// descendant after git itself has exited or been killed.
	waitDelay = 2 * time.Second
)

// invocation is one run of git. Only [Server.exec] turns it into a process.
type invocation struct {
	dir      string   // working directory (canonical)
	ceiling  string   // GIT_CEILING_DIRECTORIES: discovery stops below it
	args     []string // after "git --no-pager"
	stdin    []byte
	network  bool          // may use the allowed transports and credentials
	truncate bool          // cut stdout at the cap instead of failing
	config   []configEntry // repository-specific overrides
	extraEnv []string      // per-invocation variables (never secrets)
	stdout   io.Writer     // receives stdout instead of the capped buffer
}

// output is what an invocation produced.
type output struct {
	stdout    []byte
	stderr    []byte
	code      int  // exit status
	truncated bool // stdout was cut at the cap
}

// ok reports a zero exit status.
func (o output) ok() bool { return o.code == 0 }

// timeoutError reports an invocation stopped by the server's time limit.
// It satisfies errors.Is(err, context.DeadlineExceeded).
type timeoutError struct {
	op string
	d  time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("git %s did not finish within %s and was stopped", e.op, e.d)
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// errOutputCap is the cause recorded when stdout passes the cap.
var errOutputCap = errors.New("output cap reached")

// exec runs git once, hardened: a fixed environment, the static and
// repository overrides, transports refused unless the invocation is a
// network one, a time limit, capped output, and the whole process group
// killed on timeout. A non-zero exit status is not an error; the error
// is for a time limit (*timeoutError), an output cap
// (ironcurtain.ErrLimit), a cancelled ctx, a closed server, or git not
// starting at all.
func (s *Server) exec(ctx context.Context, inv invocation) (output, error) {
	if err := ctx.Err(); err != nil {
		return output{}, err
	}
	limit := s.cfg.timeout
	if inv.network {
		limit = s.cfg.netTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	stopOnClose := context.AfterFunc(s.closing, cancel)
	defer stopOnClose()
	runCtx, abort := context.WithCancelCause(runCtx)
	defer abort(nil)

	config := append(append([]configEntry(nil), s.static...), inv.config...)
	allow := "none"
	var creds *credentials
	if inv.network {
		allow = strings.Join(s.cfg.protocols, ":")
		config = append(config, protocolConfig(s.cfg.protocols)...)
		if len(s.cfg.creds) > 0 {
			creds = s.credentialConfig(runCtx)
			config = append(config, creds.config...)
		}
	}
	env := append(append([]string(nil), s.env...), "GIT_ALLOW_PROTOCOL="+allow)
	if inv.ceiling != "" {
		env = append(env, "GIT_CEILING_DIRECTORIES="+inv.ceiling)
	}
	env = append(env, configEnv(config)...)
	env = append(env, inv.extraEnv...)

	args := append([]string{"--no-pager"}, inv.args...)
	cmd, err := s.command(runCtx, inv.network, args)
	if err != nil {
		return output{}, err
	}
	cmd.Dir = inv.dir
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(inv.stdin)
	stdout := &cappedBuffer{limit: s.cfg.maxOutput, onFull: func() { abort(errOutputCap) }}
	stderr := &cappedBuffer{limit: stderrCap}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if inv.stdout != nil {
		cmd.Stdout = inv.stdout
	}
	cmd.WaitDelay = waitDelay
	configureProcess(cmd.Cmd, s.cfg.runAs)

	runErr := cmd.Run()
	out := output{stdout: stdout.buf.Bytes(), stderr: stderr.buf.Bytes()}
	if stderr.full {
		out.stderr = append(out.stderr, "\n[stderr truncated]"...)
	}
	if creds != nil {
		out.stdout = creds.scrub(out.stdout)
		out.stderr = creds.scrub(out.stderr)
	}
	op := subcommand(inv.args)
	switch {
	case stdout.full && inv.truncate:
		out.truncated = true
		return out, nil
	case stdout.full:
		return output{}, fmt.Errorf("%w: git %s wrote more than %d bytes of output", ironcurtain.ErrLimit, op, s.cfg.maxOutput)
	case ctx.Err() != nil:
		return output{}, ctx.Err()
	case s.closing.Err() != nil:
		return output{}, ironcurtain.ErrClosed
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return output{}, &timeoutError{op: op, d: limit}
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		out.code = exitErr.ExitCode()
		return out, nil
	}
	if runErr != nil {
		return output{}, fmt.Errorf("git: running %s: %w", filepath.Base(s.cfg.git), runErr)
	}
	return out, nil
}

// subcommand names the git subcommand of args, for messages.
func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "command"
}

// cappedBuffer keeps the first limit bytes written to it and calls onFull
// once when more arrive. Each buffer has a single writer (the goroutine
// os/exec copies one stream with).
type cappedBuffer struct {
	buf    bytes.Buffer
	limit  int64
	full   bool
	onFull func()
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.full {
		return len(p), nil
	}
	room := c.limit - int64(c.buf.Len())
	if int64(len(p)) <= room {
		return c.buf.Write(p)
	}
	c.buf.Write(p[:room])
	c.full = true
	if c.onFull != nil {
		c.onFull()
	}
	return len(p), nil
}
