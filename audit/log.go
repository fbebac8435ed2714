package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/redact"
)

// Format is the version of the record format, written in every open record.
const Format = 1

// Genesis is the prev value of a log's first record.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Options configures a [Log]. The zero value redacts known credential
// formats and syncs every record to disk.
type Options struct {
	// Vault's credentials are redacted wherever they appear. Open reads
	// them once; if the vault cannot list them, Open fails.
	Vault ironcurtain.CredentialVault
	// Secrets are further values to redact.
	Secrets []ironcurtain.Secret
	// NoSync skips the fsync after each record: a record then survives a
	// crash of the process (it is written before Record returns) but not
	// necessarily a crash of the machine.
	NoSync bool
	// Now stamps the records. Nil means time.Now.
	Now func() time.Time
}

// Log is an append-only, hash-chained audit log in JSON Lines. It implements
// [ironcurtain.Auditor] and is safe for concurrent use: records are chained
// in the order Record is called.
type Log struct {
	red    *redact.Redactor
	noSync bool
	now    func() time.Time

	path string // absolute, as given (not resolved): the name readers use
	dir  string // its directory

	mu     sync.Mutex
	f      *os.File
	file   fileID // the identity of f, and of path while nobody tampers
	dirID  fileID // the identity of dir at Open
	size   int64  // the bytes f holds: what Verify read and what we wrote
	seq    uint64
	prev   string // hash of the last record
	err    error  // the first write error; every later Record returns it
	closed bool
}

// ErrTampered marks a log that was changed behind the Log's back: the file
// at its path is no longer the one it writes (replaced, moved, deleted, its
// directory swapped), the file has a second name (a hard link) through
// which anyone could rewrite it, or it changed size other than by the Log's
// own writes. The Log latches it like a write error, so the Gate stops.
var ErrTampered = errors.New("audit: the log was tampered with")

