package git

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// handler is a tool's implementation. A failure the model should see is
// returned as a *toolset.Error, built from a public message only (the
// cause, with host paths and raw OS errors, stays in Cause); time limits
// and output caps become such errors in wrap. Anything else (a cancelled
// ctx, a closed server) stays a Go error.
type handler func(ctx context.Context, args map[string]any) (ironcurtain.Result, error)

func wrap(h handler) toolset.Handler {
	return func(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
		res, err := h(ctx, args)
		if err == nil {
			return res, nil
		}
		if _, ok := toolset.AsError(err); ok {
			return ironcurtain.Result{}, err
		}
		var te *timeoutError
		if errors.As(err, &te) || errors.Is(err, ironcurtain.ErrLimit) {
			// Their texts are the server's own, naming no path.
			return ironcurtain.Result{}, toolset.Wrapf(err, "%s", err.Error())
		}
		return ironcurtain.Result{}, err
	}
}

// gitFailed turns a non-zero exit into a tool error with git's message.
func (s *Server) gitFailed(args []string, out output) error {
	msg := s.clean(out.stderr)
	if msg == "" {
		msg = s.clean(out.stdout)
	}
	return toolset.Wrapf(errors.New(strings.TrimSpace(string(out.stderr))), "git %s failed (exit status %d): %s", subcommand(args), out.code, msg)
}

// userinfoRE finds the password part of URLs in free text.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^@/\s]*@`)

// clean prepares git's messages for the model: trimmed, with passwords in
// URLs redacted and the server's private directory named rather than shown.
func (s *Server) clean(b []byte) string {
	t := strings.TrimSpace(string(b))
	t = userinfoRE.ReplaceAllString(t, "$1:[redacted]@")
	return strings.ReplaceAll(t, s.base, "[git-server-dir]")
}

// textResult is a successful result with one text block.
func textResult(text string) ironcurtain.Result { return ironcurtain.TextResult(text) }

// structuredResult is a successful result with text and structured content.
func structuredResult(text string, v any) (ironcurtain.Result, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ironcurtain.Result{}, fmt.Errorf("git: encoding result: %w", err)
	}
	r := ironcurtain.TextResult(text)
	r.Structured = b
	return r, nil
}

// splitRecords splits a listing made with a format that starts each
// record with marker and separates its n fields with NUL (the last field
// may hold NULs). Text before the first record, or a record of fewer
// fields, is an error: the listing is not what the format makes.
func splitRecords(out, marker, what string, n int) ([][]string, error) {
	recs := strings.Split(out, marker)
	if strings.TrimSpace(recs[0]) != "" {
		return nil, fmt.Errorf("unexpected %s listing %q", what, recs[0])
	}
	fields := make([][]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		f := strings.SplitN(strings.TrimSuffix(rec, "\n"), "\x00", n)
		if len(f) != n {
			return nil, fmt.Errorf("malformed %s record %q", what, rec)
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// nulTerminated splits git's -z output, records each ended by NUL, empty
// records included. An unterminated last record, what names the kind of
// record, is an error.
func nulTerminated(out []byte, what string) ([]string, error) {
	if len(out) == 0 {
		return nil, nil
	}
	if out[len(out)-1] != 0 {
		return nil, fmt.Errorf("unterminated %s %q", what, out[bytes.LastIndexByte(out, 0)+1:])
	}
	return strings.Split(string(out[:len(out)-1]), "\x00"), nil
}

// boolFlag returns flag, as the one element of a slice, when on, and
// nothing otherwise.
func boolFlag(on bool, flag string) []string {
	if !on {
		return nil
	}
	return []string{flag}
}

// firstFlag returns the flag of the first of two options that is on, as
// the one element of a slice, and nothing when neither is; a caller that
// refuses both at once checks that first.
func firstFlag(a bool, aFlag string, b bool, bFlag string) []string {
	if a {
		return []string{aFlag}
	}
	return boolFlag(b, bFlag)
}

// revArg is a revision argument and the name the agent gave it.
type revArg struct{ name, v string }

// appendRevisions checks each revision argument given (not empty) and
// appends it to cmd, in order.
func appendRevisions(cmd []string, revs ...revArg) ([]string, error) {
	for _, rv := range revs {
		if rv.v == "" {
			continue
		}
		if err := checkRevision(rv.name, rv.v); err != nil {
			return nil, err
		}
		cmd = append(cmd, rv.v)
	}
	return cmd, nil
}

// countFlag returns flag with n appended, as the one element of a slice,
// or nothing when n is not positive (the argument was left out; the
// schema admits no negative count).
func countFlag(flag string, n int) []string {
	if n <= 0 {
		return nil
	}
	return []string{flag + strconv.Itoa(n)}
}

// orNone returns s, or "(none)" when it is empty.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}

// truncNote is appended to output cut at the cap.
func truncNote(out output, limit int64) string {
	if !out.truncated {
		return ""
	}
	return fmt.Sprintf("\n[output truncated at %d bytes; narrow the request (paths, maxCount, a smaller range) to see the rest]", limit)
}
