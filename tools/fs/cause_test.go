package fs

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

// TestErrorCauseInAuditOnly: through a Gate, a failed filesystem call shows
// the agent the public reason only, while the audit entry of the call keeps
// the underlying OS error (the system call and what it was given) that the
// reason was made from.
func TestErrorCauseInAuditOnly(t *testing.T) {
	s, dir := newTestServer(t, Options{})
	writeTestFile(t, filepath.Join(dir, "f.txt"), "x")
	g := toolsettest.Gate(t, ServerName, s)

	tests := []struct {
		tool   string
		args   map[string]any
		public string
		cause  string
	}{
		{"read_text_file", args("path", "f.txt/x"), "cannot read f.txt/x: not a directory", "openat f.txt/x: not a directory"},
		{"write_file", args("path", "f.txt/x", "content", "x"), "cannot write f.txt/x: not a directory", "open " + filepath.Join(dir, "f.txt") + ": not a directory"},
		{"read_multiple_files", args("paths", []any{"missing", "f.txt/x"}), "cannot read missing: no such file or directory",
			`openat missing: no such file or directory\nopenat f.txt/x: not a directory`},
	}
	for i, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res, err := g.Call(context.Background(), ironcurtain.ToolCall{Server: ServerName, Tool: tt.tool, Arguments: tt.args})
			require.NoError(t, err)
			require.True(t, res.IsError, res.Text())
			require.Contains(t, res.Text(), tt.public)
			require.NotContains(t, res.Text(), dir)
			require.NotContains(t, res.Text(), "openat")
			a := ironcurtain.AgentResult(res, err)
			require.Equal(t, ironcurtain.ErrorResult(res.Text()), a, "nothing but the text reaches the agent")
			e := g.Audited()[i]
			require.Contains(t, e.Error, tt.public)
			require.Contains(t, e.Error, tt.cause, "the OS error, with its operation and any host path, is in the audit entry")
		})
	}
}
