package redact

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func mustNew(t testing.TB, secrets ...string) *Redactor {
	t.Helper()
	r, err := New(secrets)
	require.NoError(t, err)
	return r
}

func TestFormats(t *testing.T) {
	r := mustNew(t)
	tests := []struct{ name, in, want string }{
		{"anthropic", "key=sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345 end", "key=sk-ant-[REDACTED] end"},
		{"openai", `"sk-proj-AbCdEfGhIjKlMnOpQrStUv12"`, `"sk-proj-[REDACTED]"`},
		{"openai plain", "sk-abcdefghijklmnopqrstuvwx", "sk-[REDACTED]"},
		{"github classic", "token ghp_" + strings.Repeat("a1", 18) + ".", "token ghp_[REDACTED]."},
		{"github app", "ghs_" + strings.Repeat("Z", 36), "ghs_[REDACTED]"},
		{"github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_[REDACTED]"},
		{"slack", "xoxb-1234567890-abcdefghij", "xoxb-[REDACTED]"},
		{"aws", "id AKIAIOSFODNN7EXAMPLE,", "id AKIA[REDACTED],"},
		{"aws session", "ASIAABCDEFGHIJKLMNOP", "ASIA[REDACTED]"},
		{"google", "AIzaSyA-abcdefghijklmnopqrstuvwxyz12345", "AIza[REDACTED]"},
		{"jwt", "jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x ok", "jwt: [REDACTED] ok"},
		{"bearer", "curl -H 'Authorization: Bearer abc.def-ghi_123'", "curl -H 'Authorization: Bearer [REDACTED]'"},
		{"bearer alone", "bearer 0123456789abcdef", "bearer [REDACTED]"},
		{"basic header", "Authorization: Basic dXNlcjpwYXNz\nHost: x", "Authorization: Basic [REDACTED]\nHost: x"},
		{"json header", `{"authorization": "token s3cr3t-value"}`, `{"authorization": "token [REDACTED]"}`},
		{"pem", "k=-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\nrest", "k=[REDACTED]\nrest"},
		{"pem truncated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz", "[REDACTED]"},
		{"card", "card 4111 1111 1111 1111 exp", "card 4111********1111 exp"},
		{"card dashes", "5500-0000-0000-0004", "5500********0004"},
		{"ssn", "ssn 123-45-6789.", "ssn ***-**-6789."},
		{"ssn plain", "123456789", "***-**-6789"},
		// Not secrets.
		{"task word", "task-manager-for-the-whole-project-2024", "task-manager-for-the-whole-project-2024"},
		{"short sk", "sk-short", "sk-short"},
		{"not luhn", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"bad ssn area", "666-12-3456 and 900-12-3456", "666-12-3456 and 900-12-3456"},
		{"digits in a word", "id123456789", "id123456789"},
		{"phone", "+1 555-123-4567", "+1 555-123-4567"},
		{"date", "2026-01-02", "2026-01-02"},
		{"public key", "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"},
		{"AKIA too long", "AKIAIOSFODNN7EXAMPLEX", "AKIAIOSFODNN7EXAMPLEX"},
		{"bearer short", "Bearer abc", "Bearer abc"},
		{"plain path", "/home/user/project/src/main.go", "/home/user/project/src/main.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, r.String(tt.in))
		})
	}
}

func TestVaultSecrets(t *testing.T) {
	r := mustNew(t, "hunter2", "abc", "bcd", "abcdef", "", "ef")
	tests := []struct{ in, want string }{
		{"password is hunter2!", "password is [REDACTED]!"},
		{"hunter2hunter2", "[REDACTED][REDACTED]"},
		{"xabcdefx", "x[REDACTED]x"},
		{"abcd", "[REDACTED]"}, // abc and bcd overlap
		{"zzbcdzz", "zz[REDACTED]zz"},
		{"nothing here", "nothing here"},
		{"4111 1111 1111 1111 ef", "4111********1111 [REDACTED]"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, r.String(tt.in), tt.in)
	}
	// A vault value inside a card number takes the whole number with it.
	r = mustNew(t, "1111 1111")
	require.Equal(t, "[REDACTED]", r.String("4111 1111 1111 1111"))
}

// TestVaultMatchesNaive: the automaton covers exactly the bytes that some
// secret covers, as found by strings.Index.
func TestVaultMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]rune("abcab\x00\xff"))
		secrets := rapid.SliceOfN(rapid.StringOfN(alphabet, 1, 6, -1), 1, 8).Draw(t, "secrets")
		text := rapid.StringOfN(alphabet, 0, 60, -1).Draw(t, "text")
		m, err := newMatcher(secrets)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]bool, len(text))
		for _, sp := range m.spans(text, nil) {
			for i := sp.start; i < sp.end; i++ {
				got[i] = true
			}
		}
		want := make([]bool, len(text))
		for _, s := range secrets {
			for off := 0; off+len(s) <= len(text); off++ {
				if text[off:off+len(s)] == s {
					for i := off; i < off+len(s); i++ {
						want[i] = true
					}
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("text %q secrets %q: covered %v, want %v", text, secrets, got, want)
		}
	})
}

// markerBytes are the bytes the redactor writes itself; a secret made of
// other bytes can only appear in the output if it survived.
const markerBytes = "[]REDACT*-"

