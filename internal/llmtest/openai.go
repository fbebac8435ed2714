package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// NewOpenAI serves OpenAI's Chat Completions API: POST
// /v1/chat/completions. Use its URL with "/v1" as the client's base URL,
// as for any OpenAI-compatible server.
func NewOpenAI(t testing.TB, h Handler) *Server {
	return serve(t, format{path: "/v1/chat/completions", decode: decodeOpenAI, encode: encodeOpenAI, errorf: openAIError}, h)
}

func decodeOpenAI(_ http.Header, body []byte) (Request, error) {
	var in struct {
		Model               string        `json:"model"`
		MaxTokens           *int          `json:"max_tokens"`
		MaxCompletionTokens *int          `json:"max_completion_tokens"`
		Temperature         *float64      `json:"temperature"`
		Stream              bool          `json:"stream"`
		Messages            []wireMessage `json:"messages"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&in); err != nil {
		return Request{}, err
	}
	if in.Model == "" || in.Stream {
		return Request{}, fmt.Errorf("model is required and streaming is not served")
	}
	req := Request{Model: in.Model, Temperature: in.Temperature}
	switch {
	case in.MaxTokens != nil && in.MaxCompletionTokens != nil:
		return Request{}, fmt.Errorf("both max_tokens and max_completion_tokens")
	case in.MaxCompletionTokens != nil:
		req.MaxTokens, req.MaxTokensField = *in.MaxCompletionTokens, "max_completion_tokens"
	case in.MaxTokens != nil:
		req.MaxTokens, req.MaxTokensField = *in.MaxTokens, "max_tokens"
	}
	for i, m := range in.Messages {
		t, err := text(m.Content)
		if err != nil {
			return Request{}, err
		}
		if (m.Role == "system" || m.Role == "developer") && i == 0 {
			req.System = t
			continue
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: t})
	}
	return req, alternate(req.Messages)
}

func encodeOpenAI(r Reply) []byte {
	stop := r.Stop
	if stop == "" {
		stop = "stop"
	}
	msg := map[string]any{"role": "assistant", "content": r.Text, "refusal": nil, "annotations": []any{}}
	if r.Refusal != "" {
		msg["content"], msg["refusal"] = nil, r.Refusal
	}
	return mustJSON(map[string]any{
		"id":      "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
		"object":  "chat.completion",
		"created": 1741570283,
		"model":   "gpt-test",
		"choices": []any{map[string]any{
			"index": 0, "message": msg, "logprobs": nil, "finish_reason": stop,
		}},
		"usage": map[string]any{
			"prompt_tokens":     r.InputTokens,
			"completion_tokens": r.OutputTokens,
			"total_tokens":      r.InputTokens + r.OutputTokens,
			"prompt_tokens_details": map[string]any{
				"cached_tokens": r.CachedTokens, "audio_tokens": 0,
			},
			"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0},
		},
		"service_tier":       "default",
		"system_fingerprint": "fp_test",
	})
}

func openAIError(r Reply) []byte {
	kind := "server_error"
	if r.Status >= 400 && r.Status < 500 {
		kind = "invalid_request_error"
	}
	return mustJSON(map[string]any{"error": map[string]any{
		"message": r.Text, "type": kind, "param": nil, "code": strings.ToLower(http.StatusText(r.Status)),
	}})
}
