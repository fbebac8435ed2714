package policy

import (
	"encoding/json"
	"fmt"
	"testing"

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
