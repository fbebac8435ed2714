package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrBroken marks a log whose chain is broken: a record was edited, removed,
// inserted or reordered, or the file ends in the middle of a record.
var ErrBroken = errors.New("audit: the hash chain is broken")

// VerifyError reports the first line of a log that fails verification. It
// satisfies errors.Is(err, ErrBroken).
type VerifyError struct {
	// Line is the 1-based line number.
	Line int
	// Problem says what is wrong with it.
	Problem string
}

// Error returns "audit: line N: problem".
func (e *VerifyError) Error() string { return fmt.Sprintf("audit: line %d: %s", e.Line, e.Problem) }

// Is makes errors.Is(err, ErrBroken) true.
func (e *VerifyError) Is(target error) bool { return target == ErrBroken }

// VerifyReport describes a verified log, up to the first bad line if there is
// one.
type VerifyReport struct {
	// Records is the number of intact records from the start.
	Records int
	// Calls is how many of them record calls.
	Calls int
	// Events is how many of them record events (see ironcurtain.AuditEvent).
	Events int
	// Head is the hash of the last intact record, "" if there is none.
	Head string
	// Sealed reports that the last record is a close record: the log was
	// closed cleanly and nothing was removed from its end since. An unsealed
	// log is one still open, one whose writer crashed, or one cut short at a
	// record boundary; comparing Head with a copy kept elsewhere tells them
	// apart.
	Sealed bool
	// Line and Problem name the first bad line; Line is 0 when the whole
	// log is intact.
	Line    int
	Problem string
}

// maxLine bounds one record: a call with arguments at the Gate's default cap
// of 4 MiB stays far below it even with every byte escaped.
const maxLine = 64 << 20

// Verify reads a log and checks every record: its own hash, its place in the
// chain (sequence number and the previous record's hash), and its shape. It
// stops at the first bad line and returns a *VerifyError for it, or another
// error if r fails. The report covers the intact records before it.
//
// With anchors — records kept elsewhere, such as a copy of [Log.Head] — the
// log must also hold each of them: a log cut at a record boundary, or
// rewritten from some record on with every hash recomputed, is intact in
// itself but lacks its anchor, and fails with a *VerifyError naming the
// line where the kept record should be. A log that grew past an anchor
// passes.
func Verify(r io.Reader, anchors ...Anchor) (VerifyReport, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var rep VerifyReport
	prev := Genesis
	found := make([]bool, len(anchors))
	for n := 1; ; n++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			if problem := missingAnchor(anchors, found, rep.Records); problem != "" {
				rep.Line, rep.Problem = n, problem
				return rep, &VerifyError{Line: n, Problem: problem}
			}
			return rep, nil
		}
		var problem string
		var rec record
		switch {
		case errors.Is(err, errLineTooLong):
			problem = err.Error()
		case err != nil && !errors.Is(err, io.EOF):
			return rep, fmt.Errorf("audit: reading line %d: %w", n, err)
		default:
			rec, problem = checkLine(line, uint64(n), prev)
			if problem == "" {
				problem = matchAnchors(anchors, found, rec)
			}
		}
		if problem != "" {
			rep.Line, rep.Problem = n, problem
			return rep, &VerifyError{Line: n, Problem: problem}
		}
		prev = rec.Hash
		rep.Records++
		rep.Head = prev
		rep.Sealed = rec.Type == "close"
		switch rec.Type {
		case "call":
			rep.Calls++
		case "event":
			rep.Events++
		}
	}
}

// Anchor is a record of a log kept apart from it — where the agent cannot
// write, such as with the person who runs it — so that [Verify] can tell
// whether records were cut from the log's end. [Log.Head] gives the current
// one; `ironcurtain audit head` prints it.
type Anchor struct {
	// Seq is the record's sequence number: the log must hold at least
	// this many records. 0 means the record's position is not known.
	Seq uint64
	// Hash is the record's hash, 64 lower-case hex digits: the log must
	// hold a record with this hash (at Seq, when Seq is set). "" means
	// only the count is checked.
	Hash string
}

// String writes the anchor as ParseAnchor reads it: "SEQ:HASH", or SEQ or
// HASH alone when the other is not known.
func (a Anchor) String() string {
	switch {
	case a.Hash == "":
		return strconv.FormatUint(a.Seq, 10)
	case a.Seq == 0:
		return a.Hash
	}
	return strconv.FormatUint(a.Seq, 10) + ":" + a.Hash
}

// ParseAnchor reads an anchor written as "SEQ:HASH", as a hash alone (64
// hex digits), or as a record count alone (a decimal number).
func ParseAnchor(s string) (Anchor, error) {
	var a Anchor
	seq, hash, both := strings.Cut(s, ":")
	if !both {
		if isHash(strings.ToLower(s)) {
			seq, hash = "", s
		} else {
			hash = ""
		}
	}
	if seq != "" || both {
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil || n == 0 || seq[0] == '+' {
			return Anchor{}, fmt.Errorf("audit: anchor %q: the record number must be a positive decimal number", s)
		}
		a.Seq = n
	}
	if both || hash != "" {
		hash = strings.ToLower(hash)
		if !isHash(hash) {
			return Anchor{}, fmt.Errorf("audit: anchor %q: the hash must be 64 hex digits", s)
		}
		a.Hash = hash
	}
	if a.Seq == 0 && a.Hash == "" {
		return Anchor{}, fmt.Errorf("audit: anchor %q: want SEQ:HASH, HASH or SEQ", s)
	}
	return a, nil
}

