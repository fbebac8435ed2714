package audit_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return func() time.Time { return t }
}

func entry(i int) ironcurtain.AuditEntry {
	return ironcurtain.AuditEntry{
		Time: time.Date(2026, 3, 4, 5, 6, 7, i, time.UTC), CallID: "c" + string(rune('a'+i%26)),
		Server: "fs", Tool: "read_file", Arguments: map[string]any{"path": "/w/" + strings.Repeat("x", i)},
		Verdict: ironcurtain.Allow, Rule: "allow-reads", Outcome: ironcurtain.OutcomeSuccess, Duration: time.Millisecond,
	}
}

// writeLog writes a sealed log with n call records and returns its bytes.
func writeLog(t testing.TB, n int) (string, []byte) { return writeLogFrom(t, 0, n) }

// writeLogFrom writes a sealed log of the entries from to from+n.
func writeLogFrom(t testing.TB, from, n int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true, Now: fixedClock()})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, l.Record(context.Background(), entry(from+i)))
	}
	require.NoError(t, l.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return path, data
}

func TestLogRoundTripAndResume(t *testing.T) {
	path, data := writeLog(t, 3)
	rep, err := audit.Verify(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, audit.VerifyReport{Records: 5, Calls: 3, Head: rep.Head, Sealed: true}, rep)

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// Reopening continues the chain after the close record.
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	seq, head := l.Head()
	require.Equal(t, uint64(6), seq, "the open record of the resumption")
	require.NoError(t, l.Record(context.Background(), entry(9)))
	rep, err = audit.Verify(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	require.False(t, rep.Sealed, "open again")
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
	rep, err = audit.Verify(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	require.Equal(t, 8, rep.Records) // open, 3 calls, close, open, call, close
	require.Equal(t, 4, rep.Calls)
	require.True(t, rep.Sealed)
	require.NotEqual(t, head, rep.Head)

	err = l.Record(context.Background(), entry(1))
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func lines(data []byte) [][]byte {
	return bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func join(ls [][]byte) []byte {
	var out []byte
	for _, l := range ls {
		out = append(out, l...)
		if !bytes.HasSuffix(l, []byte("\n")) {
			out = append(out, '\n')
		}
	}
	return out
}

// TestTamperingDetected: every kind of change to a sealed log is found, and
// the report names the first line that is no longer what was written.
func TestTamperingDetected(t *testing.T) {
	_, data := writeLog(t, 6)
	_, other := writeLogFrom(t, 100, 7) // a different log, for foreign lines
	orig := lines(data)
	n := len(orig) // 8: open, 6 calls, close
	rapid.Check(t, func(t *rapid.T) {
		ls := make([][]byte, n)
		copy(ls, orig)
		var tampered []byte
		var wantLine int
		switch kind := rapid.IntRange(0, 6).Draw(t, "kind"); kind {
		case 0: // edit one byte
			pos := rapid.IntRange(0, len(data)-1).Draw(t, "pos")
			tampered = bytes.Clone(data)
			b := rapid.Byte().Filter(func(b byte) bool { return b != data[pos] }).Draw(t, "byte")
			tampered[pos] = b
			wantLine = bytes.Count(data[:pos], []byte("\n")) + 1
		case 1: // remove a line
			k := rapid.IntRange(0, n-1).Draw(t, "k")
			if k == n-1 {
				// Cutting the last record leaves an intact, unsealed chain.
				rep, err := audit.Verify(bytes.NewReader(join(ls[:k])))
				if err != nil || rep.Sealed {
					t.Fatalf("cut tail: %v %+v", err, rep)
				}
				return
			}
			tampered = join(append(ls[:k:k], ls[k+1:]...))
			wantLine = k + 1
		case 2: // swap two lines
			j := rapid.IntRange(0, n-2).Draw(t, "j")
			k := rapid.IntRange(j+1, n-1).Draw(t, "k")
			ls[j], ls[k] = ls[k], ls[j]
			tampered, wantLine = join(ls), j+1
		case 3: // duplicate a line
			k := rapid.IntRange(0, n-1).Draw(t, "k")
			tampered = join(append(append(ls[:k+1:k+1], ls[k]), ls[k+1:]...))
			wantLine = k + 2
		case 4: // insert a well-formed line from another log
			k := rapid.IntRange(0, n).Draw(t, "k")
			f := rapid.IntRange(0, len(lines(other))-1).Draw(t, "f")
			tampered = join(append(append(ls[:k:k], lines(other)[f]), ls[k:]...))
			wantLine = k + 1
			if k == 0 && f == 0 {
				// Another log's open record is a valid first line; our own
				// open record, after it, is the first that cannot be.
				wantLine = 2
			}
		case 5: // cut the file inside a line
			pos := rapid.IntRange(1, len(data)-1).Draw(t, "pos")
			if data[pos-1] == '\n' {
				return // a cut at a boundary is case 1
			}
			tampered = data[:pos]
			wantLine = bytes.Count(data[:pos], []byte("\n")) + 1
		case 6: // replace a line by a line rewritten with a recomputed hash
			k := rapid.IntRange(0, n-2).Draw(t, "k")
			ls[k] = rehash(bytes.Replace(ls[k], []byte(`"fs"`), []byte(`"xx"`), 1))
			if bytes.Equal(ls[k], orig[k]) {
				ls[k] = rehash(bytes.Replace(ls[k], []byte(`"time":"2026`), []byte(`"time":"2025`), 1))
			}
			tampered, wantLine = join(ls), k+2 // caught by the next record's prev
		}
		rep, err := audit.Verify(bytes.NewReader(tampered))
		if !errors.Is(err, audit.ErrBroken) {
			t.Fatalf("tampering not detected (report %+v)", rep)
		}
		var ve *audit.VerifyError
		if !errors.As(err, &ve) || ve.Line != wantLine || rep.Line != wantLine {
			t.Fatalf("reported line %d (%v), want %d", rep.Line, err, wantLine)
		}
		if rep.Records != wantLine-1 {
			t.Fatalf("%d intact records before line %d", rep.Records, wantLine)
		}
	})
}

// TestSpliceBetweenLogsOpenedTogether: two logs opened at the same instant
// (the clock is fixed) with the same first records still have different
// chains, so a record of one cannot stand in the other.
func TestSpliceBetweenLogsOpenedTogether(t *testing.T) {
	_, a := writeLog(t, 3)
	_, b := writeLogFrom(t, 1, 3)
	la, lb := lines(a), lines(b)
	require.NotEqual(t, la[0], lb[0], "every opening has its own session nonce")
	// b's record 1 (entry 1) where a has entry 0: same seq, same clock.
	spliced := join([][]byte{la[0], lb[1], la[2], la[3], la[4]})
	rep, err := audit.Verify(bytes.NewReader(spliced))
	require.ErrorIs(t, err, audit.ErrBroken)
	require.Equal(t, 2, rep.Line)
	require.Contains(t, err.Error(), "does not follow")
}

// TestOpenRecordNeedsSession: an open record whose session nonce was
// removed, with its hash recomputed, is refused.
func TestOpenRecordNeedsSession(t *testing.T) {
	_, data := writeLog(t, 0)
	first := lines(data)[0]
	i := bytes.Index(first, []byte(`,"session":"`))
	require.Positive(t, i)
	forged := rehash(append(bytes.Clone(first[:i]), first[i+len(`,"session":"`)+33:]...))
	_, err := audit.Verify(bytes.NewReader(forged))
	require.ErrorIs(t, err, audit.ErrBroken)
	require.Contains(t, err.Error(), "session")
}

// rehash recomputes a line's own hash, as someone editing it with care would.
func rehash(line []byte) []byte {
	body, _, _ := bytes.Cut(line, []byte(`,"hash":"`))
	return audit.BuildLineForTest(body)
}

func TestOpenRefusesBrokenLog(t *testing.T) {
	path, data := writeLog(t, 2)
	data[40] ^= 1
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err := audit.Open(context.Background(), path, audit.Options{})
	require.ErrorIs(t, err, audit.ErrBroken)
}

func TestOpenRefusesSecondWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "audit.jsonl")
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	defer l.Close()
	_, err = audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.ErrorContains(t, err, "open in another process")
}

func TestOpenFailsClosedWithoutVaultSecrets(t *testing.T) {
	broken := brokenVault{}
	_, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "a.jsonl"), audit.Options{Vault: broken})
	require.ErrorContains(t, err, "vault")
}

