// Package anthropic is an [agent.Model] backed by Anthropic's Messages API,
// through the official SDK (github.com/anthropics/anthropic-sdk-go). It is
// a package of its own so that only programs that use it link the SDK.
//
//	m, err := anthropic.New(anthropic.Options{
//		Model:  "claude-sonnet-4-5",
//		APIKey: ironcurtain.NewSecret(os.Getenv("ANTHROPIC_API_KEY")),
//	})
//	if err != nil { ... }
//	tr, err := agent.Run(ctx, agent.Config{Model: m, ...})
//
// Nothing is read from the environment: not the key, not a base URL, not
// a profile. The key is sent in the x-api-key header, to BaseURL only.
package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// DefaultMaxTokens caps an answer when the request does not.
const DefaultMaxTokens = 8192

// Options configures a [Model].
type Options struct {
	// Model is the model's ID, such as "claude-sonnet-4-5". Required.
	Model string
	// APIKey authenticates the requests. Required unless BaseURL is set (a
	// proxy that adds the key itself).
	APIKey ironcurtain.Secret
	// BaseURL replaces https://api.anthropic.com, for a proxy or a test
	// server.
	BaseURL string
	// HTTPClient sends the requests. Nil means the SDK's default.
	HTTPClient *http.Client
	// MaxRetries bounds the SDK's retries, as [agent.SDKRetries] reads
	// it: zero means the SDK's default, negative means none.
	MaxRetries int
}

// Model sends each request as one Messages API call, the system prompt
// marked for prompt caching (the loop sends the same one every step). It
// is safe for concurrent use.
type Model struct {
	client sdk.Client
	model  string
}

var _ agent.Model = (*Model)(nil)

// New returns a Model for opts.
func New(opts Options) (*Model, error) {
	if opts.Model == "" {
		return nil, errors.New("anthropic: no model given")
	}
	if opts.APIKey.IsZero() && opts.BaseURL == "" {
		return nil, errors.New("anthropic: no API key given")
	}
	ro := []option.RequestOption{option.WithoutEnvironmentDefaults(), option.WithoutOpenTelemetry()}
	if !opts.APIKey.IsZero() {
		ro = append(ro, option.WithAPIKey(opts.APIKey.Reveal()))
	}
	if opts.BaseURL != "" {
		ro = append(ro, option.WithBaseURL(opts.BaseURL))
	}
	if opts.HTTPClient != nil {
		ro = append(ro, option.WithHTTPClient(opts.HTTPClient))
	}
	if n, set := agent.SDKRetries(opts.MaxRetries); set {
		ro = append(ro, option.WithMaxRetries(n))
	}
	return &Model{client: sdk.NewClient(ro...), model: opts.Model}, nil
}

// Name returns "anthropic:" and the model's ID.
func (m *Model) Name() string { return "anthropic:" + m.model }

// Complete sends req. An HTTP error after the SDK's retries is returned
// wrapped; it satisfies errors.As with *sdk.Error, which carries the
// status code.
func (m *Model) Complete(ctx context.Context, req agent.Request) (agent.Response, error) {
	params := sdk.MessageNewParams{Model: m.model, MaxTokens: int64(req.MaxTokens)}
	if params.MaxTokens <= 0 {
		params.MaxTokens = DefaultMaxTokens
	}
	if req.Temperature != nil {
		params.Temperature = sdk.Float(*req.Temperature)
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System, CacheControl: sdk.NewCacheControlEphemeralParam()}}
	}
	for _, msg := range req.Messages {
		block := sdk.NewTextBlock(msg.Text)
		switch msg.Role {
		case agent.User:
			params.Messages = append(params.Messages, sdk.NewUserMessage(block))
		case agent.Assistant:
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(block))
		default:
			return agent.Response{}, fmt.Errorf("anthropic: unknown message role %q", msg.Role)
		}
	}
	msg, err := m.client.Messages.New(ctx, params)
	if err != nil {
		return agent.Response{}, fmt.Errorf("anthropic: %w", err)
	}
	if msg.Type != "message" || msg.StopReason == "" {
		return agent.Response{}, errors.New("anthropic: the response is not a complete message")
	}
	var b strings.Builder
	for _, c := range msg.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	u := msg.Usage
	return agent.Response{
		Text:   b.String(),
		Finish: finish(msg.StopReason),
		Usage: agent.Usage{
			InputTokens:  u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens,
			OutputTokens: u.OutputTokens,
		},
	}, nil
}

func finish(r sdk.StopReason) agent.Finish {
	switch r {
	case sdk.StopReasonEndTurn, sdk.StopReasonStopSequence:
		return agent.FinishEnd
	case sdk.StopReasonMaxTokens, sdk.StopReasonModelContextWindowExceeded:
		return agent.FinishLength
	case sdk.StopReasonRefusal:
		return agent.FinishRefusal
	}
	return agent.Finish(r)
}
