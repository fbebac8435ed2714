package anthropic_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy/compile"
	"github.com/ironcurtain-go/ironcurtain/policy/compile/anthropic"
	"github.com/ironcurtain-go/ironcurtain/policy/compile/anthropic/anthropictest"
)

func TestNewNeedsModelAndKey(t *testing.T) {
	_, err := anthropic.New(anthropic.Config{APIKey: "k"})
	require.ErrorContains(t, err, "no model")
	_, err = anthropic.New(anthropic.Config{Model: "m"})
	require.ErrorContains(t, err, "no API key")
}

func TestComplete(t *testing.T) {
	srv := anthropictest.NewServer(func(r anthropictest.Request) anthropictest.Reply {
		switch r.Last() {
		case "long":
			return anthropictest.Reply{Text: "cut", StopReason: "max_tokens"}
		case "fail":
			return anthropictest.Reply{Status: 429}
		}
		return anthropictest.Reply{Text: "echo: " + r.Last()}
	})
	defer srv.Close()
	m, err := anthropic.New(anthropic.Config{Model: "claude-test", APIKey: "secret", BaseURL: srv.URL, MaxRetries: -1})
	require.NoError(t, err)
	require.Equal(t, "anthropic:claude-test", m.Name())

	ctx := context.Background()
	resp, err := m.Complete(ctx, compile.Request{System: "be brief", MaxTokens: 100, Messages: []compile.Message{
		{Role: "user", Text: "first"}, {Role: "assistant", Text: "answer"}, {Role: "user", Text: "hello"}}})
	require.NoError(t, err)
	require.Equal(t, "echo: hello", resp.Text)
	r := srv.Requests()[0]
	require.Equal(t, "be brief", r.System)
	require.Equal(t, 100, r.MaxTokens)
	require.Equal(t, "secret", r.APIKey)
	require.Equal(t, []anthropictest.Message{{Role: "user", Text: "first"}, {Role: "assistant", Text: "answer"}, {Role: "user", Text: "hello"}}, r.Messages)

	_, err = m.Complete(ctx, compile.Request{Messages: []compile.Message{{Role: "user", Text: "long"}}})
	require.ErrorContains(t, err, "cut off")
	_, err = m.Complete(ctx, compile.Request{Messages: []compile.Message{{Role: "user", Text: "fail"}}})
	require.ErrorContains(t, err, "429")
	_, err = m.Complete(ctx, compile.Request{Messages: []compile.Message{{Role: "system", Text: "x"}}})
	require.ErrorContains(t, err, "unknown message role")
}
