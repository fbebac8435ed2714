// Command ironcurtain is the command-line face of the IronCurtain SDK:
// evaluate and lint policies, serve the MCP proxy in front of an agent, run
// a TypeScript script in Code Mode, give the builtin agent a task, and
// verify audit logs.
//
// Usage:
//
//	ironcurtain policy eval    [flags] < calls.jsonl   decide calls, one JSON line each
//	ironcurtain policy explain [flags] < calls.jsonl   show each decision's trace
//	ironcurtain policy lint    [flags]                 find dead, shadowed and catch-all rules
//	ironcurtain policy test DIR                        replay a compiled policy's scenarios
//	ironcurtain policy diff OLD NEW [--calls AUDIT]    list calls whose decision would change
//	ironcurtain compile CONSTITUTION.md -o DIR         compile plain English into policy artifacts
//	ironcurtain annotate [--annotations F] [-o F]      regenerate annotations for the tools served
//	ironcurtain docker build --tag TAG [flags]         build an image for Docker Mode
//	ironcurtain docker run --image TAG --workspace DIR TASK   run an agent in a container
//	ironcurtain serve --sandbox DIR [--audit FILE]     the MCP proxy over stdio, built-in tools
//	ironcurtain serve --config FILE                    the MCP proxy as configured
//	ironcurtain audit verify [-sealed] [-head SEQ:HASH] FILE  check an audit log's hash chain
//	ironcurtain audit head FILE                        print its head, to keep elsewhere
//	ironcurtain exec [--sandbox DIR] SCRIPT.ts         run a script in Code Mode, print one JSON line
//	ironcurtain run --sandbox DIR [--model P:M] TASK   give the builtin agent a task
//	ironcurtain chat [--resume ID] [--model P:M]       an interactive session with the agent
//
// Run a command with -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	_ "github.com/ironcurtain-go/ironcurtain/internal/startgc"
)

// command is one subcommand: it gets the arguments after its name and
// returns the exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"policy":   {"evaluate, explain and lint policies", runPolicy},
		"serve":    {"serve the MCP proxy in front of an agent", runServe},
		"audit":    {"verify audit logs", runAudit},
		"exec":     {"run a TypeScript script in Code Mode under the default policy", runExec},
		"run":      {"give the builtin agent a task: a model writes code, the Gate judges every call", runRun},
		"chat":     {"an interactive session with the builtin agent; --resume ID continues one", runChat},
		"compile":  {"compile a constitution into policy artifacts", runCompile},
		"docker":   {"build images for and run agents in Docker Mode", runDocker},
		"annotate": {"regenerate tool annotations for the tools served", runAnnotate},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand. Exit codes: 0 success, 1 the command's
// own failure, 2 bad usage.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ironcurtain: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: ironcurtain <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}

// failer returns a command's report of a set-up failure: the message on
// stderr, after the command's name, and exit code 2.
func failer(stderr io.Writer, name string) func(format string, a ...any) int {
	return func(format string, a ...any) int {
		fmt.Fprintf(stderr, name+": "+format+"\n", a...)
		return 2
	}
}

// newFlags returns the flag set of a command: errors go to stderr, and -h
// prints usage (when not "") and then the flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if usage != "" {
		fs.Usage = func() {
			fmt.Fprintln(stderr, usage)
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseExit is the exit code of a command whose flags did not parse: 0
// for -h (the usage was printed), 2 for bad usage.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
