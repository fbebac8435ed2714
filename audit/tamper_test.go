package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
)

// countingServer serves one tool and counts the calls that reach it.
type countingServer struct{ calls atomic.Int64 }

func (*countingServer) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{{Name: "op", InputSchema: []byte(`{"type":"object"}`)}}, nil
}

func (s *countingServer) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	s.calls.Add(1)
	return ironcurtain.TextResult("done"), nil
}

// tamperRig is a Gate writing to a log in dir/logs/audit.jsonl.
type tamperRig struct {
	dir, logDir, path string
	log               *audit.Log
	gate              *ironcurtain.Gate
	srv               *countingServer
}

func newTamperRig(t *testing.T) *tamperRig {
	t.Helper()
	r := &tamperRig{dir: t.TempDir(), srv: &countingServer{}}
	r.logDir = filepath.Join(r.dir, "logs")
	r.path = filepath.Join(r.logDir, "audit.jsonl")
	var err error
	r.log, err = audit.Open(context.Background(), r.path, audit.Options{NoSync: true})
	require.NoError(t, err)
	allow := policyFunc(func(context.Context, ironcurtain.ToolCall) (ironcurtain.Decision, error) {
		return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow"}, nil
	})
	r.gate, err = ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"s": r.srv}, Policy: allow, Audit: r.log,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.gate.Close(); _ = r.log.Close() })
	return r
}

func (r *tamperRig) call(id string) error {
	_, err := r.gate.Call(context.Background(), ironcurtain.ToolCall{ID: id, Server: "s", Tool: "op", Arguments: map[string]any{}})
	return err
}

// requireStopped checks that the call that met the tampering was refused
// as an audit failure, and that the Gate refuses every later call without
// letting it reach the server.
func (r *tamperRig) requireStopped(t *testing.T, err error) {
	t.Helper()
	de, ok := deniedErr(err)
	require.True(t, ok, "the call met a tampered log and was not refused: %v", err)
	require.Equal(t, ironcurtain.RuleAuditFailure, de.Decision.Rule)
	before := r.srv.calls.Load()
	for _, id := range []string{"later-1", "later-2"} {
		err := r.call(id)
		de, ok := deniedErr(err)
		require.True(t, ok, "a later call was not refused: %v", err)
		require.Equal(t, ironcurtain.RuleAuditFailure, de.Decision.Rule)
	}
	require.Equal(t, before, r.srv.calls.Load(), "a call reached the server after the Gate stopped")
	require.Error(t, r.log.Close(), "Close must report the tampering too")
}

func deniedErr(err error) (*ironcurtain.DeniedError, bool) {
	return errors.AsType[*ironcurtain.DeniedError](err)
}

// olderRecords returns the log's records up to and including the first
// call's: what an attacker keeps when hiding the calls after it.
func olderRecords(t *testing.T, path string) []byte {
	t.Helper()
	ls := lines(mustRead(t, path))
	require.GreaterOrEqual(t, len(ls), 2)
	return join(ls[:2])
}

// replaceWithOlder makes a call, keeps the log's records up to it, makes
// another call and then replaces the log at its path, by write-and-rename,
// with the records kept: the second call is hidden, no directory moved.
func (r *tamperRig) replaceWithOlder(t *testing.T) {
	t.Helper()
	require.NoError(t, r.call("first"))
	older := olderRecords(t, r.path)
	require.NoError(t, r.call("hidden"))
	tmp := filepath.Join(r.logDir, "x")
	require.NoError(t, os.WriteFile(tmp, older, 0o600))
	require.NoError(t, os.Rename(tmp, r.path))
}

