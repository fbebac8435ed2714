package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

// TestServeAutoApprove: with autoApprove configured, serve asks the model
// about an escalated call before the person, and runs what it approved;
// a model that does not approve leaves the call to the person (here:
// nobody, so it is denied).
func TestServeAutoApprove(t *testing.T) {
	for _, tc := range []struct {
		answer string
		ran    bool
	}{
		{`{"decision":"approve","reasoning":"the user asked for this file"}`, true},
		{`{"decision":"escalate","reasoning":"not asked for"}`, false},
	} {
		model := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Text: tc.answer}))
		t.Setenv("OPENAI_API_KEY", "test-key")
		t.Setenv("OPENAI_BASE_URL", model.URL+"/v1")
		dir := t.TempDir()
		outside := filepath.Join(dir, "outside.txt")
		cfg := defaultServeConfig(filepath.Join(dir, "box"), filepath.Join(dir, "state", "audit.jsonl"))
		cfg.Approver = "deny"
		cfg.AutoApprove = &serveAutoApprove{Model: "openai:local-model", Instruction: "write hello to " + outside}
		require.NoError(t, cfg.check())
		ctx := serveContext(t)
		rt, err := startServe(ctx, cfg, io.Discard, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		_, err = rt.stack.Gate.Call(ctx, ironcurtain.ToolCall{Server: "filesystem", Tool: "write_file",
			Arguments: map[string]any{"path": outside, "content": "hello"}})
		rt.Close()
		_, statErr := os.Stat(outside)
		if tc.ran {
			require.NoError(t, err)
			require.NoError(t, statErr)
		} else {
			require.ErrorIs(t, err, ironcurtain.ErrDenied)
			require.True(t, os.IsNotExist(statErr))
		}
		reqs := model.Requests()
		require.Len(t, reqs, 1, "the model was asked once")
		require.Contains(t, reqs[0].Last(), "outside.txt", "the model saw the call")
		log, err := os.ReadFile(cfg.Audit)
		require.NoError(t, err)
		require.Equal(t, tc.ran, strings.Contains(string(log), `"by":"auto:`), "the audit log names the model as the approver")
	}
}

func TestServeAutoApproveFlags(t *testing.T) {
	var stderr strings.Builder
	code := runServe(t.Context(), []string{"--sandbox", t.TempDir(), "--auto-approve", "openai:m"}, strings.NewReader(""), io.Discard, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), "--instruction")
	cfg := defaultServeConfig("box", "")
	cfg.AutoApprove = &serveAutoApprove{Model: "openai:m"}
	require.ErrorContains(t, cfg.check(), "autoApprove")
}
