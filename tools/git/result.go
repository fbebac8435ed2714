package git

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// userError is a failure the model should see as a tool result: a refused
// argument, a git error, a path outside the roots.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func userErrorf(format string, a ...any) error { return &userError{fmt.Sprintf(format, a...)} }

func userErr(err error) error { return &userError{err.Error()} }

// handler is a tool's implementation. Errors of type *userError, time
// limits, output caps and invalid arguments become IsError results;
// anything else (a cancelled ctx, a closed server) stays a Go error.
type handler func(ctx context.Context, args map[string]any) (ironcurtain.Result, error)

func wrap(h handler) toolset.Handler {
	return func(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
		res, err := h(ctx, args)
		if err == nil {
			return res, nil
		}
		var ue *userError
		var te *timeoutError
		switch {
		case errors.As(err, &ue):
			return toolset.Errorf("%s", ue.msg), nil
		case errors.As(err, &te), errors.Is(err, ironcurtain.ErrLimit), errors.Is(err, ironcurtain.ErrInvalidArguments):
			return toolset.Errorf("%s", err.Error()), nil
		}
		return ironcurtain.Result{}, err
	}
}

// decode turns arguments into a typed struct; a mismatch is shown to the
// model.
func decode[T any](args map[string]any) (T, error) {
	v, err := toolset.Decode[T](args)
	if err != nil {
		return v, userErr(err)
	}
	return v, nil
}

// gitFailed turns a non-zero exit into a tool error with git's message.
func (s *Server) gitFailed(args []string, out output) error {
	msg := s.clean(out.stderr)
	if msg == "" {
		msg = s.clean(out.stdout)
	}
	return userErrorf("git %s failed (exit status %d): %s", subcommand(args), out.code, msg)
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
