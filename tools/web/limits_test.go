package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBodyCap(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name   string
		size   int
		length bool // send Content-Length
		want   string
	}{
		{"at the cap", limit, true, ""},
		{"over the cap, streamed", limit + 1, false, "response larger than 1 KiB; the read was stopped there"},
		{"over the cap, declared", 4 * limit, true, "response larger than 1 KiB (Content-Length 4096); it was not read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				if tc.length {
					w.Header().Set("Content-Length", strconv.Itoa(tc.size))
				} else {
					w.(http.Flusher).Flush() // chunked: the size is unknown until read
				}
				_, _ = w.Write(bytes.Repeat([]byte("a"), tc.size))
			}))
			s := newLocal(t, Options{MaxBodyBytes: limit}, port)
			if tc.want == "" {
				_, out := fetchOK(t, s, map[string]any{"url": site.URL, "max_length": limit})
				require.Len(t, out.Body, limit)
				return
			}
			require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL}), tc.want)
		})
	}
}

// The default cap is 10 MiB, and the read stops there: the server is not
// drained of its 11 MiB.
func TestDefaultBodyCap(t *testing.T) {
	var written atomic.Int64
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := bytes.Repeat([]byte("b"), 64<<10)
		for range 11 << 4 { // 11 MiB in 64 KiB chunks
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil || r.Context().Err() != nil {
				return
			}
		}
	}))
	s := newLocal(t, Options{}, port)
	require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL}), "response larger than 10 MiB")
}

// A gzip bomb: a few KiB on the wire, 64 MiB decoded. The cap counts
// decoded bytes, so the read stops at the cap.
func TestDecompressionBombStopped(t *testing.T) {
	var bomb bytes.Buffer
	zw, err := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	require.NoError(t, err)
	zero := make([]byte, 1<<20)
	for range 64 {
		_, err := zw.Write(zero)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.Less(t, bomb.Len(), 128<<10)

	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Contains(t, r.Header.Get("Accept-Encoding"), "gzip")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb.Bytes())
	}))
	s := newLocal(t, Options{MaxBodyBytes: 1 << 20}, port)
	require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL}), "response larger than 1 MiB")
}

// gzip under the cap is decoded transparently.
func TestGzipDecoded(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte("compressed words"))
	require.NoError(t, zw.Close())
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(buf.Bytes())
	}))
	s := newLocal(t, Options{}, port)
	_, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Equal(t, "compressed words", out.Body)
}

func TestMaxLength(t *testing.T) {
	body := strings.Repeat("é", 50) + strings.Repeat("z", 50) // 100 characters, 150 bytes
	site, port := newSite(t, content("text/plain; charset=utf-8", body))
	s := newLocal(t, Options{}, port)
	tests := []struct {
		name      string
		maxLength any
		want      string
		truncated bool
	}{
		{"cut in characters, not bytes", 60, strings.Repeat("é", 50) + strings.Repeat("z", 10), true},
		{"exact length", 100, body, false},
		{"longer than the body", 5000, body, false},
		{"one", 1, "é", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, out := fetchOK(t, s, map[string]any{"url": site.URL, "max_length": tc.maxLength})
			require.Equal(t, tc.want, out.Body)
			require.Equal(t, tc.truncated, out.Truncated)
			marker := fmt.Sprintf("\n\n[truncated: %v of 100 characters shown; call again with a larger max_length]", tc.maxLength)
			if tc.truncated {
				require.True(t, strings.HasSuffix(res.Text(), tc.want+marker), res.Text())
			} else {
				require.NotContains(t, res.Text(), "[truncated")
			}
		})
	}
}

func TestDefaultMaxLength(t *testing.T) {
	site, port := newSite(t, content("text/plain", strings.Repeat("x", 6000)))
	s := newLocal(t, Options{}, port)
	res, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Len(t, out.Body, 5000)
	require.Contains(t, res.Text(), "[truncated: 5000 of 6000 characters shown")
}

// hang blocks until the client goes away, so a fetch of it can only end by
// its timeout. No sleep: the request's context ends the handler.
func hang(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if r.URL.Path == "/body" {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
	}
	<-r.Context().Done()
}

func TestTimeout(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(hang))
	// MaxTimeout caps the agent's timeout, so the test waits 50 ms, not 1 s.
	s := newLocal(t, Options{Timeout: 50 * time.Millisecond, MaxTimeout: 50 * time.Millisecond}, port)
	for _, path := range []string{"/headers", "/body"} {
		t.Run(path, func(t *testing.T) {
			msg := fetchErr(t, s, map[string]any{"url": site.URL + path, "timeout": 1})
			require.Contains(t, msg, "timed out after 50ms")
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"negative body", Options{MaxBodyBytes: -1}},
		{"negative timeout", Options{Timeout: -time.Second}},
		{"timeout over max", Options{Timeout: 2 * time.Minute}},
		{"bad user agent", Options{UserAgent: "a\r\nX-Evil: 1"}},
		{"zero port", Options{AllowPorts: []uint16{0}}},
		{"too many redirects", Options{MaxRedirects: 21}},
		{"unknown provider", Options{Search: SearchConfig{Provider: "altavista"}}},
		{"searxng without base", Options{Search: SearchConfig{Provider: "searxng"}}},
		{"brave without vault", Options{Search: SearchConfig{Provider: "brave"}}},
		{"bad base URL", Options{Search: SearchConfig{Provider: "searxng", BaseURL: "ftp://x"}}},
		{"base URL with query", Options{Search: SearchConfig{Provider: "searxng", BaseURL: "http://x/?a=1"}}},
		{"base without provider", Options{Search: SearchConfig{BaseURL: "http://x/"}}},
		{"negative search timeout", Options{Search: SearchConfig{Provider: "searxng", BaseURL: "http://x", Timeout: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			require.Error(t, err)
		})
	}
	s, err := New(Options{})
	require.NoError(t, err, "the zero value is valid")
	require.NoError(t, s.Close())
	s, err = New(Options{Timeout: 10 * time.Second, MaxTimeout: 10 * time.Second})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = New(Options{MaxTimeout: 5 * time.Second})
	require.NoError(t, err, "Timeout defaults to MaxTimeout when that is lower")
	require.Equal(t, 5*time.Second, s.cfg.timeout)
	require.NoError(t, s.Close())
}