// TestMovedDirectoryAndRewrittenLogStopsTheGate is hole 5 of issue 14 as
// the agent ran it: move the log's directory away, rewrite the log with only
// its older records by write-and-rename (orphaning the Log's descriptor),
// move the directory back. The chain in the file is intact, so Verify alone
// passes; the Log must notice that its file is no longer the one at its path
// and stop the Gate, and a head kept elsewhere must expose the cut.
func TestMovedDirectoryAndRewrittenLogStopsTheGate(t *testing.T) {
	r := newTamperRig(t)
	require.NoError(t, r.call("first"))
	older := olderRecords(t, r.path)
	require.NoError(t, r.call("hidden-1"))
	require.NoError(t, r.call("hidden-2"))
	seq, hash := r.log.Head()
	kept := audit.Anchor{Seq: seq, Hash: hash}

	moved := filepath.Join(r.dir, "moved")
	require.NoError(t, os.Rename(r.logDir, moved))
	tmp := filepath.Join(moved, "audit.jsonl.tmp")
	require.NoError(t, os.WriteFile(tmp, older, 0o600))
	require.NoError(t, os.Rename(tmp, filepath.Join(moved, "audit.jsonl")))
	require.NoError(t, os.Rename(moved, r.logDir))

	r.requireStopped(t, r.call("after"))

	// The file at the path verifies on its own: only the kept head tells.
	data := mustRead(t, r.path)
	_, err := audit.Verify(bytes.NewReader(data))
	require.NoError(t, err)
	_, err = audit.Verify(bytes.NewReader(data), kept)
	require.ErrorIs(t, err, audit.ErrBroken)
}

// TestReplacedLogStopsTheGate: the log replaced at the same path by a
// rename, with no directory moved.
func TestReplacedLogStopsTheGate(t *testing.T) {
	r := newTamperRig(t)
	r.replaceWithOlder(t)
	r.requireStopped(t, r.call("after"))
}

// TestSwappedDirectoryStopsTheGate: the directory replaced by another one
// at the same path, the log itself moved into it unchanged.
func TestSwappedDirectoryStopsTheGate(t *testing.T) {
	r := newTamperRig(t)
	require.NoError(t, r.call("first"))
	old := filepath.Join(r.dir, "old")
	require.NoError(t, os.Rename(r.logDir, old))
	require.NoError(t, os.Mkdir(r.logDir, 0o777))
	require.NoError(t, os.Rename(filepath.Join(old, "audit.jsonl"), r.path))
	r.requireStopped(t, r.call("after"))
}

// TestLogCutInPlaceStopsTheGate: the same file, truncated to its older
// records in place (the inode does not change), or with a line appended by
// another writer.
func TestLogCutInPlaceStopsTheGate(t *testing.T) {
	t.Run("truncated", func(t *testing.T) {
		r := newTamperRig(t)
		require.NoError(t, r.call("first"))
		older := olderRecords(t, r.path)
		require.NoError(t, r.call("hidden"))
		require.NoError(t, os.Truncate(r.path, int64(len(older))))
		r.requireStopped(t, r.call("after"))
	})
	t.Run("appended", func(t *testing.T) {
		r := newTamperRig(t)
		require.NoError(t, r.call("first"))
		f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.WriteString("{}\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		r.requireStopped(t, r.call("after"))
	})
}

// TestDeletedLogStopsTheGate: the log unlinked, with or without a new file
// put in its place.
func TestDeletedLogStopsTheGate(t *testing.T) {
	r := newTamperRig(t)
	require.NoError(t, r.call("first"))
	require.NoError(t, os.Remove(r.path))
	r.requireStopped(t, r.call("after"))
}

// TestHardLinkToTheLogStopsTheGate: a second name for the log (say, in the
// sandbox) lets whoever may write that name rewrite the log in place; the
// Log refuses to go on once its file has one.
func TestHardLinkToTheLogStopsTheGate(t *testing.T) {
	r := newTamperRig(t)
	require.NoError(t, r.call("first"))
	sandbox := filepath.Join(r.dir, "sandbox")
	require.NoError(t, os.Mkdir(sandbox, 0o700))
	require.NoError(t, os.Link(r.path, filepath.Join(sandbox, "notes.txt")))
	r.requireStopped(t, r.call("after"))
}

// TestOpenRefusesAHardLinkedLog: a log that already has a second name is
// refused at Open.
func TestOpenRefusesAHardLinkedLog(t *testing.T) {
	path, _ := writeLog(t, 1)
	require.NoError(t, os.Link(path, filepath.Join(filepath.Dir(path), "other")))
	_, err := audit.Open(context.Background(), path, audit.Options{NoSync: true})
	require.ErrorContains(t, err, "link")
}

// TestOpenRefusesANonRegularLog: a directory or a FIFO at the log's path
// is refused before anything reads it (a FIFO would block Verify).
func TestOpenRefusesANonRegularLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.Mkdir(dir, 0o700))
	_, err := audit.Open(context.Background(), dir, audit.Options{NoSync: true})
	require.Error(t, err)
	mkfifoOrSkip(t, filepath.Join(t.TempDir(), "fifo.jsonl"), func(p string) {
		_, err := audit.Open(context.Background(), p, audit.Options{NoSync: true})
		require.ErrorContains(t, err, "not a regular file")
	})
}

