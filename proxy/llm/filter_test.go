package llm

import (
	"encoding/binary"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// A built-in filter takes bodies only on the endpoints it has rules for,
// and only JSON objects.
func TestFilterEndpoints(t *testing.T) {
	for _, tc := range []struct {
		filter BodyFilter
		path   string
	}{
		{AnthropicFilter, "/v1/models"},
		{AnthropicFilter, "/v1/messages/batches"},
		{OpenAIFilter, "/v1/embeddings"},
		{GoogleFilter, "/v1beta/models/g:embedContent"},
		{GoogleFilter, "/v1beta/models/a/b:generateContent"},
		{AnthropicFilter, "/v1/%6dessages"},
	} {
		_, err := tc.filter(tc.path, []byte(`{}`))
		require.Error(t, err, tc.path)
	}
	for _, bad := range []string{`[]`, `"x"`, `null`, `1`, `{"model":"m"} {}`, `{"model":"m"`, "{\"model\":\"\xff\"}", ``} {
		_, err := AnthropicFilter("/v1/messages", []byte(bad))
		require.Error(t, err, bad)
	}
	res, err := GoogleFilter("/v1beta/models/gemini-2.5-pro:generateContent", []byte(`{"contents":[]}`))
	require.NoError(t, err)
	require.Equal(t, `{"contents":[]}`, string(res.Body))
	require.Empty(t, res.Fetches)
}

func TestCheckJSON(t *testing.T) {
	for _, ok := range []string{`{}`, `{"a":1,"b":{"a":2}}`, `[{"a":1},{"a":1}]`, ` {"a":[1,2,{"b":null}]} `, `"s"`, `1`} {
		require.NoError(t, checkJSON([]byte(ok)), ok)
	}
	for _, bad := range []string{``, `{`, `{"a":1,"a":2}`, `{"tools":[],"Tools":[]}`, `{"a":{"type":"x","type":"y"}}`, `{} {}`, `{}x`, `[1,]`, `{"a"}`} {
		require.Error(t, checkJSON([]byte(bad)), bad)
	}
}

// A server-side tool is refused, not stripped: nothing reaches the
// provider, and the agent learns why; a body the proxy cannot read the
// same way as every upstream is refused too.
func TestServerToolsRefusedInFlight(t *testing.T) {
	f := newFixture(t, nil)
	hdr := map[string]string{"x-api-key": f.sess.FakeKey("anthropic"), "Content-Type": "application/json"}
	f.up.setHandler(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	body := `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"read","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]}`
	status, text, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, body)
	require.Equal(t, 400, status)
	require.True(t, refused)
	require.Contains(t, text, "tools[1].type: a server-side tool is not allowed")
	rec := f.auditN(t, 1)[0]
	require.Equal(t, "tools[1].type", rec.Field)
	require.Empty(t, rec.Stripped)

	for _, bad := range []string{
		`{"tools":[{"name":"read","input_schema":{}}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`,
		`{"tools":[{"type":"custom","type":"web_search_20250305","name":"web_search"}]}`,
		`{"model":"m","Tools":[]}`,
		`not json`,
	} {
		status, _, refused := do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", hdr, bad)
		require.Equal(t, 400, status, bad)
		require.True(t, refused)
	}
	compressed := map[string]string{"x-api-key": f.sess.FakeKey("anthropic"), "Content-Encoding": "gzip"}
	status, _, refused = do(t, f.viaConnect(), "POST", "https://api.anthropic.com/v1/messages", compressed, string(gzipped(t, body)))
	require.Equal(t, 415, status)
	require.True(t, refused)
	f.up.noHits(t)
}

// special8 says that eight bytes hold a byte the string fast path stops
// at exactly when one of them is such a byte.
func TestSpecial8(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "bytes")
		want := false
		for _, c := range b {
			want = want || special[c]
		}
		if got := special8(binary.LittleEndian.Uint64(b)); got != want {
			t.Fatalf("special8(%q) = %v", b, got)
		}
	})
	for c := range 256 {
		for pos := range 8 {
			b := []byte("aaaaaaaa")
			b[pos] = byte(c)
			require.Equal(t, special[c], special8(binary.LittleEndian.Uint64(b)), "byte %#x at %d", c, pos)
		}
	}
}
