package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// copyFlags collects -copy SRC:DST.
type copyFlags [][2]string

func (c *copyFlags) String() string { return fmt.Sprint(*c) }

func (c *copyFlags) Set(v string) error {
	src, dst, ok := strings.Cut(v, ":")
	if !ok || !filepath.IsAbs(src) || !filepath.IsAbs(dst) {
		return fmt.Errorf("want -copy /abs/src:/abs/dst, got %q", v)
	}
	*c = append(*c, [2]string{src, dst})
	return nil
}

// runCommand is the container's main program: the llm listener in the
// background, the files copied, then the agent.
func runCommand(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", defaultListen, "the loopback address for the LLM proxy; empty for none")
	socket := fs.String("socket", defaultLLMSocket, "the LLM proxy's Unix socket")
	var copies copyFlags
	fs.Var(&copies, "copy", "copy SRC to DST (mode 0600, parents 0700) before starting; repeatable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "ironcurtain-bridge run: no command given")
		return 2
	}
	for _, c := range copies {
		if err := copyFile(c[0], c[1]); err != nil {
			fmt.Fprintln(stderr, "ironcurtain-bridge run:", err)
			return 1
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	env := os.Environ()
	if *listen != "" {
		ln, err := listenLLM(*listen, *socket)
		if err != nil {
			fmt.Fprintln(stderr, "ironcurtain-bridge run:", err)
			return 1
		}
		// The actual address, for a listen address with port 0.
		env = append(env, "IRONCURTAIN_LLM_LISTEN="+ln.ln.Addr().String())
		served := make(chan struct{})
		go func() {
			defer close(served)
			ln.serve(lctx)
		}()
		defer func() { cancel(); <-served }()
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The agent gets the container's environment, which Docker Mode set.
	cmd.Env = env
	// Listen for signals before the agent exists, so none is missed.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "ironcurtain-bridge run:", err)
		return 127
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s)
		case err := <-waited:
			return exitStatus(err)
		}
	}
}

// exitStatus maps the child's end to ours: its code, or 128+signal.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}