// TestCloseReportsAReplacedLog: a log replaced after the last call is
// caught when it is closed.
func TestCloseReportsAReplacedLog(t *testing.T) {
	r := newTamperRig(t)
	r.replaceWithOlder(t)
	require.NoError(t, r.gate.Close())
	require.Error(t, r.log.Close())
}

// TestRelativeLogPathSurvivesChdir: a log opened by a relative path is
// watched at the absolute path it named then: changing the working
// directory neither raises a false alarm nor hides a swap.
func TestRelativeLogPathSurvivesChdir(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		require.NoError(t, os.Mkdir(filepath.Join(d, "logs"), 0o700))
	}
	require.NoError(t, os.WriteFile(filepath.Join(b, "logs", "audit.jsonl"), nil, 0o600))
	t.Chdir(a)
	l, err := audit.Open(context.Background(), filepath.Join("logs", "audit.jsonl"), audit.Options{NoSync: true})
	require.NoError(t, err)
	defer l.Close()
	t.Chdir(b)
	require.NoError(t, l.Record(context.Background(), entry(1)), "a change of directory is not tampering")
	require.NoError(t, os.Rename(filepath.Join(a, "logs", "audit.jsonl"), filepath.Join(a, "moved")))
	require.Error(t, l.Record(context.Background(), entry(2)))
}

// TestSymlinkedLogDirectoryRepointed: with the log's directory reached
// through a symlink, re-pointing the link at a copy is caught.
func TestSymlinkedLogDirectoryRepointed(t *testing.T) {
	dir := t.TempDir()
	real, other := filepath.Join(dir, "real"), filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(real, 0o700))
	require.NoError(t, os.Mkdir(other, 0o700))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(real, link))
	l, err := audit.Open(context.Background(), filepath.Join(link, "audit.jsonl"), audit.Options{NoSync: true})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Record(context.Background(), entry(1)))
	copied := mustRead(t, filepath.Join(real, "audit.jsonl"))
	require.NoError(t, os.WriteFile(filepath.Join(other, "audit.jsonl"), copied, 0o600))
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink(other, link))
	require.Error(t, l.Record(context.Background(), entry(2)))
}

// TestUntouchedLogKeepsGoing: the checks raise no alarm on a log nobody
// touches, across a resumption.
func TestUntouchedLogKeepsGoing(t *testing.T) {
	r := newTamperRig(t)
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, r.call(id))
	}
	require.NoError(t, r.gate.Close())
	require.NoError(t, r.log.Close())
	l, err := audit.Open(context.Background(), r.path, audit.Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, l.Record(context.Background(), entry(1)))
	require.NoError(t, l.Event(context.Background(), ironcurtain.AuditEvent{Kind: "k"}))
	require.NoError(t, l.Close())
}
