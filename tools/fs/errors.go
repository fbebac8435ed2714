package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// fail returns a tool-level error result: what could not be done, to
// which path (as the agent wrote it), and why. It is the result of a
// *toolset.Error whose cause is err, so the OS error behind the reason goes
// to the audit log and not to the model.
func fail(op, path string, err error) ironcurtain.Result {
	return failure(failText(op, path, err), err).Result()
}

// failure is the tool error showing public, with cause for the operator.
func failure(public string, cause error) *toolset.Error {
	return &toolset.Error{Public: public, Cause: cause}
}

// failCall turns the error of an operation into the call's outcome: a Go
// error when ctx ended (the call did not run to its end), and otherwise a
// tool-level error result. An error inside a walk names the entry where it
// happened, beneath arg.
func failCall(ctx context.Context, op, arg string, err error) (ironcurtain.Result, error) {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ironcurtain.Result{}, ctx.Err()
	}
	var we *walkError
	if errors.As(err, &we) {
		arg, err = path.Join(filepath.ToSlash(arg), we.rel), we.err
	}
	return fail(op, arg, err), nil
}

// failText words a failed operation for the model. It never includes a host
// path the agent did not write, nor any internal detail beyond the reason.
func failText(op, path string, err error) string {
	return fmt.Sprintf("cannot %s %s: %s", op, display(path), reason(err))
}

// reason returns the model-facing reason of err. Errors from the os package
// carry host paths (the root's directory joined to the name), so only their
// innermost cause — an errno text such as "not a directory" — is kept.
func reason(err error) string {
	switch {
	case isEscape(err):
		return "it leads outside the allowed directories"
	case errors.Is(err, iofs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, iofs.ErrPermission):
		return "permission denied"
	case errors.Is(err, iofs.ErrExist):
		return "it already exists"
	}
	for {
		var (
			pe *os.PathError
			le *os.LinkError
			se *os.SyscallError
		)
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		case errors.As(err, &se):
			err = se.Err
		default:
			return err.Error()
		}
	}
}

// limitError reports a configured limit that a call reached.
type limitError struct {
	what  string // "the file is 12.0 MiB", "the directory has more than 10000 entries"
	limit string // "the read limit of 10.0 MiB (MaxReadBytes)"
	hint  string // what to do instead; may be empty
}

func (e *limitError) Error() string {
	s := e.what + ", over " + e.limit
	if e.hint != "" {
		s += "; " + e.hint
	}
	return s
}

// Is makes a limitError match ironcurtain.ErrLimit.
func (e *limitError) Is(target error) bool { return target == ironcurtain.ErrLimit }

func readLimit(n int64) string  { return "the read limit of " + size(n) + " (MaxReadBytes)" }
func writeLimit(n int64) string { return "the write limit of " + size(n) + " (MaxWriteBytes)" }
func entryLimit(n int) string   { return "the limit of " + strconv.Itoa(n) + " entries (MaxEntries)" }

// size formats a byte count for people and models: "512 B", "1.5 KiB".
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// display quotes a path or name for output when it holds anything that
// could be mistaken for structure in a listing (a newline, a control
// character, invalid UTF-8, leading or trailing space), and returns it as
// it is otherwise.
func display(name string) string {
	if name == "" || strings.TrimSpace(name) != name || !utf8.ValidString(name) {
		return strconv.Quote(name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return strconv.Quote(name)
		}
	}
	return name
}
