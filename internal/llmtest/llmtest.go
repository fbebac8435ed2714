// Package llmtest serves scripted conversations over the real wire formats
// of Anthropic's Messages API and OpenAI's Chat Completions API, on a
// loopback httptest server, so that tests drive the real client libraries.
// It is written from the APIs' documented JSON, not from the SDKs' types,
// and it checks every request it gets as strictly as the APIs would.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is a request the server received, decoded.
type Request struct {
	// Path is the URL path, such as "/v1/messages".
	Path string
	// Header holds the request's headers.
	Header http.Header
	// Body is the raw JSON body.
	Body []byte
	// Model is the requested model.
	Model string
	// System is the system prompt (Anthropic's "system", OpenAI's first
	// message of role "system").
	System string
	// Messages are the other messages, text only.
	Messages []Message
	// MaxTokens is the answer's token cap, and MaxTokensField the field it
	// came in ("max_tokens" or "max_completion_tokens").
	MaxTokens      int
	MaxTokensField string
	// CacheControl reports a cache_control marker on the system prompt
	// (Anthropic).
	CacheControl bool
	// Temperature is the requested temperature, nil when none was sent.
	Temperature *float64
}

// Last returns the text of the last message.
func (r Request) Last() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[len(r.Messages)-1].Text
}

// Message is one message of a request.
type Message struct {
	Role string
	Text string
}

// Reply is what the server answers one request with.
type Reply struct {
	// Status is the HTTP status; zero means 200.
	Status int
	// Text is the answer's text, or for an error status the error's
	// message.
	Text string
	// Stop is the provider's own stop reason ("end_turn", "max_tokens",
	// "stop", "length", ...); empty means a normal end.
	Stop string
	// Refusal is OpenAI's refusal message, if any.
	Refusal string
	// InputTokens, CachedTokens and OutputTokens are reported as usage.
	InputTokens, CachedTokens, OutputTokens int
	// Raw, if set, is sent as the body verbatim, whatever the format.
	Raw string
	// Header holds extra response headers, such as Retry-After-Ms.
	Header map[string]string
}

// Retry is a reply of the given error status that asks the client to
// retry at once.
func Retry(status int) Reply {
	return Reply{Status: status, Text: "try again", Header: map[string]string{"Retry-After-Ms": "0"}}
}

// Handler answers one request; n counts requests from 0.
type Handler func(n int, r Request) Reply

// Script answers the requests with the replies in order, and with a 500
// (that asks for no retry) past the end.
func Script(replies ...Reply) Handler {
	return func(n int, _ Request) Reply {
		if n < len(replies) {
			return replies[n]
		}
		return Reply{Status: 500, Text: "the script has ended", Header: map[string]string{"X-Should-Retry": "false"}}
	}
}

// Server is a fake API server. Requests that do not conform to the format
// fail the test and get a 400.
type Server struct {
	*httptest.Server
	t       testing.TB
	mu      sync.Mutex
	reqs    []Request
	handler Handler
}

// wireMessage is a message as both APIs send it: a role and its content
// (a string or an array of blocks, read by text).
type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// format is one API's request decoding and response encoding.
type format struct {
	path   string
	decode func(h http.Header, body []byte) (Request, error) // of a JSON body
	encode func(r Reply) []byte
	errorf func(r Reply) []byte
}

// decodeRequest refuses a body not sent as JSON (neither API takes any
// other) and decodes it in f's format.
func (f format) decodeRequest(h http.Header, body []byte) (Request, error) {
	if ct := h.Get("Content-Type"); ct != "application/json" {
		return Request{}, fmt.Errorf("content-type %q", ct)
	}
	return f.decode(h, body)
}

func serve(t testing.TB, f format, h Handler) *Server {
	s := &Server{t: t, handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != f.path {
			t.Errorf("llmtest: unexpected %s %s", r.Method, r.URL.Path)
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		req, err := f.decodeRequest(r.Header, body)
		if err != nil {
			t.Errorf("llmtest: bad request: %v\n%s", err, body)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(f.errorf(Reply{Text: err.Error()}))
			return
		}
		req.Path, req.Header, req.Body = r.URL.Path, r.Header.Clone(), body
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		reply := s.handler(n, req)
		for k, v := range reply.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		status := reply.Status
		if status == 0 {
			status = http.StatusOK
		}
		out := []byte(reply.Raw)
		switch {
		case reply.Raw != "":
		case status >= 400:
			out = f.errorf(reply)
		default:
			out = f.encode(reply)
		}
		w.WriteHeader(status)
		_, _ = w.Write(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// text decodes message content: a string, or an array of text blocks.
func text(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("content is neither a string nor blocks: %s", raw)
	}
	out := ""
	for _, b := range blocks {
		if b.Type != "text" {
			return "", fmt.Errorf("content block of type %q", b.Type)
		}
		out += b.Text
	}
	return out, nil
}

// alternate checks that the turns start with the user and alternate.
func alternate(msgs []Message) error {
	if len(msgs) == 0 {
		return fmt.Errorf("no messages")
	}
	for i, m := range msgs {
		want := "user"
		if i%2 == 1 {
			want = "assistant"
		}
		if m.Role != want {
			return fmt.Errorf("message %d has role %q, want %q", i, m.Role, want)
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain maps of strings and numbers
	}
	return b
}
