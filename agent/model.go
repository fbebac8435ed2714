package agent

import "context"

// Model is a language model the agent loop and the [AutoApprover] talk
// to: one request in, one answer out, text only.
//
// Complete may block (a network round trip) and must honour ctx. It must
// be safe for concurrent use: the loop and an AutoApprover may share one
// Model. It must not retain req after it returns. A client retries
// transient failures (rate limits, server errors) itself, within its own
// limits; an error from Complete means no answer, and the loop ends with
// it. An answer cut short or refused is not an error: it is a Response
// whose Finish says so.
//
// A Model that also has a method Name() string names itself in the audit
// log when it approves a call (for example "anthropic:claude-haiku-4-5");
// the providers in agent/anthropic and agent/openai do.
type Model interface {
	Complete(ctx context.Context, req Request) (Response, error)
}

// ModelFunc adapts a function to a [Model].
type ModelFunc func(ctx context.Context, req Request) (Response, error)

// Complete calls f(ctx, req).
func (f ModelFunc) Complete(ctx context.Context, req Request) (Response, error) { return f(ctx, req) }

// Request is one request to a [Model]: a system prompt and a conversation
// that starts and ends with a user turn, the roles alternating.
type Request struct {
	// System is the system prompt.
	System string
	// Messages is the conversation so far.
	Messages []Message
	// MaxTokens caps the answer's length in tokens. Zero lets the provider
	// choose.
	MaxTokens int
	// Temperature, when set, asks for that sampling temperature; 0 asks
	// for the most deterministic answers (the policy compiler does). Nil
	// leaves the provider's default.
	Temperature *float64
}

// Role is who wrote a [Message].
type Role string

// The two roles of a conversation.
const (
	User      Role = "user"
	Assistant Role = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role Role
	Text string
}

// Response is a model's answer.
type Response struct {
	// Text is the answer's text (all its text blocks, joined).
	Text string
	// Finish says why the model stopped.
	Finish Finish
	// Usage counts the tokens the request cost.
	Usage Usage
}

// Finish is why a model stopped writing. Providers map their own values to
// the constants below and pass any other value through unchanged.
type Finish string

// Normalised finish reasons.
const (
	// FinishEnd: the model ended its answer (Anthropic "end_turn" or
	// "stop_sequence", OpenAI "stop").
	FinishEnd Finish = "end"
	// FinishLength: the answer was cut off at the token limit (Anthropic
	// "max_tokens", OpenAI "length").
	FinishLength Finish = "length"
	// FinishRefusal: the model or its provider declined to answer
	// (Anthropic "refusal", OpenAI "content_filter" or a refusal message).
	FinishRefusal Finish = "refusal"
)

// Usage counts tokens.
type Usage struct {
	// InputTokens counts the prompt's tokens, cached ones included.
	InputTokens int64
	// OutputTokens counts the answer's tokens.
	OutputTokens int64
}

// Total returns InputTokens + OutputTokens.
func (u Usage) Total() int64 { return u.InputTokens + u.OutputTokens }

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens}
}

// modelName returns the model's Name, if it has one.
func modelName(m Model) string {
	if n, ok := m.(interface{ Name() string }); ok {
		return n.Name()
	}
	return ""
}

// SDKRetries reads a provider's MaxRetries option (Options.MaxRetries in
// agent/anthropic and agent/openai): how many times the provider's SDK
// retries a connection error, a rate limit or a server error, with its
// backoff or the server's Retry-After. Zero keeps the SDK's default (2):
// set is false and no option is passed. A negative value means none.
func SDKRetries(maxRetries int) (n int, set bool) {
	switch {
	case maxRetries < 0:
		return 0, true
	case maxRetries > 0:
		return maxRetries, true
	}
	return 0, false
}
