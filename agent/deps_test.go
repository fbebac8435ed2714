package agent_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the provider SDKs out of the packages that do not
// need them: the loop and the approver build with the standard library
// and the root alone, and each provider brings only its own SDK.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	const (
		mod       = "github.com/ironcurtain-go/ironcurtain"
		anthropic = "github.com/anthropics/anthropic-sdk-go"
		openai    = "github.com/openai/openai-go"
	)
	heavy := []string{anthropic, openai, "github.com/fastschema/qjs", "github.com/evanw/esbuild", "github.com/moby/", "github.com/mark3labs/mcp-go"}
	cases := []struct {
		pkg       string
		forbidden []string
	}{
		{mod + "/agent", heavy},
		{mod + "/agent/anthropic", []string{openai, "github.com/fastschema/qjs"}},
		{mod + "/agent/openai", []string{anthropic, "github.com/fastschema/qjs"}},
		{mod + "/agent/models", []string{"github.com/fastschema/qjs"}},
	}
	for _, tc := range cases {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tc.pkg).CombinedOutput()
			require.NoError(t, err, string(out))
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range tc.forbidden {
					require.False(t, strings.HasPrefix(dep, f), "%s must not depend on %s", tc.pkg, dep)
				}
			}
		})
	}
	// The core imports nothing outside the standard library but the root.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+"/agent").CombinedOutput()
	require.NoError(t, err, string(out))
	require.ElementsMatch(t, []string{mod, mod + "/internal/jsonschema", mod + "/agent"}, strings.Fields(string(out)))
}
