package openai_test

import (
	"errors"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/openai"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

func newModel(t testing.TB, srv *llmtest.Server, key string) agent.Model {
	m, err := openai.New(openai.Options{Model: "test-model", APIKey: ironcurtain.NewSecret(key), BaseURL: srv.URL + "/v1"})
	require.NoError(t, err)
	return m
}

var provider = llmtest.Provider{
	Serve:     llmtest.NewOpenAI,
	Model:     newModel,
	KeyHeader: "Authorization",
	KeyValue:  func(key string) string { return "Bearer " + key },
	StopEnd:   "stop", StopLength: "length", StopRefusal: "content_filter",
}

// The agent loop over the real SDK and a server speaking Chat Completions.
func TestLoop(t *testing.T) {
	setHostileEnv(t)
	llmtest.RunLoopTests(t, provider)
}

// setHostileEnv sets every variable the SDK would read by default, each to
// something that would break the tests if it were used.
func setHostileEnv(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "env-key-must-not-be-used")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_ORG_ID", "env-org")
	t.Setenv("OPENAI_PROJECT_ID", "env-project")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Leak: env-header")
}

func TestNew(t *testing.T) {
	llmtest.RunNewTests(t, "openai:", "http://127.0.0.1:1/v1", func(model string, key ironcurtain.Secret, baseURL string) (interface{ Name() string }, error) {
		return openai.New(openai.Options{Model: model, APIKey: key, BaseURL: baseURL})
	})
}

// A local server without a key gets no Authorization header, and none of
// the environment's settings.
func TestNoKeyNoEnvironment(t *testing.T) {
	setHostileEnv(t)
	srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Text: "hi"}))
	m, err := openai.New(openai.Options{Model: "local", BaseURL: srv.URL + "/v1"})
	require.NoError(t, err)
	_, err = m.Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
	require.NoError(t, err)
	h := srv.Requests()[0].Header
	for _, name := range []string{"Authorization", "OpenAI-Organization", "OpenAI-Project", "X-Leak"} {
		require.Empty(t, h.Get(name), name)
	}
}

func TestComplete(t *testing.T) {
	cases := []struct {
		reply llmtest.Reply
		want  agent.Response
	}{
		{llmtest.Reply{Text: "hi", Stop: "stop", InputTokens: 7, CachedTokens: 5, OutputTokens: 3},
			agent.Response{Text: "hi", Finish: agent.FinishEnd, Usage: agent.Usage{InputTokens: 7, OutputTokens: 3}}},
		{llmtest.Reply{Text: "h", Stop: "length"}, agent.Response{Text: "h", Finish: agent.FinishLength}},
		{llmtest.Reply{Text: "", Stop: "content_filter"}, agent.Response{Finish: agent.FinishRefusal}},
		{llmtest.Reply{Refusal: "I can't help with that.", Stop: "stop"}, agent.Response{Text: "I can't help with that.", Finish: agent.FinishRefusal}},
		{llmtest.Reply{Text: "x", Stop: "tool_calls"}, agent.Response{Text: "x", Finish: "tool_calls"}},
	}
	for _, tc := range cases {
		t.Run(tc.reply.Stop+tc.reply.Refusal, func(t *testing.T) {
			srv := llmtest.NewOpenAI(t, llmtest.Script(tc.reply))
			resp, err := newModel(t, srv, "sk-x").Complete(t.Context(), agent.Request{System: "be brief", MaxTokens: 64, Messages: []agent.Message{
				{Role: agent.User, Text: "q"}, {Role: agent.Assistant, Text: "a"}, {Role: agent.User, Text: "q2"}}})
			require.NoError(t, err)
			require.Equal(t, tc.want, resp)
			r := srv.Requests()[0]
			require.Equal(t, "be brief", r.System)
			require.Equal(t, 64, r.MaxTokens)
			require.Equal(t, "max_completion_tokens", r.MaxTokensField)
			require.Equal(t, []llmtest.Message{{Role: "user", Text: "q"}, {Role: "assistant", Text: "a"}, {Role: "user", Text: "q2"}}, r.Messages)
		})
	}
	t.Run("legacy max_tokens", func(t *testing.T) {
		srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Text: "hi"}))
		m, err := openai.New(openai.Options{Model: "old", BaseURL: srv.URL + "/v1", LegacyMaxTokens: true})
		require.NoError(t, err)
		_, err = m.Complete(t.Context(), agent.Request{MaxTokens: 9, Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		require.NoError(t, err)
		require.Equal(t, "max_tokens", srv.Requests()[0].MaxTokensField)
		require.Equal(t, 9, srv.Requests()[0].MaxTokens)
	})
	t.Run("no cap, no system prompt", func(t *testing.T) {
		srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Text: "hi"}))
		_, err := newModel(t, srv, "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		require.NoError(t, err)
		require.Empty(t, srv.Requests()[0].MaxTokensField)
		require.Empty(t, srv.Requests()[0].System)
	})
	t.Run("no choices", func(t *testing.T) {
		srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Raw: `{"id":"x","object":"chat.completion","choices":[]}`}))
		_, err := newModel(t, srv, "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		require.ErrorContains(t, err, "no choices")
	})
	t.Run("unknown role", func(t *testing.T) {
		_, err := newModel(t, llmtest.NewOpenAI(t, llmtest.Script()), "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: "tool"}}})
		require.ErrorContains(t, err, "unknown message role")
	})
	t.Run("the SDK's error is reachable", func(t *testing.T) {
		srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Status: 404, Text: "model not found"}))
		_, err := newModel(t, srv, "k").Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "q"}}})
		var apiErr *sdk.Error
		require.True(t, errors.As(err, &apiErr))
		require.Equal(t, 404, apiErr.StatusCode)
	})
}
