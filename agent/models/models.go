// Package models opens an [agent.Model] from a "provider:model" string,
// such as "anthropic:claude-sonnet-4-5" or "openai:gpt-5". It imports both
// provider packages, and with them both SDKs: a program that needs one
// provider imports agent/anthropic or agent/openai instead.
//
//	spec := "anthropic:claude-sonnet-4-5"
//	opts, err := models.EnvOptions(spec, os.Getenv) // ANTHROPIC_API_KEY, ...
//	if err != nil { ... }
//	model, err := models.Open(spec, opts)
//
// The providers:
//
//   - anthropic: Anthropic's Messages API (agent/anthropic).
//   - openai: OpenAI's Chat Completions API, or any server compatible with
//     it given its BaseURL — "openai:qwen2.5-coder" with BaseURL
//     "http://localhost:11434/v1" talks to a local Ollama (agent/openai).
//   - google: Google's Gemini API, through its OpenAI-compatible endpoint
//     ([GoogleBaseURL]), with the agent/openai client.
//
// The model part is everything after the first colon, so names that hold
// colons themselves ("openai:llama3.1:8b") work.
package models

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/anthropic"
	"github.com/ironcurtain-go/ironcurtain/agent/openai"
)

// The providers Open knows.
const (
	Anthropic = "anthropic"
	OpenAI    = "openai"
	Google    = "google"
)

// GoogleBaseURL is the Gemini API's OpenAI-compatible endpoint, the
// default BaseURL of the google provider.
const GoogleBaseURL = "https://generativelanguage.googleapis.com/v1beta/openai/"

// envPrefix is where EnvOptions looks for a provider's key and base URL:
// Google's own tools name the key GEMINI_API_KEY.
var envPrefix = map[string]string{Anthropic: "ANTHROPIC_", OpenAI: "OPENAI_", Google: "GEMINI_"}

// Options configures the model Open returns; each provider's package
// documents the fields' defaults.
type Options struct {
	// APIKey authenticates the requests; sent only to the provider's API
	// (or BaseURL), in the provider's own header.
	APIKey ironcurtain.Secret
	// BaseURL replaces the provider's API address: a proxy, a test server,
	// a local OpenAI-compatible server.
	BaseURL string
	// HTTPClient sends the requests. Nil means the SDK's default.
	HTTPClient *http.Client
	// MaxRetries bounds the SDK's retries; zero means its default (2),
	// negative none.
	MaxRetries int
}

// Parse splits a "provider:model" string and checks the provider.
func Parse(spec string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(strings.TrimSpace(spec), ":")
	switch {
	case !ok || model == "" || strings.TrimSpace(model) != model:
		return "", "", fmt.Errorf("models: %q is not provider:model (e.g. anthropic:claude-sonnet-4-5)", spec)
	case provider != Anthropic && provider != OpenAI && provider != Google:
		return "", "", fmt.Errorf("models: unknown provider %q (want %s, %s or %s)", provider, Anthropic, OpenAI, Google)
	}
	return provider, model, nil
}

// Open returns the model spec names, configured by opts. It makes no
// request.
func Open(spec string, opts Options) (agent.Model, error) {
	provider, model, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	switch provider {
	case Anthropic:
		return anthropic.New(anthropic.Options{Model: model, APIKey: opts.APIKey, BaseURL: opts.BaseURL,
			HTTPClient: opts.HTTPClient, MaxRetries: opts.MaxRetries})
	case Google:
		base := opts.BaseURL
		if base == "" {
			if opts.APIKey.IsZero() {
				return nil, errors.New("models: google: no API key given (GEMINI_API_KEY)")
			}
			base = GoogleBaseURL
		}
		// max_tokens is the field the endpoint documents.
		return openai.New(openai.Options{Model: model, APIKey: opts.APIKey, BaseURL: base, HTTPClient: opts.HTTPClient,
			MaxRetries: opts.MaxRetries, LegacyMaxTokens: true, Name: Google + ":" + model})
	}
	return openai.New(openai.Options{Model: model, APIKey: opts.APIKey, BaseURL: opts.BaseURL,
		HTTPClient: opts.HTTPClient, MaxRetries: opts.MaxRetries})
}

// EnvOptions reads the provider's own variables through getenv (pass
// os.Getenv): ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, OPENAI_API_KEY
// and OPENAI_BASE_URL, or GEMINI_API_KEY and GEMINI_BASE_URL. One
// provider's key is never read for another.
// It is an error if the provider would have neither a key nor a base URL.
func EnvOptions(spec string, getenv func(string) string) (Options, error) {
	provider, _, err := Parse(spec)
	if err != nil {
		return Options{}, err
	}
	prefix := envPrefix[provider]
	opts := Options{APIKey: ironcurtain.NewSecret(getenv(prefix + "API_KEY")), BaseURL: getenv(prefix + "BASE_URL")}
	if opts.APIKey.IsZero() && opts.BaseURL == "" {
		return Options{}, errors.New("models: set " + prefix + "API_KEY, or " + prefix + "BASE_URL for a server that needs no key")
	}
	return opts, nil
}
