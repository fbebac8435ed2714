// Package audit writes the Gate's audit log: one JSON line per call, every
// record chained to the one before by SHA-256, secrets redacted before a byte
// reaches the disk — and verifies such a log.
//
//	log, err := audit.Open(ctx, "/var/log/ironcurtain/audit.jsonl", audit.Options{Vault: v})
//	if err != nil { ... }
//	defer log.Close() // after the Gate's Close
//	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{Audit: log, ...})
//
//	report, err := audit.Verify(file) // errors.Is(err, audit.ErrBroken) on tampering
//
// # Records
//
// Each line is one record:
//
//	{"seq":7,"prev":"<hex>","type":"call","time":"...","call":{...},"hash":"<hex>"}
//
// seq counts records from 1; prev is the hash of the record before it
// ([Genesis] for the first); hash is the SHA-256 of the line up to the
// `,"hash":` member. "call" holds an [ironcurtain.AuditEntry]. An "open"
// record (with "format", and "session": 128 random bits) starts the log and
// every resumption of it; a "close" record seals it when it is closed. The
// random session makes every chain unique from its first record on, so a
// record cannot be moved from one log, or one opening, into another even when
// both were opened at the same instant.
//
// Verify detects an edit to any byte (the record's hash no longer matches),
// a record removed, inserted, duplicated or moved (seq and prev no longer
// follow), the first record removed (the log must start with seq 1, an open
// record and prev = Genesis), and a file cut short inside a record. Records
// cut from the end at a record boundary leave a shorter chain that is intact
// in itself: a log closed cleanly then lacks its close record
// (VerifyReport.Sealed is false), and a copy of [Log.Head] kept elsewhere,
// given to Verify as an [Anchor], tells exactly what is missing. The chain carries no secret key: it proves
// that a log is the one written unless someone recomputed every hash from the
// edit on, which a head kept elsewhere also exposes.
//
// # Durability and order
//
// Record writes the whole line with one write(2) on a file opened for
// appending and, unless Options.NoSync, fsyncs it, before it returns — so
// the Gate never hands out a result whose record could still be lost. A
// mutex keeps records in the order of the calls to Record. A failed write
// latches: every later Record returns the error, and the Gate stops. Open
// takes an exclusive lock on the file (flock, on Unix) so two processes never
// fork one chain, and refuses a log whose chain is broken.
//
// # Tampering
//
// Before every record and at Close, the Log compares the file it holds with
// the file at its path (fstat against stat: device and inode), its
// directory with the one it opened, the file's link count with 1 and its
// size with what it wrote. A log moved away with its directory and rewritten
// by rename, replaced, deleted, hard-linked or cut in place fails the next
// Record with [ErrTampered], which latches like a write error: the Gate
// denies that call and every later one. Keep the log and its directory
// outside every directory the agent can write (package stack refuses such
// a layout) and a copy of the head elsewhere.
//
// # Redaction
//
// Every string of an entry — arguments (keys too), reason, error text,
// approver's reason, grant scopes — is redacted: the values the
// [ironcurtain.CredentialVault] holds (read once at Open; a vault that cannot
// list them makes Open fail), credentials of known formats (API keys of
// Anthropic, OpenAI, GitHub, Slack, AWS, Google; JWTs; private keys; bearer
// and Authorization values), card numbers and US social security numbers,
// and anything under a member named like a credential (authorization,
// cookie, password, token, ...).
package audit
