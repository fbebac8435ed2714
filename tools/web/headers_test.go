package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http/httpguts"
)

func TestJudgeHeader(t *testing.T) {
	tests := []struct {
		name, value, reason string
	}{
		{"Accept", "text/html", ""},
		{"accept-language", "sk-SK,en;q=0.8", ""},
		{"If-None-Match", `"abc"`, ""},
		{"X-Requested-With", "XMLHttpRequest", ""},
		{"Host", "internal", reasonTransport},
		{"HOST", "internal", reasonTransport},
		{"Content-Length", "5", reasonTransport},
		{"Transfer-Encoding", "chunked", reasonTransport},
		{"Connection", "close", reasonTransport},
		{"Upgrade", "h2c", reasonTransport},
		{"TE", "trailers", reasonTransport},
		{"Accept-Encoding", "br", reasonTransport},
		{"User-Agent", "x", reasonAgent},
		{"Authorization", "Basic YTpi", reasonCredential},
		{"Proxy-Authorization", "Basic YTpi", reasonProxy},
		{"Proxy-Anything", "x", reasonProxy},
		{"Cookie", "a=b", reasonCredential},
		{"X-Forwarded-For", "1.2.3.4", reasonProxy},
		{"X-Forwarded-Host", "internal", reasonProxy},
		{"Forwarded", "for=1.2.3.4", reasonProxy},
		{"X-Real-IP", "1.2.3.4", reasonProxy},
		{"X-HTTP-Method-Override", "DELETE", reasonMethod},
		{"X-Api-Key", "k", reasonCredential},
		{"X-Auth-Token", "t", reasonCredential},
		{"X-Amz-Security-Token", "t", reasonCredential},
		{"X-Client-Secret", "s", reasonCredential},
		{"X-Session-Id", "s", reasonCredential},
		{"X-Password", "p", reasonCredential},
		{"X-Note", "Bearer abc", reasonCredential},
		{"X-Note", "token xyz", reasonCredential},
		{"X-Note", "sk-proj-abcdefghijklmnopqrstuv", reasonCredential},
		{"X-Note", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", reasonCredential},
		{"X-Note", "AKIAIOSFODNN7EXAMPLE", reasonCredential},
		{"X-Note", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", reasonCredential},
		{"X-Note", "a=1; t=tvly-abcdefghijklmnopqrstu", reasonCredential},
		{"X-Note", "sk-SK", ""},
		{"X-Note", "AKIA", ""},
		{"Bad Name", "v", reasonBadName},
		{"Bad:Name", "v", reasonBadName},
		{"", "v", reasonBadName},
		{"X-Split\r\nInjected", "v", reasonBadName},
		{"X-Note", "a\r\nInjected: 1", reasonBadValue},
		{"X-Note", "a\nb", reasonBadValue},
		{"X-Note", "a\x00b", reasonBadValue},
		{"X-Note", strings.Repeat("v", maxHeaderValueBytes+1), reasonTooLong},
		{"X-" + strings.Repeat("n", maxHeaderNameBytes), "v", reasonTooLong},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q=%q", tc.name, shorten(tc.value, 20)), func(t *testing.T) {
			canon, reason := judgeHeader(tc.name, tc.value)
			require.Equal(t, tc.reason, reason)
			if reason == "" {
				require.Equal(t, http.CanonicalHeaderKey(tc.name), canon)
			}
		})
	}
}

func TestFilterHeaders(t *testing.T) {
	in := map[string]string{"accept": "a", "Accept": "b", "X-One": "1", "Cookie": "c", "bad name": "x"}
	out, dropped := filterHeaders(in)
	require.Equal(t, http.Header{"Accept": {"b"}, "X-One": {"1"}}, out, "the first name in sorted order wins")
	require.Equal(t, []DroppedHeader{
		{"Cookie", reasonCredential},
		{"accept", reasonDuplicate},
		{"\"bad name\"", reasonBadName},
	}, dropped, "reported in byte order of the names")

	many := map[string]string{}
	for i := range maxHeaders + 3 {
		many[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	out, dropped = filterHeaders(many)
	require.Len(t, out, maxHeaders)
	require.Len(t, dropped, 3)
	require.Equal(t, reasonTooMany, dropped[0].Reason)

	out, dropped = filterHeaders(nil)
	require.Empty(t, out)
	require.Empty(t, dropped)
}

func FuzzFilterHeaders(f *testing.F) {
	f.Add("X-Custom", "value", "Authorization", "Bearer x")
	f.Add("Host", "evil", "x-forwarded-for", "1.1.1.1")
	f.Add("X-Note\r\n", "v", "X-Ok", "a\x00b")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		in := map[string]string{n1: v1, n2: v2}
		out, dropped := filterHeaders(in)
		require.Equal(t, len(in), len(out)+len(dropped), "every header is sent or reported")
		for name, values := range out {
			lower := strings.ToLower(name)
			require.True(t, httpguts.ValidHeaderFieldName(name), name)
			_, reserved := reservedHeaders[lower]
			require.False(t, reserved, name)
			for _, part := range credentialNameParts {
				require.NotContains(t, lower, part)
			}
			for _, v := range values {
				require.True(t, httpguts.ValidHeaderFieldValue(v))
				require.False(t, strings.ContainsAny(v, "\r\n\x00"))
				require.False(t, looksLikeCredential(v))
			}
		}
		for _, d := range dropped {
			require.NotEmpty(t, d.Reason)
			require.False(t, strings.ContainsAny(d.Name, "\r\n\x00"), "reported names are printable")
		}
	})
}
