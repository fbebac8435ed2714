// Package anthropictest runs a local HTTP server that speaks Anthropic's
// Messages API wire format (POST /v1/messages) with scripted answers, so
// that code driving a model can be tested with the real SDK client and no
// network.
//
//	srv := anthropictest.NewServer(func(r anthropictest.Request) anthropictest.Reply {
//		return anthropictest.Reply{Text: `{"rules": [], "lists": []}`}
//	})
//	defer srv.Close()
//	m, _ := anthropic.New(anthropic.Options{Model: "claude-test", APIKey: ironcurtain.NewSecret("k"), BaseURL: srv.URL})
package anthropictest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// Request is one decoded Messages API request.
type Request struct {
	Model       string
	MaxTokens   int
	Temperature *float64
	System      string
	Messages    []Message
	// APIKey and Version are the x-api-key and anthropic-version headers.
	APIKey, Version string
}

// Message is one turn of the conversation, its text blocks joined.
type Message struct {
	Role, Text string
}

var (
	stageRE  = regexp.MustCompile(`\[stage: ([a-z]+)\]`)
	serverRE = regexp.MustCompile(`\[server: ([^\]]+)\]`)
)

// Stage is the compiler stage named in the first user message ("rules",
// "scenarios", ...), or "".
func (r Request) Stage() string { return r.find(stageRE) }

// Server is the server named in the first user message, or "".
func (r Request) Server() string { return r.find(serverRE) }

func (r Request) find(re *regexp.Regexp) string {
	if len(r.Messages) == 0 {
		return ""
	}
	if m := re.FindStringSubmatch(r.Messages[0].Text); m != nil {
		return m[1]
	}
	return ""
}

// Retry reports whether the request sends back an earlier answer with
// what was wrong with it (it has more than one user turn).
func (r Request) Retry() bool { return len(r.Messages) > 1 }

// Last returns the text of the last message.
func (r Request) Last() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[len(r.Messages)-1].Text
}

// Reply is a scripted answer.
type Reply struct {
	// Text is the assistant's text.
	Text string
	// Status, if not 0 or 200, answers with an API error of that status.
	Status int
	// StopReason defaults to "end_turn".
	StopReason string
}

// Server is a scripted Messages API server. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	answer func(Request) Reply
	mu     sync.Mutex
	reqs   []Request
}

// NewServer starts a server that answers each request with answer, which
// may be called from several goroutines at once.
func NewServer(answer func(Request) Reply) *Server {
	s := &Server{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns the requests received so far, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// wire types: the JSON the SDK sends.
type wireBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type wireContent []wireBlock

// UnmarshalJSON accepts a string or an array of blocks, as the API does.
func (c *wireContent) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = wireContent{{Type: "text", Text: s}}
		return nil
	}
	var blocks []wireBlock
	if err := json.Unmarshal(b, &blocks); err != nil {
		return err
	}
	*c = blocks
	return nil
}

func (c wireContent) text() string {
	var b strings.Builder
	for _, x := range c {
		if x.Type == "text" {
			b.WriteString(x.Text)
		}
	}
	return b.String()
}

type wireRequest struct {
	Model       string      `json:"model"`
	MaxTokens   int         `json:"max_tokens"`
	Temperature *float64    `json:"temperature"`
	System      wireContent `json:"system"`
	Messages    []struct {
		Role    string      `json:"role"`
		Content wireContent `json:"content"`
	} `json:"messages"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		apiError(w, http.StatusNotFound, "not_found_error", "no such endpoint: "+r.Method+" "+r.URL.Path)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	var wr wireRequest
	if err := json.Unmarshal(body, &wr); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "malformed request: "+err.Error())
		return
	}
	if wr.Model == "" || wr.MaxTokens <= 0 || len(wr.Messages) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "model, max_tokens and messages are required")
		return
	}
	req := Request{Model: wr.Model, MaxTokens: wr.MaxTokens, Temperature: wr.Temperature, System: wr.System.text(),
		APIKey: r.Header.Get("X-Api-Key"), Version: r.Header.Get("Anthropic-Version")}
	for _, m := range wr.Messages {
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: m.Content.text()})
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	if req.APIKey == "" {
		apiError(w, http.StatusUnauthorized, "authentication_error", "x-api-key header is required")
		return
	}
	rep := s.answer(req)
	if rep.Status != 0 && rep.Status != http.StatusOK {
		apiError(w, rep.Status, "api_error", "scripted failure")
		return
	}
	stop := rep.StopReason
	if stop == "" {
		stop = "end_turn"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id":            fmt.Sprintf("msg_test_%d", n+1),
		"type":          "message",
		"role":          "assistant",
		"model":         req.Model,
		"content":       []map[string]any{{"type": "text", "text": rep.Text}},
		"stop_reason":   stop,
		"stop_sequence": nil,
		"usage":         map[string]any{"input_tokens": len(body) / 4, "output_tokens": len(rep.Text) / 4},
	})
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type":  "error",
		"error": map[string]any{"type": typ, "message": msg},
	})
}
