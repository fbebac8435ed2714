package toolset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestErrorShowsOnlyPublicText checks that a handler's *Error reaches the
// caller as a tool error result with the public text only, however deep in
// the returned chain it is, while the operator's error keeps the cause.
func TestErrorShowsOnlyPublicText(t *testing.T) {
	_, cause := os.Lstat("/nonexistent-host-dir/secret")
	require.Error(t, cause)
	e := Wrapf(cause, "cannot use %q", "repo")
	require.ErrorIs(t, e, fs.ErrNotExist)
	require.Contains(t, e.Error(), "/nonexistent-host-dir/secret")

	for name, ret := range map[string]error{"direct": e, "wrapped": fmt.Errorf("layer: %w", e)} {
		t.Run(name, func(t *testing.T) {
			s := New(Tool{Def: ironcurtain.Tool{Name: "t", InputSchema: []byte(`{"type":"object"}`)},
				Handle: func(context.Context, map[string]any) (ironcurtain.Result, error) { return ironcurtain.Result{}, ret }})
			res, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t"})
			require.NoError(t, err)
			require.True(t, res.IsError)
			require.Equal(t, `cannot use "repo"`, res.Text())
		})
	}
}

// TestOtherErrorsStayGoErrors checks that an error that is not an *Error
// is not shown to the model.
func TestOtherErrorsStayGoErrors(t *testing.T) {
	boom := errors.New("boom at /host/path")
	s := New(Tool{Def: ironcurtain.Tool{Name: "t", InputSchema: []byte(`{"type":"object"}`)},
		Handle: func(context.Context, map[string]any) (ironcurtain.Result, error) { return ironcurtain.Result{}, boom }})
	_, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "t"})
	require.ErrorIs(t, err, boom)
	_, ok := AsError(err)
	require.False(t, ok)
	require.Equal(t, "no cause", Failf("no %s", "cause").Error())
}
