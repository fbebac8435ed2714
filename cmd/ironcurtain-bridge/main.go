// Command ironcurtain-bridge runs inside an IronCurtain Docker Mode
// container and connects what an agent expects to the container's only
// two ways out, the Unix sockets of the MCP proxy and the LLM API proxy.
//
//	ironcurtain-bridge mcp [-socket /run/ironcurtain/mcp.sock]
//	ironcurtain-bridge llm [-listen 127.0.0.1:18080] [-socket /run/ironcurtain/llm.sock]
//	ironcurtain-bridge run [-listen 127.0.0.1:18080] [-socket ...] [-copy SRC:DST]... -- COMMAND [ARG...]
//
// mcp is an MCP server over stdio for the agent's configuration: it copies
// standard input to the MCP socket and the socket to standard output, byte
// for byte, so the agent's MCP client talks to the Gate's proxy.
//
// llm listens on a loopback TCP address and carries each connection to the
// LLM proxy socket, byte for byte: the address is what the agent's base URL
// or HTTPS_PROXY names.
//
// run is the container's command: it starts the llm listener, copies the
// named files (configuration an agent wants in a writable place, such as
// $HOME/.codex/config.toml) and runs COMMAND with the container's
// environment, passing signals on; it exits with COMMAND's status.
//
// The bridge uses the standard library only and is built static
// (CGO_ENABLED=0), so that it runs in any image, FROM scratch included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Defaults: where Docker Mode mounts the sockets, and the port the agent
// adapters point at.
const (
	defaultMCPSocket = "/run/ironcurtain/mcp.sock"
	defaultLLMSocket = "/run/ironcurtain/llm.sock"
	defaultListen    = "127.0.0.1:18080"
)

func main() {
	notDumpable()
	os.Exit(bridge(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// bridge runs one subcommand and returns the exit status.
func bridge(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "mcp":
		fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
		fs.SetOutput(stderr)
		socket := fs.String("socket", defaultMCPSocket, "the MCP proxy's Unix socket")
		if fs.Parse(args[1:]) != nil || fs.NArg() != 0 {
			return 2
		}
		err = pipeMCP(ctx, *socket, stdin, stdout)
	case "llm":
		fs := flag.NewFlagSet("llm", flag.ContinueOnError)
		fs.SetOutput(stderr)
		listen := fs.String("listen", defaultListen, "the loopback address to listen on")
		socket := fs.String("socket", defaultLLMSocket, "the LLM proxy's Unix socket")
		if fs.Parse(args[1:]) != nil || fs.NArg() != 0 {
			return 2
		}
		var ln *llmListener
		if ln, err = listenLLM(*listen, *socket); err == nil {
			err = ln.serve(ctx)
		}
	case "run":
		return runCommand(ctx, args[1:], stderr)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	default:
		usage(stderr)
		return 2
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ironcurtain-bridge:", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  ironcurtain-bridge mcp [-socket PATH]
  ironcurtain-bridge llm [-listen 127.0.0.1:PORT] [-socket PATH]
  ironcurtain-bridge run [-listen 127.0.0.1:PORT] [-socket PATH] [-copy SRC:DST]... -- COMMAND [ARG...]
`)
}
