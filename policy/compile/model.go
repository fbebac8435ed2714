package compile

import "context"

// Model is a language model the compiler consults for what the
// controlled-English front end cannot read: sentences outside the subset,
// tools without annotations, lists without values.
//
// Complete sends one request and returns the model's text. It may block
// (a network round trip) and must honour ctx. It must be safe for
// concurrent use: the compiler asks about several servers at once. It must
// not retain req after returning. An error means no answer; the compiler
// does not retry it (a client may retry transport errors itself).
//
// Name identifies the model, such as "anthropic:claude-sonnet-4-5"; it is
// part of every cache key and is recorded in the policy's provenance, so
// it must change whenever the model does.
type Model interface {
	Name() string
	Complete(ctx context.Context, req Request) (Response, error)
}

// Request is one request to a [Model]: a system prompt and a conversation
// that ends with a user turn.
type Request struct {
	System   string    `json:"system"`
	Messages []Message `json:"messages"`
	// MaxTokens bounds the answer.
	MaxTokens int `json:"maxTokens"`
}

// Message is one turn: Role is "user" or "assistant".
type Message struct {
	Role string `json:"role"`
	Text string `json:"text"`
}

// Response is a model's answer.
type Response struct {
	// Text is the answer's text.
	Text string
}
