// Package anthropic is a [compile.Model] backed by Anthropic's Messages
// API, through the official SDK (github.com/anthropics/anthropic-sdk-go).
// It lives apart from package compile so that the deterministic front end
// builds without it.
//
//	m, err := anthropic.New(anthropic.Config{Model: "claude-sonnet-4-5", APIKey: key})
//	if err != nil { ... }
//	res, err := compile.Compile(ctx, src, compile.Options{Model: m, CacheDir: dir})
package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// Config configures a Model. Nothing is read from the environment: the
// caller passes the key (a CLI reads ANTHROPIC_API_KEY itself).
type Config struct {
	// Model is the model ID, such as "claude-sonnet-4-5". Required.
	Model string
	// APIKey authenticates the requests. Required.
	APIKey string
	// BaseURL replaces the API's address, for a proxy or a test server.
	BaseURL string
	// HTTPClient, if set, sends the requests.
	HTTPClient *http.Client
	// MaxRetries bounds the SDK's retries of transport errors, rate limits
	// and server errors; zero means the SDK's default, negative none.
	MaxRetries int
}

// Model sends each request as one Messages API call at temperature 0. It
// is safe for concurrent use.
type Model struct {
	client sdk.Client
	model  string
}

var _ compile.Model = (*Model)(nil)

// New returns a Model for cfg.
func New(cfg Config) (*Model, error) {
	if cfg.Model == "" {
		return nil, errors.New("anthropic: no model given")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("anthropic: no API key given")
	}
	opts := []option.RequestOption{option.WithoutEnvironmentDefaults(), option.WithAPIKey(cfg.APIKey), option.WithoutOpenTelemetry()}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	switch {
	case cfg.MaxRetries < 0:
		opts = append(opts, option.WithMaxRetries(0))
	case cfg.MaxRetries > 0:
		opts = append(opts, option.WithMaxRetries(cfg.MaxRetries))
	}
	return &Model{client: sdk.NewClient(opts...), model: cfg.Model}, nil
}

// Name returns "anthropic:" and the model ID.
func (m *Model) Name() string { return "anthropic:" + m.model }

// Complete sends the request and returns the text of the answer. An answer
// cut short by the token limit, or refused, is an error.
func (m *Model) Complete(ctx context.Context, req compile.Request) (compile.Response, error) {
	params := sdk.MessageNewParams{
		Model:       m.model,
		MaxTokens:   int64(req.MaxTokens),
		Temperature: sdk.Float(0),
	}
	if params.MaxTokens <= 0 {
		params.MaxTokens = 8192
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	for _, msg := range req.Messages {
		block := sdk.NewTextBlock(msg.Text)
		switch msg.Role {
		case "user":
			params.Messages = append(params.Messages, sdk.NewUserMessage(block))
		case "assistant":
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(block))
		default:
			return compile.Response{}, fmt.Errorf("anthropic: unknown message role %q", msg.Role)
		}
	}
	msg, err := m.client.Messages.New(ctx, params)
	if err != nil {
		return compile.Response{}, fmt.Errorf("anthropic: %w", err)
	}
	switch msg.StopReason {
	case sdk.StopReasonMaxTokens:
		return compile.Response{}, fmt.Errorf("anthropic: the answer was cut off at %d tokens", params.MaxTokens)
	case sdk.StopReasonRefusal:
		return compile.Response{}, errors.New("anthropic: the model refused to answer")
	}
	var b strings.Builder
	for _, c := range msg.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return compile.Response{Text: b.String()}, nil
}