// matchAnchors notes the anchors rec satisfies, and names the problem when
// rec sits where an anchor is kept but is another record.
func matchAnchors(anchors []Anchor, found []bool, rec record) string {
	for i, a := range anchors {
		switch {
		case a.Hash == "" || found[i]:
		case a.Seq == rec.Seq && a.Hash != rec.Hash:
			return fmt.Sprintf("record %d is not the one kept elsewhere (hash %s, not %s): the log was rewritten at or before it", rec.Seq, rec.Hash, a.Hash)
		case a.Hash == rec.Hash && (a.Seq == 0 || a.Seq == rec.Seq):
			found[i] = true
		}
	}
	return ""
}

// missingAnchor names the first anchor an intact log of n records lacks.
func missingAnchor(anchors []Anchor, found []bool, n int) string {
	for i, a := range anchors {
		switch {
		case a.Seq > uint64(n):
			return fmt.Sprintf("the log ends after record %d, but record %d was kept elsewhere: records were cut from its end", n, a.Seq)
		case a.Hash != "" && !found[i]:
			return fmt.Sprintf("the record kept elsewhere (hash %s) is not in the log: records were cut from its end, or it was rewritten", a.Hash)
		}
	}
	return ""
}

// isHash reports whether s is 64 lower-case hex digits.
func isHash(s string) bool { return len(s) == 64 && isHex(s) }

var errLineTooLong = fmt.Errorf("the line is longer than %d bytes", maxLine)

// readLine reads one line with its newline, or what is left before EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// record is the envelope of a line, as Verify reads it.
type record struct {
	Seq     uint64          `json:"seq"`
	Prev    string          `json:"prev"`
	Type    string          `json:"type"`
	Time    string          `json:"time"`
	Format  int             `json:"format"`
	Session string          `json:"session"`
	Call    json.RawMessage `json:"call"`
	Event   json.RawMessage `json:"event"`
	Hash    string          `json:"hash"`
}

// checkLine checks one line, the n-th, whose predecessor hashed to prev.
func checkLine(line []byte, n uint64, prev string) (record, string) {
	var rec record
	l, ok := bytes.CutSuffix(line, []byte("\n"))
	if !ok {
		return rec, "the line is incomplete: the log was cut short or a write was torn"
	}
	tail := len(hashKey) + 64 + 2
	if len(l) < tail || !bytes.HasSuffix(l, []byte(`"}`)) || string(l[len(l)-tail:len(l)-tail+len(hashKey)]) != hashKey {
		return rec, "the line does not end with its hash: it is not a record, or was edited"
	}
	given := string(l[len(l)-66 : len(l)-2])
	sum := sha256.Sum256(l[:len(l)-tail])
	if hex.EncodeToString(sum[:]) != given {
		return rec, "the record was edited: its hash does not match its content"
	}
	if err := json.Unmarshal(l, &rec); err != nil || rec.Hash != given {
		return rec, "the record is not valid JSON"
	}
	switch {
	case rec.Seq > n:
		if rec.Seq == n+1 {
			return rec, fmt.Sprintf("record %d is missing: it was removed", n)
		}
		return rec, fmt.Sprintf("records %d to %d are missing: they were removed", n, rec.Seq-1)
	case rec.Seq < n:
		return rec, fmt.Sprintf("record %d appears again here: records were reordered or duplicated", rec.Seq)
	case rec.Prev != prev:
		return rec, "the record does not follow the one before it: records were removed, inserted or reordered"
	}
	switch rec.Type {
	case "open":
		if rec.Format != Format {
			return rec, fmt.Sprintf("unknown record format %d", rec.Format)
		}
		if !isSessionID(rec.Session) {
			return rec, "an open record without its session nonce"
		}
	case "call":
		if len(rec.Call) == 0 || rec.Call[0] != '{' {
			return rec, "a call record without its call"
		}
	case "event":
		if len(rec.Event) == 0 || rec.Event[0] != '{' {
			return rec, "an event record without its event"
		}
	case "close":
	default:
		return rec, fmt.Sprintf("unknown record type %q", rec.Type)
	}
	if n == 1 && rec.Type != "open" {
		return rec, "the log does not start with an open record: its beginning was removed"
	}
	return rec, ""
}

// isSessionID reports whether s is 32 lower-case hex digits, as newSessionID
// writes.
func isSessionID(s string) bool { return len(s) == 32 && isHex(s) }

// isHex reports whether s is lower-case hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
