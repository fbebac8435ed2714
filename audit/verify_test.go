package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
)

// FuzzVerify feeds Verify arbitrary bytes, seeded with real logs: it must not
// panic, must report a line only with an error, and may call a log intact
// only if every one of its lines checks out again on its own prefix.
func FuzzVerify(f *testing.F) {
	_, data := writeLog(f, 3)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := audit.Verify(bytes.NewReader(data))
		if (err == nil) != (rep.Line == 0) {
			t.Fatalf("error %v with report line %d", err, rep.Line)
		}
		if err != nil && !errors.Is(err, audit.ErrBroken) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil && rep.Records != bytes.Count(data, []byte("\n")) {
			t.Fatalf("intact log of %d lines reports %d records", bytes.Count(data, []byte("\n")), rep.Records)
		}
	})
}

func ExampleVerify() {
	dir, err := os.MkdirTemp("", "audit-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.jsonl")

	log, err := audit.Open(context.Background(), path, audit.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = log.Record(context.Background(), ironcurtain.AuditEntry{
		CallID: "1", Server: "fs", Tool: "read_file",
		Arguments: map[string]any{"path": "/work/notes.txt"},
		Verdict:   ironcurtain.Allow, Rule: "allow-work", Outcome: ironcurtain.OutcomeSuccess,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := log.Close(); err != nil {
		fmt.Println(err)
		return
	}

	data, _ := os.ReadFile(path)
	rep, err := audit.Verify(bytes.NewReader(data))
	fmt.Printf("records %d, calls %d, sealed %v, error %v\n", rep.Records, rep.Calls, rep.Sealed, err)

	// Someone edits the log by hand.
	edited := bytes.Replace(data, []byte("/work/notes.txt"), []byte("/work/other.txt"), 1)
	_, err = audit.Verify(bytes.NewReader(edited))
	fmt.Println(err)
	// Output:
	// records 3, calls 1, sealed true, error <nil>
	// audit: line 2: the record was edited: its hash does not match its content
}