type brokenVault struct{}

func (brokenVault) Credential(context.Context, string) (ironcurtain.Secret, error) {
	return ironcurtain.Secret{}, ironcurtain.ErrNoCredential
}
func (brokenVault) Secrets(context.Context) ([]ironcurtain.Secret, error) {
	return nil, errors.New("vault sealed")
}

// TestNoVaultSecretReachesTheFile: whatever string of an entry holds a vault
// secret — argument values and keys at any depth, error text, reasons, the
// approver's words, grant scopes — the file never contains it.
func TestNoVaultSecretReachesTheFile(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secretGen := rapid.StringMatching(`[a-z0-9]{6,24}`)
		secrets := rapid.SliceOfNDistinct(secretGen, 1, 5, rapid.ID).Draw(t, "secrets")
		v := vault.Map{}
		for i, s := range secrets {
			v["k"+string(rune('a'+i))] = ironcurtain.NewSecret(s)
		}
		pick := func(label string) string {
			return rapid.String().Draw(t, label+"-pre") + rapid.SampledFrom(secrets).Draw(t, label) + rapid.String().Draw(t, label+"-post")
		}
		dir, err := os.MkdirTemp("", "audit-prop")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "audit.jsonl")
		l, err := audit.Open(context.Background(), path, audit.Options{Vault: v, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		e := ironcurtain.AuditEntry{
			Session: pick("session"), CallID: pick("id"), Server: "fs", Tool: pick("tool"),
			Arguments: map[string]any{
				"path":    pick("path"),
				pick("k"): []any{pick("deep"), map[string]any{"x": pick("deeper")}, 1.0, nil},
			},
			Verdict: ironcurtain.Escalate, Rule: pick("rule"), Reason: pick("reason"), Error: pick("error"),
			Approval: &ironcurtain.AuditApproval{By: pick("by"), Reason: pick("approver"), Answer: ironcurtain.Reject,
				Grant: &ironcurtain.Grant{ID: "g", Scopes: []ironcurtain.Scope{{Role: "write-path", Kind: "directory", Value: pick("scope")}}}},
			Outcome: ironcurtain.OutcomeDenied,
		}
		if err := l.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Fatalf("secret %q in the file:\n%s", s, data)
			}
		}
		if _, err := audit.Verify(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentRecordsKeepTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 25 {
				require.NoError(t, l.Record(context.Background(), entry(i*25+j)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, l.Close())
	rep, err := audit.Verify(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	require.Equal(t, 400, rep.Calls)
}

func TestUnencodableArgumentsAreStillRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.NoError(t, err)
	e := entry(1)
	e.Arguments = map[string]any{"c": make(chan int)}
	require.NoError(t, l.Record(context.Background(), e))
	e.Arguments = map[string]any{"nan": math.NaN()}
	require.NoError(t, l.Record(context.Background(), e))
	require.NoError(t, l.Close())
	rep, err := audit.Verify(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	require.Equal(t, 2, rep.Calls)
}

// BenchmarkRecord appends one typical entry, with and without fsync.
//
//	go test -run '^$' -bench Record -benchmem ./audit/
func BenchmarkRecord(b *testing.B) {
	for _, noSync := range []bool{true, false} {
		name := "fsync"
		if noSync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			l, err := audit.Open(context.Background(), filepath.Join(b.TempDir(), "audit.jsonl"), audit.Options{NoSync: noSync})
			require.NoError(b, err)
			e := entry(20)
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Record(context.Background(), e); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, l.Close())
		})
	}
}

