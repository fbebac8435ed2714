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

	mu     sync.Mutex
	f      *os.File
	seq    uint64
	prev   string // hash of the last record
	err    error  // the first write error; every later Record returns it
	closed bool
}

// Open opens the log at path for appending, creating it (mode 0600, and its
// directory, mode 0700) if needed. An existing log is verified first and its
// chain continued; a log whose chain is broken, or that another process holds
// open, is an error: the Gate must not run on a log that cannot be trusted.
// Open writes an "open" record.
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

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	rep, err := Verify(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: refusing to append: %w", path, err)
	}
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
// It is idempotent.
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
	if _, err := l.f.Write(line); err != nil {
		l.err = fmt.Errorf("audit: write: %w", err)
		return l.err
	}
	if !l.noSync {
		if err := l.f.Sync(); err != nil {
			l.err = fmt.Errorf("audit: sync: %w", err)
			return l.err
		}
	}
	l.seq++
	l.prev = string(line[len(line)-3-64 : len(line)-3])
	return nil
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
