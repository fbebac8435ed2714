package codetool

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInputSchema pins the published schema of execute_code: derived
// from args, it must stay what agents and policies were given before.
func TestInputSchema(t *testing.T) {
	require.JSONEq(t, `{"type":"object","properties":{"code":{"type":"string","description":"TypeScript: the body of an async function. Call tools synchronously; use return to give a result."}},"required":["code"],"additionalProperties":false}`,
		string(inputSchema))
}
