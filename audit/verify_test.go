package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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

// TestVerifyAgainstAKeptHead: records cut from the end at a record boundary
// leave a chain intact in itself; a head kept elsewhere catches the cut,
// whether kept as SEQ:HASH, as the hash alone or as the count alone. A log
// rewritten with every hash recomputed is caught at the kept position, and a
// log that grew past the kept head passes.
func TestVerifyAgainstAKeptHead(t *testing.T) {
	path, data := writeLog(t, 4)
	full, err := audit.Verify(bytes.NewReader(data))
	require.NoError(t, err)
	kept := audit.Anchor{Seq: uint64(full.Records), Hash: full.Head}
	ls := lines(data)
	for cut := 1; cut < len(ls); cut++ {
		short := join(ls[:len(ls)-cut])
		_, err := audit.Verify(bytes.NewReader(short))
		require.NoError(t, err, "a cut at a record boundary is intact in itself")
		for _, a := range []audit.Anchor{kept, {Hash: kept.Hash}, {Seq: kept.Seq}} {
			rep, err := audit.Verify(bytes.NewReader(short), a)
			require.ErrorIs(t, err, audit.ErrBroken, "anchor %v, %d records cut", a, cut)
			require.ErrorContains(t, err, "cut from its end")
			require.Equal(t, len(ls)-cut+1, rep.Line)
		}
	}
	_, err = audit.Verify(bytes.NewReader(data), kept, audit.Anchor{Hash: kept.Hash}, audit.Anchor{Seq: 1})
	require.NoError(t, err)

	// Rewritten with other calls and every hash recomputed: same length
	// of chain, another record at the kept position.
	_, forged := writeLogFrom(t, 7, 4)
	_, err = audit.Verify(bytes.NewReader(forged))
	require.NoError(t, err)
	_, err = audit.Verify(bytes.NewReader(forged), kept)
	require.ErrorContains(t, err, fmt.Sprintf("record %d is not the one kept elsewhere", kept.Seq))
	_, err = audit.Verify(bytes.NewReader(forged), audit.Anchor{Hash: kept.Hash})
	require.ErrorContains(t, err, "is not in the log")

	// Grown since the head was kept.
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, l.Record(context.Background(), entry(1)))
	require.NoError(t, l.Close())
	_, err = audit.Verify(bytes.NewReader(mustRead(t, path)), kept)
	require.NoError(t, err)

	// Log.Head is an anchor of the log as written.
	seq, hash := l.Head()
	_, err = audit.Verify(bytes.NewReader(mustRead(t, path)), audit.Anchor{Seq: seq, Hash: hash})
	require.NoError(t, err)
}

func TestParseAnchor(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for in, want := range map[string]audit.Anchor{
		"7:" + h:                    {Seq: 7, Hash: h},
		h:                           {Hash: h},
		strings.ToUpper(h):          {Hash: h},
		"12":                        {Seq: 12},
		"18446744073709551615:" + h: {Seq: 1<<64 - 1, Hash: h},
	} {
		got, err := audit.ParseAnchor(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", ":", "0", "0:" + h, "-1", "+3", "7:", ":" + h, "7:abc", "x", h + "0", "7:" + h + ":" + h} {
		_, err := audit.ParseAnchor(in)
		require.Error(t, err, "%q", in)
	}
}

// FuzzParseAnchor: ParseAnchor never panics, and what it reads it writes
// back to the same anchor.
func FuzzParseAnchor(f *testing.F) {
	f.Add("7:" + strings.Repeat("0f", 32))
	f.Add(strings.Repeat("0f", 32))
	f.Add("12")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := audit.ParseAnchor(s)
		if err != nil {
			return
		}
		if a.Seq == 0 && a.Hash == "" {
			t.Fatalf("%q: an empty anchor", s)
		}
		b, err := audit.ParseAnchor(a.String())
		if err != nil || a != b {
			t.Fatalf("%q read as %+v, written %q, read back %+v, %v", s, a, a.String(), b, err)
		}
	})
}
