package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// TestAllowDomainsEmpty: "--allow-domains git=" is an allowlist that is
// present and empty, so every git URL escalates before any rule is read.
func TestAllowDomainsEmpty(t *testing.T) {
	sb := t.TempDir()
	in := `{"server":"git","tool":"git_push","arguments":{"path":"` + sb + `","remote":"https://github.com/o/r"}}` + "\n"
	for _, flags := range [][]string{{"--allow-domains", "git="}, {"--allow-domains", "git=", "--allow-domains", "fetch=go.dev"}} {
		code, out, errOut := runCLI(t, in, append([]string{"policy", "eval", "--sandbox", sb}, flags...)...)
		require.Equal(t, 0, code, errOut)
		var r map[string]string
		require.NoError(t, json.Unmarshal([]byte(out), &r), out)
		require.Equal(t, "escalate", r["decision"], out)
		require.Equal(t, "structural-domain-escalate", r["rule"], out)
	}
	code, out, _ := runCLI(t, in, "policy", "eval", "--sandbox", sb, "--allow-domains", "git=github.com")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "structural-domain-escalate", "a listed domain passes the gate")

	for _, bad := range []string{"=github.com", "git", "git=github.com,,gitlab.com", "git=,"} {
		code, _, errOut := runCLI(t, in, "policy", "eval", "--allow-domains", bad)
		require.Equal(t, 2, code, bad)
		require.NotEmpty(t, errOut, bad)
	}
}

// TestServeEmptyAllowlist: the same in serve's configuration, written as an
// empty list or as null.
func TestServeEmptyAllowlist(t *testing.T) {
	for _, list := range []string{`[]`, `null`} {
		t.Run(list, func(t *testing.T) {
			dir := t.TempDir()
			conf := `{"sandbox":"box","approver":"deny","domainAllowlists":{"git":` + list + `},
			  "servers":{"filesystem":{"builtin":"filesystem"}}}`
			path := filepath.Join(dir, "serve.json")
			require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
			cfg, err := loadServeConfig(path)
			require.NoError(t, err)
			rt, err := startServe(context.Background(), cfg, &strings.Builder{}, nil)
			require.NoError(t, err)
			defer rt.Close()
			d, err := rt.stack.Policy.Evaluate(context.Background(), ironcurtain.ToolCall{Server: "git", Tool: "git_push",
				Arguments: map[string]any{"path": filepath.Join(dir, "box"), "remote": "https://github.com/o/r"}})
			require.NoError(t, err)
			require.Equal(t, ironcurtain.Escalate, d.Verdict)
			require.Equal(t, "structural-domain-escalate", d.Rule)
		})
	}
}
