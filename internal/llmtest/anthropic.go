package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// NewAnthropic serves Anthropic's Messages API: POST /v1/messages. Use
// its URL as the client's base URL.
func NewAnthropic(t testing.TB, h Handler) *Server {
	return serve(t, format{path: "/v1/messages", decode: decodeAnthropic, encode: encodeAnthropic, errorf: anthropicError}, h)
}

func decodeAnthropic(h http.Header, body []byte) (Request, error) {
	if h.Get("Anthropic-Version") == "" {
		return Request{}, fmt.Errorf("no anthropic-version header")
	}
	var in struct {
		Model       string          `json:"model"`
		MaxTokens   *int            `json:"max_tokens"`
		Temperature *float64        `json:"temperature"`
		System      json.RawMessage `json:"system"`
		Messages    []wireMessage   `json:"messages"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return Request{}, err
	}
	if in.Model == "" || in.MaxTokens == nil || *in.MaxTokens <= 0 {
		return Request{}, fmt.Errorf("model and max_tokens are required")
	}
	req := Request{Model: in.Model, MaxTokens: *in.MaxTokens, MaxTokensField: "max_tokens", Temperature: in.Temperature}
	if len(in.System) > 0 {
		var err error
		if req.System, err = text(in.System); err != nil {
			return Request{}, fmt.Errorf("system: %w", err)
		}
		req.CacheControl = bytes.Contains(in.System, []byte(`"cache_control":{"type":"ephemeral"}`))
	}
	for _, m := range in.Messages {
		t, err := text(m.Content)
		if err != nil {
			return Request{}, err
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: t})
	}
	return req, alternate(req.Messages)
}

func encodeAnthropic(r Reply) []byte {
	stop := r.Stop
	if stop == "" {
		stop = "end_turn"
	}
	content := []any{}
	if r.Text != "" {
		content = append(content, map[string]any{"type": "text", "text": r.Text, "citations": nil})
	}
	return mustJSON(map[string]any{
		"id":            "msg_01XFDUDYJgAACzvnptvVoYEL",
		"type":          "message",
		"role":          "assistant",
		"model":         "claude-test",
		"content":       content,
		"stop_reason":   stop,
		"stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens":                r.InputTokens,
			"cache_creation_input_tokens": 0,
			"cache_read_input_tokens":     r.CachedTokens,
			"output_tokens":               r.OutputTokens,
			"service_tier":                "standard",
		},
	})
}

func anthropicError(r Reply) []byte {
	kind := "api_error"
	switch {
	case r.Status == 400:
		kind = "invalid_request_error"
	case r.Status == 401:
		kind = "authentication_error"
	case r.Status == 429:
		kind = "rate_limit_error"
	case r.Status == 529:
		kind = "overloaded_error"
	}
	return mustJSON(map[string]any{"type": "error", "error": map[string]any{"type": kind, "message": r.Text}, "request_id": "req_011"})
}
