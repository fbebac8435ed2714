package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

var (
	_ ironcurtain.ToolServer = (*Server)(nil)
	_ io.Closer              = (*Server)(nil)
)

func TestTools(t *testing.T) {
	s := newLocal(t, Options{})
	tools, err := s.Tools(context.Background())
	require.NoError(t, err)
	require.Len(t, tools, 2)
	want := map[string][]string{
		ToolFetch:  {"url", "headers", "max_length", "format", "timeout"},
		ToolSearch: {"query", "max_results"},
	}
	for _, tool := range tools {
		args, ok := want[tool.Name]
		require.True(t, ok, tool.Name)
		require.Equal(t, ironcurtain.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: true}, tool.Annotations)
		require.NotEmpty(t, tool.Description)
		var schema struct {
			Type                 string                    `json:"type"`
			Properties           map[string]map[string]any `json:"properties"`
			Required             []string                  `json:"required"`
			AdditionalProperties bool                      `json:"additionalProperties"`
		}
		require.NoError(t, json.Unmarshal(tool.InputSchema, &schema))
		require.Equal(t, "object", schema.Type)
		require.False(t, schema.AdditionalProperties)
		require.Len(t, schema.Properties, len(args))
		for _, a := range args {
			require.Contains(t, schema.Properties, a)
		}
		require.Equal(t, args[:1], schema.Required)
		require.True(t, json.Valid(tool.OutputSchema))
	}
	tools[0].Name = "changed"
	again, err := s.Tools(context.Background())
	require.NoError(t, err)
	require.Equal(t, ToolFetch, again[0].Name, "the caller's copy is its own")
}

func TestUnknownTool(t *testing.T) {
	s := newLocal(t, Options{})
	_, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: "http_post"})
	require.ErrorIs(t, err, ironcurtain.ErrUnknownTool)
}

func TestClose(t *testing.T) {
	site, port := newSite(t, content("text/plain", "x"))
	s := newLocal(t, Options{}, port)
	fetchOK(t, s, map[string]any{"url": site.URL})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "idempotent")
	_, err := s.Call(context.Background(), ironcurtain.ToolCall{Tool: ToolFetch, Arguments: map[string]any{"url": site.URL}})
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
	_, err = s.Tools(context.Background())
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
}

// Concurrent calls of both tools, and Close racing with them, under -race.
func TestConcurrentUse(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<main><h1>%s</h1><table><tr><th>a</th></tr><tr><td>1</td></tr></table></main>", r.URL.Path)
	}))
	search, _ := newSite(t, content("application/json", providerAnswers["searxng"]))
	s := newLocal(t, Options{Search: SearchConfig{Provider: "searxng", BaseURL: search.URL}}, port)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			path := fmt.Sprintf("/p%d", i)
			_, out := fetchOK(t, s, map[string]any{"url": site.URL + path})
			require.Contains(t, out.Body, "# "+path)
			require.Contains(t, out.Body, "| a |")
			res := call(t, s, ToolSearch, map[string]any{"query": "q", "max_results": 2})
			require.False(t, res.IsError, res.Text())
		})
	}
	wg.Wait()
	var closers sync.WaitGroup
	for range 4 {
		closers.Go(func() { require.NoError(t, s.Close()) })
	}
	closers.Wait()
}