// TestVerifyNamesTheProblem: the report says what happened, not only where.
func TestVerifyNamesTheProblem(t *testing.T) {
	_, data := writeLog(t, 3)
	ls := lines(data)
	for _, tc := range []struct {
		log  []byte
		want string
	}{
		{join(append(ls[:2:2], ls[3:]...)), "line 3: record 3 is missing"},
		{join(append(ls[:1:1], ls[3:]...)), "line 2: records 2 to 3 are missing"},
		{join([][]byte{ls[0], ls[1], ls[1], ls[2]}), "line 3: record 2 appears again"},
		{bytes.TrimSuffix(data, []byte("\n")), "line 5: the line is incomplete"},
		{bytes.Replace(data, []byte(`"path":"/w/x"`), []byte(`"path":"/w/y"`), 1), "line 3: the record was edited"},
	} {
		_, err := audit.Verify(bytes.NewReader(tc.log))
		require.ErrorContains(t, err, tc.want)
	}
}

// Events are chained like calls, redacted like calls, and verified.
func TestEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	l, err := audit.Open(context.Background(), path, audit.Options{Now: fixedClock(), Vault: vault.Map{"gh": ironcurtain.NewSecret(secret)}})
	require.NoError(t, err)
	require.NoError(t, l.Record(context.Background(), entry(1)))
	require.NoError(t, l.Event(context.Background(), ironcurtain.AuditEvent{
		Kind: "server-unsandboxed", Server: "github", Message: "started without its jail; token " + secret,
	}))
	require.NoError(t, l.Close())
	require.ErrorIs(t, l.Event(context.Background(), ironcurtain.AuditEvent{Kind: "late"}), ironcurtain.ErrClosed)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), secret)
	require.Contains(t, string(raw), `"type":"event"`)
	require.Contains(t, string(raw), `"kind":"server-unsandboxed"`)
	rep, err := audit.Verify(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, 1, rep.Calls)
	require.Equal(t, 1, rep.Events)
	require.True(t, rep.Sealed)

	// An event whose body is edited breaks the chain at that line.
	tampered := bytes.Replace(raw, []byte("server-unsandboxed"), []byte("server-sandboxed!!"), 1)
	_, err = audit.Verify(bytes.NewReader(tampered))
	var ve *audit.VerifyError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, 3, ve.Line)
}

var _ ironcurtain.EventAuditor = (*audit.Log)(nil)
