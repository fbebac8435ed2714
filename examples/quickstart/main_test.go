package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// requireRun runs the quickstart with cfg and requires every one of want in
// what it prints, which it returns.
func requireRun(t *testing.T, cfg config, want ...string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, cfg))
	got := out.String()
	for _, w := range want {
		require.True(t, strings.Contains(got, w), "missing %q in:\n%s", w, got)
	}
	return got
}

func TestQuickstart(t *testing.T) {
	got := requireRun(t, config{base: t.TempDir()},
		"read back 41 characters of plan.md",
		"allow     filesystem/write_file",
		"allow     git/git_commit",
		"deny      filesystem/read_text_file  structural-protected-path",
		"escalate  git/git_push",
		"escalate-git-push",
		"Audit log:",
	)
	require.NotContains(t, got, "The script stopped", got)
	if _, err := jail.Check(jail.Policy{}); err == nil {
		require.Contains(t, got, "Each git process runs in a jail of its own: landlock ABI")
	} else {
		require.Contains(t, got, "git runs without its jail on this machine")
	}
}

// TestQuickstartAgent runs the agent loop against a local server speaking
// the OpenAI Chat Completions wire format, through the real client.
func TestQuickstartAgent(t *testing.T) {
	answers := []string{
		"I will write the poem, then check the key.\n```ts\nfilesystem.write_file({ path: \"haiku.md\", content: \"iron curtain falls\" });\n" +
			"try { filesystem.read_text_file({ path: \"~/.ssh/id_rsa\" }); } catch (e) { console.log((e as Error).message); }\nreturn \"written\";\n```",
		"Done: haiku.md is written; the SSH key was off limits.",
	}
	var turn atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		i := int(turn.Add(1)) - 1
		if i >= len(answers) {
			i = len(answers) - 1
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": answers[i]}}},
			"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
		})
	}))
	defer srv.Close()
	m, err := models.Open("openai:test-model", models.Options{BaseURL: srv.URL + "/v1", APIKey: ironcurtain.NewSecret("test-key"), MaxRetries: -1})
	require.NoError(t, err)

	requireRun(t, config{base: t.TempDir(), task: "Write a haiku to haiku.md", model: m},
		"step 1: ran code, 2 tool calls",
		"step 2: answered",
		"Done: haiku.md is written",
		"allow     filesystem/write_file",
		"deny      filesystem/read_text_file  structural-protected-path",
	)
}
