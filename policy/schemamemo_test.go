package policy

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// TestSchemaMemo: what is remembered of a schema is what reading it gives,
// a caller's changes to what it is given do not reach the next caller, and
// no more than maxSchemas schemas are kept.
func TestSchemaMemo(t *testing.T) {
	raw := json.RawMessage(`{"type":"object","properties":{"b":{"type":"string"},"a":{"enum":["x","y"]}},"anyOf":[{"properties":{"c":{}}}],"additionalProperties":true}`)
	order, args := readSchemaProps(raw)
	for range 2 {
		got := schemaArgOrder(raw)
		require.Equal(t, order, got)
		require.Equal(t, args, schemaArgs(raw))
		require.True(t, schemaOpen(raw))
		got[0] = "changed"
		_ = append(got[:1], "appended")
	}
	for i := range maxSchemas + 10 {
		readSchema(json.RawMessage(fmt.Sprintf(`{"properties":{"p%d":{}}}`, i)))
	}
	schemas.mu.Lock()
	n := len(schemas.m)
	schemas.mu.Unlock()
	require.LessOrEqual(t, n, maxSchemas)
	require.Equal(t, []string{"p99999"}, schemaArgOrder(json.RawMessage(`{"properties":{"p99999":{}}}`)))
}

// TestSharedDefaultsUnchanged: the engines Load and Default build share one
// decoded copy of the default artifacts, so building, evaluating with,
// linting and drift-checking them must leave that copy as decoded.
func TestSharedDefaultsUnchanged(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		e, err := Load(Files{}, Config{Sandbox: dir, Home: dir, Protected: []string{dir + "/audit.jsonl"},
			DomainAllowlists: map[string][]string{"git": {"github.com"}}})
		require.NoError(t, err)
		_, err = e.Evaluate(t.Context(), ironcurtain.ToolCall{Server: "filesystem", Tool: "read_text_file",
			Arguments: map[string]any{"path": dir + "/notes.md"}})
		require.NoError(t, err)
		_, _ = e.CheckServed(map[string][]ironcurtain.Tool{"filesystem": {{Name: "read_text_file",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"file":{"type":"string"}}}`)}}})
		_ = e.Lint()
		_, err = Default(Config{Sandbox: dir, Home: dir})
		require.NoError(t, err)
	}
	require.Equal(t, DefaultArtifacts(), sharedDefaults())
}
