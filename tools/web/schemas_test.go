package web

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset/toolsettest"
)

var update = flag.Bool("update", false, "rewrite testdata/schemas from the current tool list")

// TestSchemasGolden pins each tool's input and output schemas in
// testdata/schemas, in canonical form, so that what agents and policies see
// changes only on purpose. Run with -update to accept a change.
func TestSchemasGolden(t *testing.T) {
	tools, err := newLocal(t, Options{}).Tools(context.Background())
	require.NoError(t, err)
	toolsettest.Golden(t, tools, filepath.Join("testdata", "schemas"), *update)
}

// TestStructuredMatchesOutputSchema: what a result carries as structured
// content is what the tool's output schema says, for a plain fetch, one
// with a redirect and dropped headers, and a search.
func TestStructuredMatchesOutputSchema(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", content("text/html", "<title>T</title><main><p>x</p></main>"))
	mux.Handle("/moved", http.RedirectHandler("/", http.StatusFound))
	site, port := newSite(t, mux)
	search, _ := newSite(t, content("application/json", providerAnswers["searxng"]))
	s := newLocal(t, Options{Search: SearchConfig{Provider: "searxng", BaseURL: search.URL}}, port)
	tools, err := s.Tools(context.Background())
	require.NoError(t, err)
	schemas := map[string]*jsonschema.Schema{}
	for _, tool := range tools {
		sc, err := jsonschema.Compile(tool.OutputSchema)
		require.NoError(t, err, tool.Name)
		schemas[tool.Name] = sc
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{ToolFetch, map[string]any{"url": site.URL}},
		{ToolFetch, map[string]any{"url": site.URL + "/moved", "headers": map[string]any{"Cookie": "a=b", "X-Ok": "1"}}},
		{ToolSearch, map[string]any{"query": "q"}},
	} {
		res := call(t, s, c.tool, c.args)
		require.False(t, res.IsError, res.Text())
		var v any
		require.NoError(t, json.Unmarshal(res.Structured, &v))
		require.NoError(t, schemas[c.tool].Validate(v), "%s: %s", c.tool, res.Structured)
	}
}
