package toolset

import (
	"errors"
	"fmt"

	"github.com/ironcurtain-go/ironcurtain"
)

// Error is a tool failure the model is shown. Public is all the model sees:
// it is written for the model, from what the model gave and what it may
// know. Cause is the internal detail behind it (an *os.PathError with a host
// path, a program's raw output), kept for the operator and never shown.
//
// A handler returns an *Error as its error; [Set.Call] turns it into a
// tool-level error result carrying Public only.
type Error struct {
	// Public is the text shown to the model.
	Public string
	// Cause is the internal error behind the failure; it may be nil.
	Cause error
}

// Failf returns an *Error whose public text is the formatted message and
// which has no cause. Every operand must be fit for the model.
func Failf(format string, a ...any) error {
	return &Error{Public: fmt.Sprintf(format, a...)}
}

// Wrapf returns an *Error whose public text is the formatted message and
// whose cause is cause. The operands must be fit for the model; cause need
// not be.
func Wrapf(cause error, format string, a ...any) error {
	return &Error{Public: fmt.Sprintf(format, a...), Cause: cause}
}

// Error describes the failure for the operator: the public text and the
// cause.
func (e *Error) Error() string {
	if e.Cause == nil {
		return e.Public
	}
	return e.Public + " (" + e.Cause.Error() + ")"
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Result returns the tool-level error result the model is shown: Public,
// and nothing of the cause. The result carries e's operator text (Public and
// Cause) for the audit log, which a Gate records and never passes on (see
// [ironcurtain.ErrorResultWithCause]).
func (e *Error) Result() ironcurtain.Result {
	if e.Cause == nil {
		return ironcurtain.ErrorResult(e.Public)
	}
	return ironcurtain.ErrorResultWithCause(e.Public, e)
}

// AsError returns the *Error in err's chain, if there is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
