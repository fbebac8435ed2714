package anthropic_test

import (
	"errors"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/anthropic"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

var provider = llmtest.Provider{
	Serve: llmtest.NewAnthropic,
	Model: func(t testing.TB, srv *llmtest.Server, key string) agent.Model {
		m, err := anthropic.New(anthropic.Options{Model: "test-model", APIKey: ironcurtain.NewSecret(key), BaseURL: srv.URL})
		require.NoError(t, err)
		return m
	},
	KeyHeader: "X-Api-Key",
	KeyValue:  func(key string) string { return key },
	StopEnd:   "end_turn", StopLength: "max_tokens", StopRefusal: "refusal",
}

// The agent loop over the real SDK and a server speaking the Messages API.
func TestLoop(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "env-key-must-not-be-used")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	llmtest.RunLoopTests(t, provider)
}

func TestNew(t *testing.T) {
	llmtest.RunNewTests(t, "anthropic:", "http://127.0.0.1:1", func(model string, key ironcurtain.Secret, baseURL string) (interface{ Name() string }, error) {
		return anthropic.New(anthropic.Options{Model: model, APIKey: key, BaseURL: baseURL})
	})
}

// What goes over the wire: the system prompt marked for caching, the
// turns, the token cap; usage counts cached input; stop reasons map.
func TestComplete(t *testing.T) {
	cases := []struct {
		stop string
		want agent.Finish
	}{
		{"end_turn", agent.FinishEnd},
		{"stop_sequence", agent.FinishEnd},
		{"max_tokens", agent.FinishLength},
		{"model_context_window_exceeded", agent.FinishLength},
		{"refusal", agent.FinishRefusal},
		{"pause_turn", agent.Finish("pause_turn")},
	}
	for _, tc := range cases {
		t.Run(tc.stop, func(t *testing.T) {
			srv := llmtest.NewAnthropic(t, llmtest.Script(llmtest.Reply{Text: "hi", Stop: tc.stop, InputTokens: 7, CachedTokens: 100, OutputTokens: 3}))
			m := provider.Model(t, srv, "sk-x")
			resp, err := m.Complete(t.Context(), agent.Request{System: "be brief", MaxTokens: 64, Messages: []agent.Message{
				{Role: agent.User, Text: "q"}, {Role: agent.Assistant, Text: "a"}, {Role: agent.User, Text: "q2"}}})
			require.NoError(t, err)
			require.Equal(t, agent.Response{Text: "hi", Finish: tc.want, Usage: agent.Usage{InputTokens: 107, OutputTokens: 3}}, resp)
			r := srv.Requests()[0]
			require.Equal(t, "be brief", r.System)
			require.True(t, r.CacheControl)
			require.Equal(t, 64, r.MaxTokens)
			require.Equal(t, []llmtest.Message{{Role: "user", Text: "q"}, {Role: "assistant", Text: "a"}, {Role: "user", Text: "q2"}}, r.Messages)
			require.Empty(t, r.Header.Get("Authorization"))
		})
	}
	t.Run("default token cap", func(t *testing.T) {
		srv := llmtest.NewAnthropic(t, llmtest.Script(llmtest.Reply{Text: "hi"}))
		_, err := provider.Model(t, srv, "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		require.NoError(t, err)
		require.Equal(t, anthropic.DefaultMaxTokens, srv.Requests()[0].MaxTokens)
		require.Empty(t, srv.Requests()[0].System)
	})
	t.Run("unknown role", func(t *testing.T) {
		m := provider.Model(t, llmtest.NewAnthropic(t, llmtest.Script()), "k")
		_, err := m.Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: "system", Text: "x"}}})
		require.ErrorContains(t, err, "unknown message role")
	})
	t.Run("the SDK's error is reachable", func(t *testing.T) {
		srv := llmtest.NewAnthropic(t, llmtest.Script(llmtest.Reply{Status: 401, Text: "invalid x-api-key"}))
		_, err := provider.Model(t, srv, "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		var apiErr *sdk.Error
		require.True(t, errors.As(err, &apiErr))
		require.Equal(t, 401, apiErr.StatusCode)
	})
	t.Run("no retries when asked", func(t *testing.T) {
		srv := llmtest.NewAnthropic(t, llmtest.Script(llmtest.Retry(500), llmtest.Reply{Text: "hi"}))
		m, err := anthropic.New(anthropic.Options{Model: "m", APIKey: ironcurtain.NewSecret("k"), BaseURL: srv.URL, MaxRetries: -1})
		require.NoError(t, err)
		_, err = m.Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		require.ErrorContains(t, err, "500")
		require.Len(t, srv.Requests(), 1)
	})
}
