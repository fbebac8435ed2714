package models_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		spec, provider, model, err string
	}{
		{spec: "anthropic:claude-sonnet-4-5", provider: "anthropic", model: "claude-sonnet-4-5"},
		{spec: "openai:gpt-5", provider: "openai", model: "gpt-5"},
		{spec: "openai:llama3.1:8b", provider: "openai", model: "llama3.1:8b"},
		{spec: "  openai:gpt-5\n", provider: "openai", model: "gpt-5"},
		{spec: "claude-sonnet-4-5", err: "not provider:model"},
		{spec: "anthropic:", err: "not provider:model"},
		{spec: "anthropic: claude", err: "not provider:model"},
		{spec: "google:gemini-2.5-flash", provider: "google", model: "gemini-2.5-flash"},
		{spec: "gemini:pro", err: "unknown provider"},
		{spec: "Anthropic:claude", err: "unknown provider"},
		{spec: "", err: "not provider:model"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			p, m, err := models.Parse(tc.spec)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.provider, p)
			require.Equal(t, tc.model, m)
		})
	}
}

func TestOpen(t *testing.T) {
	m, err := models.Open("anthropic:claude-haiku-4-5", models.Options{BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	require.Equal(t, "anthropic:claude-haiku-4-5", m.(interface{ Name() string }).Name())
	m, err = models.Open("openai:qwen:7b", models.Options{BaseURL: "http://127.0.0.1:1/v1"})
	require.NoError(t, err)
	require.Equal(t, "openai:qwen:7b", m.(interface{ Name() string }).Name())
	_, err = models.Open("openai:gpt-5", models.Options{})
	require.ErrorContains(t, err, "no API key")
	m, err = models.Open("google:gemini-2.5-flash", models.Options{APIKey: ironcurtain.NewSecret("g")})
	require.NoError(t, err)
	require.Equal(t, "google:gemini-2.5-flash", m.(interface{ Name() string }).Name())
	_, err = models.Open("google:gemini-2.5-flash", models.Options{})
	require.ErrorContains(t, err, "GEMINI_API_KEY")
	_, err = models.Open("x:y", models.Options{})
	require.ErrorContains(t, err, "unknown provider")
}

func TestEnvOptions(t *testing.T) {
	env := map[string]string{
		"ANTHROPIC_API_KEY": "ant-key",
		"OPENAI_BASE_URL":   "http://localhost:11434/v1",
	}
	getenv := func(k string) string { return env[k] }
	o, err := models.EnvOptions("anthropic:claude", getenv)
	require.NoError(t, err)
	require.Equal(t, "ant-key", o.APIKey.Reveal())
	require.Empty(t, o.BaseURL)

	o, err = models.EnvOptions("openai:llama", getenv)
	require.NoError(t, err)
	require.True(t, o.APIKey.IsZero(), "the Anthropic key is never read for OpenAI")
	require.Equal(t, "http://localhost:11434/v1", o.BaseURL)

	env["GEMINI_API_KEY"] = "gem-key"
	o, err = models.EnvOptions("google:gemini-2.5-pro", getenv)
	require.NoError(t, err)
	require.Equal(t, "gem-key", o.APIKey.Reveal())
	o, err = models.EnvOptions("openai:llama", getenv)
	require.NoError(t, err)
	require.True(t, o.APIKey.IsZero(), "the Gemini key is never read for OpenAI")
	delete(env, "GEMINI_API_KEY")
	_, err = models.EnvOptions("google:gemini-2.5-pro", getenv)
	require.ErrorContains(t, err, "GEMINI_API_KEY", "nor another provider's key for Google")

	_, err = models.EnvOptions("openai:llama", func(string) string { return "" })
	require.ErrorContains(t, err, "OPENAI_API_KEY")
	_, err = models.EnvOptions("nope", getenv)
	require.Error(t, err)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"anthropic:claude", "openai:a:b", ":", "", "openai:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, m, err := models.Parse(spec)
		if err != nil {
			return
		}
		require.Contains(t, []string{models.Anthropic, models.OpenAI, models.Google}, p)
		require.NotEmpty(t, m)
		p2, m2, err := models.Parse(p + ":" + m)
		require.NoError(t, err)
		require.Equal(t, [2]string{p, m}, [2]string{p2, m2})
	})
}

// The google provider speaks the OpenAI wire format to Gemini's
// compatible endpoint: the key as a bearer token, the cap as max_tokens.
func TestGoogleWire(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmtest.Script(llmtest.Reply{Text: "hi", InputTokens: 3, OutputTokens: 1}))
	m, err := models.Open("google:gemini-2.5-flash", models.Options{APIKey: ironcurtain.NewSecret("gem-key"), BaseURL: srv.URL + "/v1", MaxRetries: -1})
	require.NoError(t, err)
	resp, err := m.Complete(t.Context(), agent.Request{Messages: []agent.Message{{Role: agent.User, Text: "hello"}}, MaxTokens: 100})
	require.NoError(t, err)
	require.Equal(t, "hi", resp.Text)
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "gemini-2.5-flash", reqs[0].Model)
	require.Equal(t, "max_tokens", reqs[0].MaxTokensField)
	require.Equal(t, "Bearer gem-key", reqs[0].Header.Get("Authorization"))
}
