package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/ironcurtain-go/ironcurtain/jail"
)

// StdioConfig describes an upstream MCP server run as a subprocess that
// speaks newline-delimited JSON-RPC on its standard input and output.
//
// The zero value of every optional field is the safe choice: an empty
// environment, stderr discarded, no restarts.
type StdioConfig struct {
	// Name is the server's name in errors and logs; by default the base name
	// of Command.
	Name string
	// Command is the program to run. A name without a slash is looked up in
	// the proxy's own PATH when the Client starts, not in Env.
	Command string
	// Args are the program's arguments.
	Args []string
	// Env is the child's whole environment. The child inherits nothing from
	// the proxy: no PATH, no HOME, no API keys. Set PATH here, or name it in
	// PassEnv, when the server needs it (interpreters started through
	// "#!/usr/bin/env" do).
	Env map[string]string
	// PassEnv names variables whose values are copied from the proxy's own
	// environment when they are set there. Env wins over PassEnv.
	PassEnv []string
	// Dir is the child's working directory; empty means the proxy's.
	Dir string
	// Stderr receives the child's standard error; nil discards it. It must
	// never be the proxy's standard output when the proxy serves over stdio.
	// When it has a Flush() error method (an inert.Lines does), Flush is
	// called each time the process has exited and its output is copied.
	Stderr io.Writer
	// CallTimeout bounds each tool call; zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds starting the process, the MCP handshake and the
	// first tools/list; zero means DefaultStartTimeout.
	StartTimeout time.Duration
	// MaxRestarts is how many times a process that exited or broke its pipe
	// is started again, on the next call. Zero means never: calls fail fast
	// with ErrUpstreamDown once it is gone.
	MaxRestarts int
	// MaxResponseBytes caps one JSON-RPC message from the child; a larger
	// answer fails its call with ironcurtain.ErrLimit and is never held in
	// memory. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Logger receives crashes, restarts and skipped tool definitions; nil
	// means silent.
	Logger *slog.Logger
	// Jail, when set, runs the server in a sandbox of its own (package
	// jail, Linux): only the files, TCP ports and Unix sockets the
	// Policy grants, no credential store, no capabilities. Env and PassEnv
	// still make the whole environment; the Policy's Env is not used.
	// Stdio fails when the kernel cannot enforce the jail, unless the
	// Policy accepts running without it (Unsandboxed).
	Jail *jail.Policy
}

