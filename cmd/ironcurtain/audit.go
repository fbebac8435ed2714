package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

const auditUsage = `usage: ironcurtain audit verify [-sealed] [-head SEQ:HASH] [-records N] FILE
       ironcurtain audit head FILE`

// runAudit handles "ironcurtain audit verify [-sealed] [-head SEQ:HASH]
// [-records N] FILE": it checks an audit log's hash chain and reports the
// first line that was edited, removed, inserted or reordered, and with -head
// or -records (a head kept elsewhere) whether records were cut from its end.
// "ironcurtain audit head FILE" prints the head of an intact log, as
// SEQ:HASH, for keeping elsewhere. Exit codes: 0 intact, 1 broken (or, with
// -sealed, not sealed) or unreadable, 2 bad usage. FILE "-" reads standard
// input.
func runAudit(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "head") {
		fmt.Fprintln(stderr, auditUsage)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("ironcurtain audit "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sealed *bool
	var anchors []audit.Anchor
	if sub == "verify" {
		sealed = fs.Bool("sealed", false, "also require the log to end with a close record (no records cut from its end)")
		fs.Func("head", "a head kept elsewhere (SEQ:HASH, or HASH alone, as `audit head` and the commands print it): the log must hold that record", func(s string) error {
			a, err := audit.ParseAnchor(s)
			anchors = append(anchors, a)
			return err
		})
		fs.Func("records", "a record count kept elsewhere: the log must hold at least this many records", func(s string) error {
			a, err := audit.ParseAnchor(s)
			if err == nil && a.Hash != "" {
				err = errors.New("want a number of records")
			}
			anchors = append(anchors, a)
			return err
		})
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, auditUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return parseExit(err)
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
			fmt.Fprintf(stderr, "ironcurtain audit %s: %v\n", sub, err)
			return 1
		}
		defer f.Close()
		r = f
	}
	rep, err := audit.Verify(r, anchors...)
	if err != nil {
		if ve, ok := errors.AsType[*audit.VerifyError](err); ok {
			fmt.Fprintf(stdout, "%s: BROKEN at line %d: %s\n", name, ve.Line, ve.Problem)
			fmt.Fprintf(stdout, "%s: the %d records before it are intact\n", name, rep.Records)
			return 1
		}
		fmt.Fprintf(stderr, "ironcurtain audit %s: %v\n", sub, err)
		return 1
	}
	if sub == "head" {
		if rep.Records == 0 {
			fmt.Fprintf(stderr, "ironcurtain audit head: %s: the log is empty\n", name)
			return 1
		}
		fmt.Fprintln(stdout, audit.Anchor{Seq: uint64(rep.Records), Hash: rep.Head})
		return 0
	}
	state := "sealed"
	if !rep.Sealed {
		state = "not sealed (still open, its writer stopped, or records were cut from its end)"
	}
	kept := ""
	if len(anchors) > 0 {
		kept = ", holds the head kept elsewhere"
	}
	fmt.Fprintf(stdout, "%s: intact: %d records, %d calls, head %s%s, %s\n", name, rep.Records, rep.Calls, rep.Head, kept, state)
	if *sealed && !rep.Sealed {
		return 1
	}
	return 0
}

// closeAudited closes a command's stack and tells the operator the audit
// log's head, to keep where the agent cannot write: `audit verify -head`
// then catches records cut from the log's end. A failure to close — the
// log tampered with, say — is reported and returned.
func closeAudited(cmd string, st *stack.Stack, auditFile string, stderr io.Writer) error {
	err := st.Close()
	if seq, hash, ok := st.AuditHead(); ok {
		a := audit.Anchor{Seq: seq, Hash: hash}
		fmt.Fprintf(stderr, "ironcurtain %s: audit log %s: head %s (keep it elsewhere; `ironcurtain audit verify -head %s FILE` catches records cut from its end)\n", cmd, auditFile, a, a)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain %s: closing: %v\n", cmd, err)
	}
	return err
}