// Open opens the log at path for appending, creating it (mode 0600, and its
// directory, mode 0700) if needed. An existing log is verified first and its
// chain continued; a log whose chain is broken, or that another process holds
// open, is an error: the Gate must not run on a log that cannot be trusted.
// So is anything at path but a regular file, and a file with more than one
// name (a hard link elsewhere would let whoever may write there rewrite the
// log). Open writes an "open" record.
//
// A relative path is made absolute now. Before every record, and at Close,
// the Log checks that the file at that path (followed through symlinks) and
// its directory are still the ones it opened, that the file still has one
// name and the size its own writes gave it; on any difference it fails with
// [ErrTampered], after writing the record to the file it holds.
func Open(ctx context.Context, path string, opts Options) (*Log, error) {
	l := &Log{noSync: opts.NoSync, now: opts.Now}
	if l.now == nil {
		l.now = time.Now
	}
	var values []string
	for _, s := range opts.Secrets {
		values = append(values, s.Reveal())
	}
	if opts.Vault != nil {
		secrets, err := opts.Vault.Secrets(ctx)
		if err != nil {
			return nil, fmt.Errorf("audit: reading the vault's secrets to redact them: %w", err)
		}
		for _, s := range secrets {
			values = append(values, s.Reveal())
		}
	}
	red, err := redact.New(values)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.red = red

	if path, err = filepath.Abs(path); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.path, l.dir = path, filepath.Dir(path)
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	f, err := os.OpenFile(path, openFlags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	st, err := fdState(f)
	switch {
	case err != nil:
	case !st.regular:
		err = errors.New("not a regular file")
	case st.links > 1:
		err = fmt.Errorf("the file has %d names (hard links): anyone who may write another of them could rewrite the log", st.links)
	default:
		err = lockFile(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	rep, err := Verify(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: refusing to append: %w", path, err)
	}
	dst, err := pathState(l.dir)
	if err == nil {
		st, err = fdState(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.file, l.dirID, l.size = st.id, dst.id, st.size
	l.f, l.seq, l.prev = f, uint64(rep.Records), rep.Head
	if rep.Records == 0 {
		l.prev = Genesis
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.append("open", newSessionID()); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// Record redacts the entry and appends it. It returns after the record is
// written (and synced, unless Options.NoSync). After a write error every
// later call returns that error: the log never has a gap a reader could miss.
func (l *Log) Record(_ context.Context, e ironcurtain.AuditEntry) error {
	body, err := json.Marshal(l.redactEntry(e))
	if err != nil {
		// Only a value that is not JSON gets here (the Gate never passes
		// one); keep the record, without the arguments.
		e.Arguments = map[string]any{"[unencodable]": err.Error()}
		if body, err = json.Marshal(l.redactEntry(e)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.append("call", body)
}

// Event redacts the event and appends it as an "event" record. It returns
// like Record, and fails like it.
func (l *Log) Event(_ context.Context, e ironcurtain.AuditEvent) error {
	e.Kind, e.Server, e.Message = l.red.String(e.Kind), l.red.String(e.Server), l.red.String(e.Message)
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.append("event", body)
}

// Head returns the sequence number and hash of the last record, so that it
// can be kept elsewhere: a copy of the head is what makes removing records
// from the end of the log detectable.
func (l *Log) Head() (seq uint64, hash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, l.prev
}

// Close appends a "close" record, which seals the log, and closes the file.
// It is idempotent. Like Record, it fails with [ErrTampered] when the file
// at the log's path is no longer the Log's own.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	err := l.append("close", nil)
	l.closed = true
	return errors.Join(err, l.f.Close())
}

func (l *Log) redactEntry(e ironcurtain.AuditEntry) ironcurtain.AuditEntry {
	r := l.red
	if e.Arguments != nil {
		e.Arguments, _ = r.Value(e.Arguments).(map[string]any)
	}
	for _, s := range []*string{&e.Session, &e.CallID, &e.Server, &e.Tool, &e.Rule, &e.Reason, &e.Error} {
		*s = r.String(*s)
	}
	if a := e.Approval; a != nil {
		c := *a
		c.By, c.Reason = r.String(c.By), r.String(c.Reason)
		if c.Grant != nil {
			g := *c.Grant
			g.Scopes = append([]ironcurtain.Scope(nil), g.Scopes...)
			for i := range g.Scopes {
				g.Scopes[i].Value = r.String(g.Scopes[i].Value)
			}
			c.Grant = &g
		}
		e.Approval = &c
	}
	return e
}

// append writes one record. l.mu must be held.
func (l *Log) append(typ string, call []byte) error {
	switch {
	case l.err != nil:
		return l.err
	case l.closed:
		return fmt.Errorf("audit: %w", ironcurtain.ErrClosed)
	}
	line := buildLine(l.seq+1, l.prev, typ, l.now(), call)
	// A tampered log still gets the record, in the file the Log holds:
	// wherever that file is now, its chain lacks nothing that happened.
	tampered := l.check()
	if _, err := l.f.Write(line); err != nil {
		l.err = errors.Join(tampered, fmt.Errorf("audit: write: %w", err))
		return l.err
	}
	if !l.noSync {
		if err := l.f.Sync(); err != nil {
			l.err = errors.Join(tampered, fmt.Errorf("audit: sync: %w", err))
			return l.err
		}
	}
	if tampered != nil {
		l.err = tampered
		return l.err
	}
	l.size += int64(len(line))
	l.seq++
	l.prev = string(line[len(line)-3-64 : len(line)-3])
	return nil
}

// check reports how the log was tampered with since the Log's last write,
// if it was: a file at its path other than the one it holds, another
// directory at its directory's path, a second name for the file, or a size
// its own writes do not account for. l.mu must be held.
func (l *Log) check() error {
	fd, err := fdState(l.f)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var problem string
	switch at, err := pathState(l.path); {
	case err != nil:
		problem = fmt.Sprintf("its file is gone from its path (%v)", err)
	case !at.id.same(l.file) || !fd.id.same(l.file):
		problem = "the file at its path is no longer the one it writes: it was replaced, or moved with its directory"
	case fd.links > 1:
		problem = fmt.Sprintf("its file now has %d names (hard links): anyone who may write another could rewrite the log", fd.links)
	case fd.size != l.size:
		problem = fmt.Sprintf("its file is %d bytes, but the log wrote %d: someone else cut or wrote it", fd.size, l.size)
	}
	if problem == "" {
		switch d, err := pathState(l.dir); {
		case err != nil:
			problem = fmt.Sprintf("its directory is gone (%v)", err)
		case !d.id.same(l.dirID):
			problem = "its directory was replaced by another at the same path"
		}
	}
	if problem == "" {
		return nil
	}
	return fmt.Errorf("%w: %s: %s; no call may be made until it is looked into", ErrTampered, l.path, problem)
}

// newSessionID returns 128 random bits in hex: the nonce of an open record.
// crypto/rand.Read never fails on the platforms Go supports (it panics
// rather than return short output).
func newSessionID() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return []byte(hex.EncodeToString(b[:]))
}

// hashKey starts the last member of every line: ,"hash":"<64 hex digits>"}
const hashKey = `,"hash":"`

// buildLine writes a record:
//
//	{"seq":N,"prev":"<hex>","type":"call","time":"<RFC 3339>","call":{...},"hash":"<hex>"}
//
// where hash is the SHA-256 of everything before `,"hash":`, and prev is the
// hash of the record before (Genesis for the first). An open record carries
// "format" and "session" (its call argument: a random nonce, so that no two
// openings have the same hash and records cannot be spliced from one log, or
// one opening, into another) instead of "call", an event record "event"; a
// close record none.
func buildLine(seq uint64, prev, typ string, at time.Time, call []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(call) + 256)
	b.WriteString(`{"seq":`)
	b.WriteString(strconv.FormatUint(seq, 10))
	b.WriteString(`,"prev":"`)
	b.WriteString(prev)
	b.WriteString(`","type":"`)
	b.WriteString(typ)
	b.WriteString(`","time":"`)
	b.WriteString(at.UTC().Format(time.RFC3339Nano))
	b.WriteString(`"`)
	switch typ {
	case "open":
		b.WriteString(`,"format":`)
		b.WriteString(strconv.Itoa(Format))
		b.WriteString(`,"session":"`)
		b.Write(call)
		b.WriteString(`"`)
	case "call":
		b.WriteString(`,"call":`)
		b.Write(call)
	case "event":
		b.WriteString(`,"event":`)
		b.Write(call)
	}
	sum := sha256.Sum256(b.Bytes())
	b.WriteString(hashKey)
	b.WriteString(hex.EncodeToString(sum[:]))
	b.WriteString("\"}\n")
	return b.Bytes()
}