// TestNoVaultSecretSurvives is the property the audit log relies on: a vault
// value embedded anywhere in any text never appears in the redacted text.
func TestNoVaultSecretSurvives(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secretChars := rapid.SampledFrom([]rune("abcxyz0123456789_.:/ \n"))
		secrets := rapid.SliceOfN(rapid.StringOfN(secretChars, 1, 12, -1), 1, 10).Draw(t, "secrets")
		r, err := New(secrets)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range rapid.IntRange(0, 6).Draw(t, "pieces") {
			b.WriteString(rapid.String().Draw(t, "noise"))
			b.WriteString(rapid.SampledFrom(secrets).Draw(t, "secret"))
		}
		out := r.String(b.String())
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("secret %q survives in %q", s, out)
			}
		}
	})
}

func TestValue(t *testing.T) {
	r := mustNew(t, "s3cret")
	in := map[string]any{
		"path":    "/tmp/s3cret.txt",
		"clean":   []any{"a", 1.0, true, nil},
		"nested":  map[string]any{"deep": []any{"x s3cret y"}},
		"headers": map[string]any{"Authorization": "whatever-it-is", "Accept": "text/html"},
		"s3cret":  "key name",
		"token":   []any{"t1", 2.0},
	}
	out := r.Value(in).(map[string]any)
	require.Equal(t, "/tmp/[REDACTED].txt", out["path"])
	require.Equal(t, map[string]any{"deep": []any{"x [REDACTED] y"}}, out["nested"])
	require.Equal(t, map[string]any{"Authorization": "[REDACTED]", "Accept": "text/html"}, out["headers"])
	require.Equal(t, "key name", out["[REDACTED]"])
	require.Equal(t, []any{"[REDACTED]", 2.0}, out["token"])
	require.NotContains(t, out, "s3cret")
	// Untouched parts are shared; the input is not modified.
	require.Same(t, &in["clean"].([]any)[0], &out["clean"].([]any)[0])
	require.Equal(t, "/tmp/s3cret.txt", in["path"])

	clean := map[string]any{"a": "b"}
	require.Equal(t, fmt.Sprintf("%p", clean), fmt.Sprintf("%p", r.Value(clean)))

	// Keys that redact alike are both kept.
	twin := r.Value(map[string]any{"s3cret": 1.0, "[REDACTED]": 2.0}).(map[string]any)
	require.Len(t, twin, 2)

	// Other Go types are rendered and redacted.
	require.Equal(t, "[[REDACTED]]", r.Value([]string{"s3cret"}))
}

func TestTooManySecrets(t *testing.T) {
	big := make([]string, 0, 2000)
	for i := range 2000 {
		big = append(big, fmt.Sprintf("%04d-%s", i, strings.Repeat(string(rune('A'+i%60)), 200)))
	}
	_, err := New(big)
	require.ErrorIs(t, err, errTooLarge)
}

func TestStringDoesNotAllocateWhenClean(t *testing.T) {
	r := mustNew(t, vaultOf(100)...)
	text := cleanText(4096)
	require.Equal(t, text, r.String(text))
	require.Zero(t, testing.AllocsPerRun(20, func() { r.String(text) }))
}

func vaultOf(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	out := make([]string, n)
	for i := range out {
		b := make([]byte, 40)
		for j := range b {
			b[j] = chars[rng.IntN(len(chars))]
		}
		out[i] = string(b)
	}
	return out
}

func cleanText(n int) string {
	const para = "The quick brown fox reads /home/user/project/src/main.go at line 42, then writes notes; "
	return strings.Repeat(para, n/len(para)+1)[:n]
}

// BenchmarkRedact: 100 vault secrets of 40 bytes against a 4 KiB argument,
// clean and with two secrets and a GitHub token in it.
//
//	go test -run '^$' -bench Redact -benchmem ./internal/redact/
func BenchmarkRedact(b *testing.B) {
	secrets := vaultOf(100)
	r := mustNew(b, secrets...)
	clean := cleanText(4096)
	dirty := clean[:1000] + secrets[7] + clean[1000:2000] + secrets[93] + " ghp_" + strings.Repeat("x", 36) + clean[2100:4096]
	for _, bc := range []struct{ name, text string }{{"clean-4KiB", clean}, {"dirty-4KiB", dirty}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				r.String(bc.text)
			}
		})
	}
	b.Run("value-4KiB", func(b *testing.B) {
		args := map[string]any{"path": "/home/user/x", "content": dirty}
		b.ReportAllocs()
		for b.Loop() {
			r.Value(args)
		}
	})
	b.Run("compile-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = New(secrets)
		}
	})
}

// FuzzRedact checks the leak property on arbitrary text and secrets: a
// secret embedded in the text is gone from the output, and redaction is
// idempotent in what it leaves visible.
func FuzzRedact(f *testing.F) {
	f.Add("prefix sk-ant-api03-abcdefghijklmnopqrstu suffix", "hunter2", 3)
	f.Add("4111 1111 1111 1111", "1111", 0)
	f.Add("Authorization: Bearer abcdefghijkl\n", "bcd", 10)
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nabc", "abc", 5)
	f.Fuzz(func(t *testing.T, text, secret string, at int) {
		if secret == "" || strings.ContainsAny(secret, markerBytes) {
			return
		}
		r, err := New([]string{secret})
		if err != nil {
			return
		}
		if at < 0 {
			at = -at
		}
		at %= len(text) + 1
		in := text[:at] + secret + text[at:]
		out := r.String(in)
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q survives: %q -> %q", secret, in, out)
		}
		if again := r.String(out); strings.Contains(again, secret) {
			t.Fatalf("secret %q appears on a second pass", secret)
		}
	})
}
