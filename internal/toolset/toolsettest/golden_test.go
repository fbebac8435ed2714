package toolsettest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.Errorf(format, a...)
	runtime.Goexit()
}
func (r *recorder) Fatal(a ...any) { r.Fatalf("%s", fmt.Sprint(a...)) }

// golden runs Golden against a recorder and returns what failed.
func golden(tools []ironcurtain.Tool, dir string, update bool) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Golden(r, tools, dir, update)
	}()
	<-done
	return r.failures
}

func TestGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "schemas")
	tools := []ironcurtain.Tool{
		{Name: "a", InputSchema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"string","description":"<x> & y"}}}`)},
		{Name: "b", InputSchema: json.RawMessage(`{"type":"object"}`), OutputSchema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"number","maximum":1e3}}}`)},
	}
	failures := golden(tools, dir, false)
	require.Len(t, failures, 2, "no golden files yet")
	require.Contains(t, failures[0], "run the test with -update")

	require.Empty(t, golden(tools, dir, true))
	a, err := os.ReadFile(filepath.Join(dir, "a.json"))
	require.NoError(t, err)
	require.Equal(t, `{
  "inputSchema": {
    "properties": {
      "x": {
        "description": "<x> & y",
        "type": "string"
      }
    },
    "type": "object"
  }
}
`, string(a), "canonical: sorted keys, two-space indent, no HTML escaping")
	b, err := os.ReadFile(filepath.Join(dir, "b.json"))
	require.NoError(t, err)
	require.Contains(t, string(b), `"maximum": 1e3`, "numbers as written")
	require.Contains(t, string(b), `"outputSchema"`)
	require.Empty(t, golden(tools, dir, false))

	// The same schema written otherwise is the same schema.
	same := []ironcurtain.Tool{tools[0], tools[1]}
	same[0].InputSchema = json.RawMessage("{\n\"properties\": {\"x\": {\"type\": \"string\", \"description\": \"<x> & y\"}}, \"type\": \"object\"}")
	require.Empty(t, golden(same, dir, false))

	// Any change of meaning fails and names the tool.
	changed := []ironcurtain.Tool{tools[0], tools[1]}
	changed[1].OutputSchema = json.RawMessage(`{"type":"object","properties":{"n":{"type":"number","maximum":1e4}}}`)
	failures = golden(changed, dir, false)
	require.Len(t, failures, 1)
	require.True(t, strings.HasPrefix(failures[0], "tool b: the published schemas differ"), failures[0])

	// A tool that is gone leaves a stale file, which fails until -update.
	failures = golden(tools[:1], dir, false)
	require.Len(t, failures, 1)
	require.Contains(t, failures[0], "no tool of that name is published any more")
	require.Empty(t, golden(tools[:1], dir, true))
	_, err = os.Stat(filepath.Join(dir, "b.json"))
	require.ErrorIs(t, err, os.ErrNotExist)

	// Broken tables fail.
	require.NotEmpty(t, golden([]ironcurtain.Tool{tools[0], tools[0]}, dir, false), "a tool listed twice")
	require.NotEmpty(t, golden([]ironcurtain.Tool{{Name: "c", InputSchema: json.RawMessage(`{`)}}, dir, false), "a schema that is not JSON")
}