// Stdio starts an upstream MCP server as a subprocess and lists its tools.
// ctx bounds the start only; the process runs until Close.
//
// The child's environment is exactly cfg.Env plus the cfg.PassEnv variables:
// mcp-go's own stdio transport would append the proxy's whole environment,
// so this package starts the process itself and hands mcp-go the pipes.
func Stdio(ctx context.Context, cfg StdioConfig) (*Client, error) {
	if cfg.Command == "" {
		return nil, errors.New("proxy: stdio upstream without a command")
	}
	env, err := childEnv(cfg.Env, cfg.PassEnv)
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath(cfg.Command)
	if err != nil {
		return nil, fmt.Errorf("proxy: stdio upstream: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = filepath.Base(cfg.Command)
	}
	args := slices.Clone(cfg.Args)
	opts := clientOptions{
		callTimeout: cfg.CallTimeout, startTimeout: cfg.StartTimeout, maxRestarts: cfg.MaxRestarts,
		maxResponse: cfg.MaxResponseBytes, log: cfg.Logger,
	}
	if cfg.Jail != nil {
		if _, err := jail.Check(*cfg.Jail); err != nil {
			return nil, fmt.Errorf("proxy: stdio upstream %s: %w", name, err)
		}
	}
	dial := func(ctx context.Context, c *Client) (*conn, error) {
		return startProcess(path, args, env, cfg.Dir, cfg.Stderr, cfg.Jail, c.opts.maxResponse, c.opts.log, c.name)
	}
	return newClient(ctx, name, opts, dial)
}

// childEnv builds the child's environment from the configured variables.
// The result is never nil: a nil exec.Cmd.Env would mean "inherit".
func childEnv(set map[string]string, pass []string) ([]string, error) {
	vars := map[string]string{}
	for _, k := range pass {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range set {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("proxy: invalid environment variable %q", k)
		}
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, nil
}

// process is one running upstream child.
type process struct {
	cmd    *exec.Cmd
	stdout *os.File // our read end
	exited chan struct{}
	err    error // from Wait, set before exited is closed
	once   sync.Once
}

// startProcess starts the child with pipes this package owns (exec's own
// pipes are closed by Wait, which would race with reading the last answer)
// and wires them into an mcp-go transport.
func startProcess(path string, args, env []string, dir string, stderr io.Writer, jp *jail.Policy, maxResponse int, log *slog.Logger, name string) (*conn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd, start, err := newCommand(path, args, jp)
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin = inR
	cmd.Stdout = outW
	cmd.Stderr = stderr
	setProcessGroup(cmd)
	err = start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	p := &process{cmd: cmd, stdout: outR, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if f, ok := stderr.(interface{ Flush() error }); ok {
			_ = f.Flush() // the last line, unfinished, and what was dropped
		}
		close(p.exited)
	}()
	cn := newConn(transport.NewIO(&cappedLines{fr: newFrameReader(outR, maxResponse)}, inW, nil))
	cn.proc = p
	go func() {
		select {
		case <-p.exited:
			err := p.exitError()
			log.Warn("proxy: upstream process exited", "server", name, "err", err)
			cn.markDead(err)
			_ = cn.tr.Close() // fail in-flight calls now, even if a grandchild holds stdout open
			p.stop()
		case <-cn.dead:
		}
	}()
	return cn, nil
}

// newCommand returns the child's exec.Cmd and the function that starts
// it: exec's Start, or with a jail the jail's, which returns only once the
// sandbox is in place (and an error satisfying errors.Is(err,
// jail.ErrLaunch) when it could not be applied).
func newCommand(path string, args []string, jp *jail.Policy) (*exec.Cmd, func() error, error) {
	if jp == nil {
		cmd := exec.Command(path, args...)
		return cmd, cmd.Start, nil
	}
	jc, err := jail.Command(context.Background(), *jp, path, args...)
	if err != nil {
		return nil, nil, err
	}
	return jc.Cmd, jc.Start, nil
}

// exitError describes how the process ended, or is nil while it runs.
func (p *process) exitError() error {
	select {
	case <-p.exited:
		if p.err == nil {
			return errors.New("process exited with status 0")
		}
		return fmt.Errorf("process ended: %w", p.err)
	default:
		return nil
	}
}

// waitBriefly gives a process whose pipe just broke a moment to be reaped,
// so that its exit status can be reported.
func (p *process) waitBriefly() {
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
}

// lostError is the reason for a lost connection: the exit, or the pipe error.
func (p *process) lostError(err error) error {
	if perr := p.exitError(); perr != nil {
		return perr
	}
	return fmt.Errorf("connection lost: %w", err)
}

// stop waits up to two seconds for the process to exit after its stdin was
// closed, then kills its process group, and releases the pipe.
func (p *process) stop() {
	p.once.Do(func() {
		t := time.NewTimer(2 * time.Second)
		defer t.Stop()
		select {
		case <-p.exited:
		case <-t.C:
			killProcessGroup(p.cmd)
			<-p.exited
		}
		p.stdout.Close()
	})
}

// codeTooLarge is the JSON-RPC error code of the answer put in place of an
// upstream message that exceeded the size cap.
const codeTooLarge = -32099

// cappedLines feeds an mcp-go stdio transport with the child's output,
// line by line, replacing each line over the cap by an error answer to the
// same request id (or dropping it when it has none).
type cappedLines struct {
	fr      *frameReader
	pending []byte
	buf     []byte
	err     error
}

func (c *cappedLines) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		line, id, err := c.fr.next()
		switch {
		case errors.Is(err, errLineTooLong):
			if id == nil {
				continue
			}
			c.buf = fmt.Appendf(c.buf[:0], `{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":"message too large"}}`+"\n", id, codeTooLarge)
		case err != nil:
			// The transport logs anything but EOF through slog's default
			// logger; the process watcher reports the real cause.
			c.err = io.EOF
			continue
		default:
			c.buf = append(append(c.buf[:0], line...), '\n')
		}
		c.pending = c.buf
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}
