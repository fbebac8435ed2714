package docker

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func testEndpoints() Endpoints {
	return Endpoints{
		MCPCommand: []string{BridgePath, "mcp"},
		ProxyURL:   "http://" + LLMListen,
		BaseURLs:   map[string]string{"anthropic": "http://127.0.0.1:18080/anthropic", "openai": "http://127.0.0.1:18080/openai"},
		FakeKeys:   map[string]string{"anthropic": "sk-ant-api03-FAKE", "openai": "sk-proj-FAKE"},
		KeyEnv:     map[string]string{"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"},
		CAFile:     RunDir + "/ca.pem",
		Workspace:  WorkspaceDir,
		TaskFile:   RunDir + "/task.txt",
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestClaudeCode(t *testing.T) {
	l, err := ClaudeCode{Model: "claude-sonnet-4-5"}.Launch("fix the bug", testEndpoints())
	require.NoError(t, err)
	require.NoError(t, l.validate())
	require.Equal(t, []string{"claude", "-p", "fix the bug", "--output-format", "json", "--dangerously-skip-permissions",
		"--mcp-config", "/run/ironcurtain/files/claude-mcp.json", "--strict-mcp-config", "--model", "claude-sonnet-4-5"}, l.Command)
	env := envMap(l.Env)
	require.Equal(t, "sk-ant-api03-FAKE", env["ANTHROPIC_API_KEY"])
	require.Equal(t, "http://127.0.0.1:18080/anthropic", env["ANTHROPIC_BASE_URL"])
	require.Equal(t, "1", env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"])
	require.Len(t, l.Files, 1)
	var cfg struct {
		MCPServers map[string]struct {
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"mcpServers"`
	}
	require.NoError(t, json.Unmarshal(l.Files[0].Content, &cfg))
	require.Equal(t, BridgePath, cfg.MCPServers["ironcurtain"].Command)
	require.Equal(t, []string{"mcp"}, cfg.MCPServers["ironcurtain"].Args)

	e := testEndpoints()
	delete(e.BaseURLs, "anthropic")
	_, err = ClaudeCode{}.Launch("x", e)
	require.Error(t, err, "no anthropic provider")
}

func TestGoose(t *testing.T) {
	l, err := Goose{Model: "claude-sonnet-4-5"}.Launch("fix the bug", testEndpoints())
	require.NoError(t, err)
	require.NoError(t, l.validate())
	require.Equal(t, []string{"goose", "run", "--no-session", "--quiet", "--with-extension", BridgePath + " mcp", "-t", "fix the bug"}, l.Command)
	env := envMap(l.Env)
	require.Equal(t, "anthropic", env["GOOSE_PROVIDER"])
	require.Equal(t, "claude-sonnet-4-5", env["GOOSE_MODEL"])
	require.Equal(t, "sk-ant-api03-FAKE", env["ANTHROPIC_API_KEY"])
	require.Equal(t, "http://127.0.0.1:18080", env["ANTHROPIC_HOST"])
	require.Equal(t, "1", env["GOOSE_DISABLE_KEYRING"])

	l, err = Goose{Provider: "openai"}.Launch("x", testEndpoints())
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:18080", envMap(l.Env)["OPENAI_HOST"])
	_, err = Goose{Provider: "google"}.Launch("x", testEndpoints())
	require.Error(t, err)
}

func TestCodex(t *testing.T) {
	l, err := Codex{Model: "gpt-5-codex"}.Launch("fix the bug", testEndpoints())
	require.NoError(t, err)
	require.NoError(t, l.validate())
	require.Equal(t, []string{"codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "danger-full-access",
		"--cd", "/workspace",
		"-c", `openai_base_url="http://127.0.0.1:18080/openai/v1"`,
		"-c", `mcp_servers.ironcurtain.command="/usr/local/bin/ironcurtain-bridge"`,
		"-c", `mcp_servers.ironcurtain.args=["mcp"]`,
		"-m", "gpt-5-codex", "fix the bug"}, l.Command)
	env := envMap(l.Env)
	require.Equal(t, "sk-proj-FAKE", env["CODEX_API_KEY"])
	require.Equal(t, "sk-proj-FAKE", env["OPENAI_API_KEY"])
	require.Equal(t, Home+"/.codex", env["CODEX_HOME"])
}

func TestGeneric(t *testing.T) {
	l, err := Generic{Command: []string{"agent", "--go"}, TaskArg: true, Env: []string{"X=1"}}.Launch("the task", testEndpoints())
	require.NoError(t, err)
	require.NoError(t, l.validate())
	require.Equal(t, []string{"agent", "--go", "the task"}, l.Command)
	env := envMap(l.Env)
	require.Equal(t, "sk-ant-api03-FAKE", env["ANTHROPIC_API_KEY"])
	require.Equal(t, "sk-proj-FAKE", env["OPENAI_API_KEY"])
	require.Equal(t, "http://127.0.0.1:18080/anthropic", env["IRONCURTAIN_ANTHROPIC_BASE_URL"])
	require.Equal(t, "/run/ironcurtain/files/mcp.json", env["IRONCURTAIN_MCP_CONFIG"])
	require.Equal(t, BridgePath+" mcp", env["IRONCURTAIN_MCP_COMMAND"])
	require.Equal(t, "1", env["X"])

	l, err = Generic{Command: []string{"agent"}}.Launch("t", Endpoints{})
	require.NoError(t, err)
	require.Empty(t, l.Env, "nothing offered, nothing set")
	require.Empty(t, l.Files)
	_, err = Generic{}.Launch("t", Endpoints{})
	require.Error(t, err)
}

func TestLaunchValidate(t *testing.T) {
	bad := []Launch{
		{},
		{Command: []string{""}},
		{Command: []string{"a"}, Env: []string{"novalue"}},
		{Command: []string{"a"}, Files: []File{{Name: "../x"}}},
		{Command: []string{"a"}, Files: []File{{Name: ".hidden"}}},
		{Command: []string{"a"}, Files: []File{{Name: "x", CopyTo: "/etc/passwd"}}},
		{Command: []string{"a"}, Files: []File{{Name: "x", CopyTo: "/tmp/../etc/x"}}},
	}
	for _, l := range bad {
		require.Error(t, l.validate(), "%+v", l)
	}
}

func TestBridgeArgv(t *testing.T) {
	l := Launch{Command: []string{"codex", "exec"}, Files: []File{{Name: "config.toml", CopyTo: "/tmp/home/.codex/config.toml"}, {Name: "other"}}}
	require.Equal(t, []string{BridgePath, "run", "-listen", LLMListen, "-socket", "/run/ironcurtain/llm.sock",
		"-copy", "/run/ironcurtain/files/config.toml:/tmp/home/.codex/config.toml", "--", "codex", "exec"}, bridgeArgv(l, true))
	require.Equal(t, []string{BridgePath, "run", "-listen", "", "-copy", "/run/ironcurtain/files/config.toml:/tmp/home/.codex/config.toml", "--", "codex", "exec"}, bridgeArgv(l, false))
}

func TestClaudeCodeResult(t *testing.T) {
	var c ClaudeCode
	require.JSONEq(t, `{"type":"result","result":"done"}`, string(c.Result([]string{"noise", `{"type":"result","result":"done"}`, ""})))
	require.Nil(t, c.Result([]string{`{"type":"result"}`, "trailing text"}))
	require.Nil(t, c.Result([]string{`{broken`}))
	require.Nil(t, c.Result(nil))
}
