package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ironcurtain-go/ironcurtain/audit"
)

// runAudit handles "ironcurtain audit verify [-sealed] FILE": it checks an
// audit log's hash chain and reports the first line that was edited,
// removed, inserted or reordered. Exit codes: 0 intact, 1 broken (or, with
// -sealed, not sealed) or unreadable, 2 bad usage. FILE "-" reads standard
// input.
func runAudit(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: ironcurtain audit verify [-sealed] FILE")
		return 2
	}
	fs := flag.NewFlagSet("ironcurtain audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sealed := fs.Bool("sealed", false, "also require the log to end with a close record (no records cut from its end)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ironcurtain audit verify [-sealed] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "ironcurtain audit verify: %v\n", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	rep, err := audit.Verify(r)
	if err != nil {
		if ve, ok := errors.AsType[*audit.VerifyError](err); ok {
			fmt.Fprintf(stdout, "%s: BROKEN at line %d: %s\n", name, ve.Line, ve.Problem)
			fmt.Fprintf(stdout, "%s: the %d records before it are intact\n", name, rep.Records)
			return 1
		}
		fmt.Fprintf(stderr, "ironcurtain audit verify: %v\n", err)
		return 1
	}
	state := "sealed"
	if !rep.Sealed {
		state = "not sealed (still open, its writer stopped, or records were cut from its end)"
	}
	fmt.Fprintf(stdout, "%s: intact: %d records, %d calls, head %s, %s\n", name, rep.Records, rep.Calls, rep.Head, state)
	if *sealed && !rep.Sealed {
		return 1
	}
	return 0
}
