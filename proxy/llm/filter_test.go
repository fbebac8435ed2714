package llm

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStripServerTools(t *testing.T) {
	tests := []struct {
		name     string
		filter   BodyFilter
		in, want string
		removed  []string
	}{
		{"anthropic: nothing to strip keeps the bytes", StripAnthropicServerTools,
			`{"model":"m",  "tools":[{"name":"read","input_schema":{}}]}`,
			`{"model":"m",  "tools":[{"name":"read","input_schema":{}}]}`, nil},
		{"anthropic: server tools and MCP connector", StripAnthropicServerTools,
			`{"model":"m","tools":[{"name":"read","input_schema":{}},{"type":"web_search_20250305","name":"web_search"},{"type":"custom","name":"c","input_schema":{}},{"type":"web_fetch_20250910","name":"web_fetch"}]}`,
			`{"model":"m","tools":[{"input_schema":{},"name":"read"},{"input_schema":{},"name":"c","type":"custom"}]}`,
			[]string{"web_search_20250305", "web_fetch_20250910"}},
		{"anthropic: type in another case", StripAnthropicServerTools,
			`{"tools":[{"Type":"web_search_20250305","name":"web_search"}]}`, `{"tools":[]}`, []string{"web_search_20250305"}},
		{"anthropic: type that is not a string", StripAnthropicServerTools,
			`{"tools":[{"type":["custom"],"name":"x"}]}`, `{"tools":[]}`, []string{"\x00"}},
		{"openai: built-in tools", StripOpenAIServerTools,
			`{"model":"m","tools":[{"type":"function","name":"f"},{"type":"web_search"},{"type":"mcp"},{"type":"code_interpreter"}],"web_search_options":{}}`,
			`{"model":"m","tools":[{"name":"f","type":"function"}]}`,
			[]string{"web_search", "mcp", "code_interpreter", "web_search_options"}},
		{"openai: a tool without a type", StripOpenAIServerTools,
			`{"tools":[{"name":"f"}]}`, `{"tools":[]}`, []string{"tool"}},
		{"google: only function declarations", StripGoogleServerTools,
			`{"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}],"googleSearch":{}},{"codeExecution":{}},{"url_context":{}}]}`,
			`{"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`,
			[]string{"tool", "tool", "codeExecution", "googleSearch", "url_context"}},
		{"no tools at all", StripGoogleServerTools, `{"contents":[]}`, `{"contents":[]}`, nil},
		{"null tools", StripAnthropicServerTools, `{"tools":null}`, `{"tools":null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, removed, err := tt.filter("/v1/messages", []byte(tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
			require.Equal(t, tt.removed, removed)
		})
	}
	for _, bad := range []string{`{"mcp_servers":[]}`, `{"tools":[{"type":"mcp","server_url":"https://x"}]}`, `[]`, `"x"`, `{"tools":{}}`, `{"tools":[1]}`, `{"tools":[null]}`, `null`} {
		_, _, err := StripAnthropicServerTools("/v1/messages", []byte(bad))
		require.Error(t, err, bad)
	}
}

func TestCheckJSON(t *testing.T) {
	for _, ok := range []string{`{}`, `{"a":1,"b":{"a":2}}`, `[{"a":1},{"a":1}]`, ` {"a":[1,2,{"b":null}]} `, `"s"`, `1`} {
		require.NoError(t, checkJSON([]byte(ok)), ok)
	}
	for _, bad := range []string{``, `{`, `{"a":1,"a":2}`, `{"tools":[],"Tools":[]}`, `{"a":{"type":"x","type":"y"}}`, `{} {}`, `{}x`, `[1,]`, `{"a"}`} {
		require.Error(t, checkJSON([]byte(bad)), bad)
	}
}

// Server-side tools never reach the provider, and the audit record says
// what was removed; a body the proxy cannot read the same way as every
// upstream is refused.
func TestServerToolsStrippedInFlight(t *testing.T) {
	f := newFixture(t, nil)
	hdr := map[string]string{"x-api-key": f.sess.FakeKey("anthropic"), "Content-Type": "application/json"}
	body := `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"read","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]}`
	var seen []byte
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		io.WriteString(w, "ok")
	})
	status, _, _ := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, body)
	require.Equal(t, 200, status)
	<-f.up.hits
	var got struct{ Tools []map[string]any }
	require.NoError(t, json.Unmarshal(seen, &got))
	require.Len(t, got.Tools, 1)
	require.Equal(t, "read", got.Tools[0]["name"])
	recs := f.auditN(t, 1)
	require.Equal(t, []string{"web_search_20250305"}, recs[0].Stripped)

	for _, bad := range []string{
		`{"tools":[{"name":"read","input_schema":{}}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`,
		`{"tools":[{"type":"custom","type":"web_search_20250305","name":"web_search"}]}`,
		`not json`,
	} {
		status, _, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, bad)
		require.Equal(t, 400, status, bad)
		require.True(t, refused)
	}
	compressed := map[string]string{"x-api-key": f.sess.FakeKey("anthropic"), "Content-Encoding": "gzip"}
	status, _, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", compressed, string(gzipped(t, body)))
	require.Equal(t, 415, status)
	require.True(t, refused)
	f.up.noHits(t)
}

// Whatever the body, a server-side tool that survives the filter is one
// the filter's reading and encoding/json's agree is a client tool, and a
// body checkJSON accepts is valid JSON.
func FuzzStripAnthropic(f *testing.F) {
	f.Add([]byte(`{"tools":[{"type":"web_search_20250305"},{"name":"x"}]}`))
	f.Add([]byte(`{"Tools":[{"TYPE":"custom"}],"mcp_servers":[]}`))
	f.Add([]byte(`{"tools":[{"type":"custom","type":"web_search"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkJSON(body) != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("checkJSON accepted invalid JSON %q", body)
		}
		out, _, err := StripAnthropicServerTools("/v1/messages", body)
		if err != nil {
			return
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("filtered body %q is not an object: %v", out, err)
		}
		for k, v := range doc {
			if equalFold(k, "mcp_servers") {
				t.Fatalf("mcp_servers survived in %q", out)
			}
			if !equalFold(k, "tools") {
				continue
			}
			var tools []map[string]json.RawMessage
			if json.Unmarshal(v, &tools) != nil {
				continue
			}
			for _, tool := range tools {
				for tk, tv := range tool {
					if equalFold(tk, "type") && string(tv) != `"custom"` {
						t.Fatalf("tool of type %s survived in %q", tv, out)
					}
				}
			}
		}
	})
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}
