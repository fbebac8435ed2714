package fs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

// newTestServer returns a server rooted at a fresh temporary directory
// (plus any extra roots in opts), and that directory, symlink-resolved.
func newTestServer(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	opts.Roots = append([]string{dir}, opts.Roots...)
	s, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, dir
}

// call runs a tool and requires that it ran (tool-level errors are in the
// result).
func call(t testing.TB, s *Server, tool string, args map[string]any) ironcurtain.Result {
	t.Helper()
	res, err := s.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tool, Arguments: args})
	require.NoError(t, err)
	return res
}

// callOK runs a tool and requires success.
// textCase is a call's arguments and the text its result must hold.
type textCase struct {
	name string
	args map[string]any
	want string
}

// requireTexts calls tool with each case's arguments, in a subtest of
// the case's name, and requires the result's text to be want: the same
// string, or with asJSON the same JSON value.
func requireTexts(t *testing.T, s *Server, tool string, asJSON bool, cases []textCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := callOK(t, s, tool, tt.args).Text()
			if asJSON {
				require.JSONEq(t, tt.want, got)
			} else {
				require.Equal(t, tt.want, got)
			}
		})
	}
}

func callOK(t testing.TB, s *Server, tool string, args map[string]any) ironcurtain.Result {
	t.Helper()
	res := call(t, s, tool, args)
	require.False(t, res.IsError, "%s: %s", tool, res.Text())
	return res
}

// callErr runs a tool and requires a tool-level error containing want.
func callErr(t testing.TB, s *Server, tool string, args map[string]any, want string) ironcurtain.Result {
	t.Helper()
	res := call(t, s, tool, args)
	require.True(t, res.IsError, "%s succeeded: %s", tool, res.Text())
	require.Contains(t, res.Text(), want)
	return res
}

func writeTestFile(t testing.TB, path, content string) {
	t.Helper()
	testtree.WriteFile(t, path, content)
}

func readTestFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func args(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}
