// Package openai is an [agent.Model] backed by OpenAI's Chat Completions
// API, through the official SDK (github.com/openai/openai-go/v3), and so
// by any server that speaks it: vLLM, llama.cpp's server, Ollama, LM
// Studio, gateways. It is a package of its own so that only programs that
// use it link the SDK.
//
//	m, err := openai.New(openai.Options{
//		Model:   "qwen2.5-coder:32b",
//		BaseURL: "http://localhost:11434/v1", // a local server; no key needed
//	})
//	if err != nil { ... }
//	tr, err := agent.Run(ctx, agent.Config{Model: m, ...})
//
// Nothing is read from the environment: the SDK's OPENAI_API_KEY,
// OPENAI_BASE_URL, OPENAI_ORG_ID and the like are ignored, so that a key
// meant for one server is never sent to another. The key, if any, is sent
// in the Authorization header, to BaseURL only.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// DefaultBaseURL is OpenAI's API.
const DefaultBaseURL = "https://api.openai.com/v1/"

// Options configures a [Model].
type Options struct {
	// Model is the model's name on the server, such as "gpt-5". Required.
	Model string
	// APIKey authenticates the requests. Required for OpenAI's API; a
	// local server usually needs none.
	APIKey ironcurtain.Secret
	// BaseURL is the server's API root, ending in /v1 for most servers
	// ("http://localhost:8000/v1"). Empty means DefaultBaseURL.
	BaseURL string
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// MaxRetries bounds the SDK's retries, as [agent.SDKRetries] reads
	// it: zero means the SDK's default, negative means none.
	MaxRetries int
	// LegacyMaxTokens sends the answer's token cap as max_tokens, for
	// servers that do not know max_completion_tokens (OpenAI's own API
	// has deprecated max_tokens, and some of its models refuse it).
	LegacyMaxTokens bool
	// Name is what Model.Name returns, for a provider reached through its
	// OpenAI-compatible endpoint ("google:gemini-2.5-flash"). Empty means
	// "openai:" and the model's name.
	Name string
}

// Model sends each request as one chat completion. It is safe for
// concurrent use.
type Model struct {
	completions sdk.ChatCompletionService
	model       string
	name        string
	legacy      bool
}

var _ agent.Model = (*Model)(nil)

// New returns a Model for opts.
func New(opts Options) (*Model, error) {
	if opts.Model == "" {
		return nil, errors.New("openai: no model given")
	}
	base := opts.BaseURL
	if base == "" {
		if opts.APIKey.IsZero() {
			return nil, errors.New("openai: no API key given")
		}
		base = DefaultBaseURL
	}
	// The service is built from our options alone: sdk.NewClient would
	// add the OPENAI_* environment first.
	ro := []option.RequestOption{option.WithBaseURL(base)}
	if !opts.APIKey.IsZero() {
		ro = append(ro, option.WithAPIKey(opts.APIKey.Reveal()))
	}
	if opts.HTTPClient != nil {
		ro = append(ro, option.WithHTTPClient(opts.HTTPClient))
	}
	if n, set := agent.SDKRetries(opts.MaxRetries); set {
		ro = append(ro, option.WithMaxRetries(n))
	}
	name := opts.Name
	if name == "" {
		name = "openai:" + opts.Model
	}
	return &Model{completions: sdk.NewChatCompletionService(ro...), model: opts.Model, name: name, legacy: opts.LegacyMaxTokens}, nil
}

// Name returns Options.Name, by default "openai:" and the model's name.
func (m *Model) Name() string { return m.name }

// Complete sends req. An HTTP error after the SDK's retries is returned
// wrapped; it satisfies errors.As with *sdk.Error, which carries the
// status code.
func (m *Model) Complete(ctx context.Context, req agent.Request) (agent.Response, error) {
	params := sdk.ChatCompletionNewParams{Model: m.model}
	if req.MaxTokens > 0 {
		if m.legacy {
			params.MaxTokens = sdk.Int(int64(req.MaxTokens))
		} else {
			params.MaxCompletionTokens = sdk.Int(int64(req.MaxTokens))
		}
	}
	if req.Temperature != nil {
		params.Temperature = sdk.Float(*req.Temperature)
	}
	if req.System != "" {
		params.Messages = append(params.Messages, sdk.SystemMessage(req.System))
	}
	for _, msg := range req.Messages {
		switch msg.Role {
		case agent.User:
			params.Messages = append(params.Messages, sdk.UserMessage(msg.Text))
		case agent.Assistant:
			params.Messages = append(params.Messages, sdk.AssistantMessage(msg.Text))
		default:
			return agent.Response{}, fmt.Errorf("openai: unknown message role %q", msg.Role)
		}
	}
	cc, err := m.completions.New(ctx, params)
	if err != nil {
		// The SDK's error text holds only the status; the server's own
		// message says what was wrong.
		if apiErr, ok := errors.AsType[*sdk.Error](err); ok && apiErr.Message != "" {
			return agent.Response{}, fmt.Errorf("openai: %w: %s", err, oneLine(apiErr.Message, 500))
		}
		return agent.Response{}, fmt.Errorf("openai: %w", err)
	}
	if len(cc.Choices) == 0 {
		return agent.Response{}, errors.New("openai: the response has no choices")
	}
	c := cc.Choices[0]
	resp := agent.Response{
		Text:   c.Message.Content,
		Finish: finish(c.FinishReason),
		Usage:  agent.Usage{InputTokens: cc.Usage.PromptTokens, OutputTokens: cc.Usage.CompletionTokens},
	}
	if c.Message.Refusal != "" {
		resp.Text, resp.Finish = c.Message.Refusal, agent.FinishRefusal
	}
	return resp, nil
}

// oneLine keeps the first n bytes of s, on one line, for an error text.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

func finish(r string) agent.Finish {
	switch r {
	case "stop":
		return agent.FinishEnd
	case "length":
		return agent.FinishLength
	case "content_filter":
		return agent.FinishRefusal
	}
	return agent.Finish(r)
}
