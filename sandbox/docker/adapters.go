package docker

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ClaudeCode runs Anthropic's Claude Code in print mode.
//
// Image: Node.js 18 or later, "npm install -g @anthropic-ai/claude-code"
// (pin the version), and the bridge at [BridgePath]; see the package
// documentation for a Dockerfile. The sandbox must have an LLM proxy that
// serves the "anthropic" provider.
//
// Environment: ANTHROPIC_API_KEY is the fake key and ANTHROPIC_BASE_URL
// the proxy's plain-HTTP base URL, so the API needs no TLS inside the
// container; NODE_EXTRA_CA_CERTS and HTTPS_PROXY (set by the sandbox) cover
// anything else Claude Code reaches for, which the proxy refuses unless it
// is on the allowlist. Auto-update, telemetry and other non-essential
// traffic are switched off.
//
// MCP: a --mcp-config file naming the bridge as the one server,
// "ironcurtain", with --strict-mcp-config so that no other configuration
// is read.
//
// Command: claude -p TASK --output-format json --mcp-config FILE
// --strict-mcp-config --dangerously-skip-permissions [--model M]. Skipping
// Claude Code's own permission prompts is right here: the container is the
// sandbox and every tool call outside it passes the Gate.
type ClaudeCode struct {
	// Binary is the program; "claude" when empty.
	Binary string
	// Model, if set, is passed as --model.
	Model string
	// Args are further arguments, placed before -p.
	Args []string
}

// baseURL returns the LLM proxy's base URL for provider, or an error saying
// that agent needs the proxy to serve it.
func (e Endpoints) baseURL(agent, provider string) (string, error) {
	base, ok := e.BaseURLs[provider]
	if !ok {
		return "", fmt.Errorf("docker: %s needs an LLM proxy serving the %s provider", agent, provider)
	}
	return base, nil
}

// Name returns "claude-code".
func (ClaudeCode) Name() string { return "claude-code" }

// Launch returns Claude Code's command line, environment and MCP file.
func (c ClaudeCode) Launch(task string, e Endpoints) (Launch, error) {
	base, err := e.baseURL("Claude Code", "anthropic")
	if err != nil {
		return Launch{}, err
	}
	bin := cmp.Or(c.Binary, "claude")
	l := Launch{
		Env: []string{
			e.KeyEnv["anthropic"] + "=" + e.FakeKeys["anthropic"],
			"ANTHROPIC_BASE_URL=" + base,
			"HOME=" + Home,
			"DISABLE_AUTOUPDATER=1",
			"DISABLE_TELEMETRY=1",
			"DISABLE_ERROR_REPORTING=1",
			"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		},
	}
	l.Command = append([]string{bin}, c.Args...)
	l.Command = append(l.Command, "-p", task, "--output-format", "json", "--dangerously-skip-permissions")
	if e.MCPCommand != nil {
		f := File{Name: "claude-mcp.json", Content: mcpServersJSON(e.MCPCommand)}
		l.Files = append(l.Files, f)
		l.Command = append(l.Command, "--mcp-config", f.Path(), "--strict-mcp-config")
	}
	if c.Model != "" {
		l.Command = append(l.Command, "--model", c.Model)
	}
	return l, nil
}

// Result returns the JSON object Claude Code prints last with
// --output-format json ({"type":"result","result":"...",...}), if the
// output ends with one.
func (ClaudeCode) Result(output []string) json.RawMessage {
	for i := len(output) - 1; i >= 0; i-- {
		line := strings.TrimSpace(output[i])
		if line == "" {
			continue
		}
		var probe map[string]json.RawMessage
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &probe) == nil {
			return json.RawMessage(line)
		}
		return nil
	}
	return nil
}

// Goose runs Block's Goose CLI on one task without a session.
//
// Image: the Goose CLI binary (from its GitHub releases; pin the version),
// its runtime libraries (a Debian-slim base), and the bridge; see the
// package documentation.
//
// Environment: GOOSE_PROVIDER and GOOSE_MODEL, GOOSE_MODE=auto, the fake
// key under the provider's variable, and ANTHROPIC_HOST or OPENAI_HOST
// pointing at the proxy's loopback address (the proxy routes Goose's bare
// paths, /v1/messages and /v1/chat/completions, to the right provider).
// Other providers reach the API through HTTPS_PROXY with SSL_CERT_FILE.
// The system keyring is switched off (GOOSE_DISABLE_KEYRING), since the
// container has none, and Goose's configuration lives under $HOME on /tmp.
//
// MCP: --with-extension with the bridge's command, so no configuration
// file is written.
//
// Command: goose run --no-session --quiet --with-extension "BRIDGE mcp"
// -t TASK. These flags are those of the Goose 1.x CLI documentation;
// check them against the version in your image.
type Goose struct {
	// Provider is the Goose provider name: "anthropic" (the default),
	// "openai" or "google".
	Provider string
	// Model is GOOSE_MODEL. Required by Goose.
	Model string
	// Binary is the program; "goose" when empty.
	Binary string
}

// Name returns "goose".
func (Goose) Name() string { return "goose" }

// Launch returns Goose's command line and environment.
func (g Goose) Launch(task string, e Endpoints) (Launch, error) {
	prov := g.Provider
	if prov == "" {
		prov = "anthropic"
	}
	if _, ok := e.FakeKeys[prov]; !ok {
		return Launch{}, fmt.Errorf("docker: Goose needs an LLM proxy serving the %s provider", prov)
	}
	bin := cmp.Or(g.Binary, "goose")
	l := Launch{Env: []string{
		"GOOSE_PROVIDER=" + prov,
		"GOOSE_MODE=auto",
		"GOOSE_DISABLE_KEYRING=1",
		"HOME=" + Home,
		"XDG_CONFIG_HOME=" + Home + "/.config",
		e.KeyEnv[prov] + "=" + e.FakeKeys[prov],
	}}
	if g.Model != "" {
		l.Env = append(l.Env, "GOOSE_MODEL="+g.Model)
	}
	origin := strings.TrimSuffix(e.ProxyURL, "/")
	switch prov {
	case "anthropic":
		l.Env = append(l.Env, "ANTHROPIC_HOST="+origin)
	case "openai":
		l.Env = append(l.Env, "OPENAI_HOST="+origin)
	}
	l.Command = []string{bin, "run", "--no-session", "--quiet"}
	if e.MCPCommand != nil {
		l.Command = append(l.Command, "--with-extension", strings.Join(e.MCPCommand, " "))
	}
	l.Command = append(l.Command, "-t", task)
	return l, nil
}

// Codex runs OpenAI's Codex CLI non-interactively (codex exec).
//
// Image: Node.js 18 or later, "npm install -g @openai/codex" (pin the
// version), and the bridge; see the package documentation.
//
// Environment: the fake OpenAI key as CODEX_API_KEY and OPENAI_API_KEY,
// CODEX_HOME under $HOME on /tmp (Codex writes its state there).
//
// Configuration is passed as -c overrides rather than a config.toml:
// openai_base_url points at the proxy's plain-HTTP base URL for the
// "openai" provider, and mcp_servers.ironcurtain names the bridge.
//
// Command: codex exec --json --skip-git-repo-check --sandbox
// danger-full-access --cd /workspace -c ... [-m M] TASK. Codex's own
// sandbox is switched off because it needs privileges the container does
// not grant; the container is the sandbox. The -c keys follow the Codex
// CLI documentation; check them against the version in your image.
type Codex struct {
	// Model, if set, is passed as -m.
	Model string
	// Binary is the program; "codex" when empty.
	Binary string
}

// Name returns "codex".
func (Codex) Name() string { return "codex" }

// Launch returns Codex's command line and environment.
func (c Codex) Launch(task string, e Endpoints) (Launch, error) {
	base, err := e.baseURL("Codex", "openai")
	if err != nil {
		return Launch{}, err
	}
	bin := cmp.Or(c.Binary, "codex")
	fake := e.FakeKeys["openai"]
	l := Launch{Env: []string{
		"CODEX_API_KEY=" + fake,
		"OPENAI_API_KEY=" + fake,
		"HOME=" + Home,
		"CODEX_HOME=" + Home + "/.codex",
	}}
	l.Command = []string{bin, "exec", "--json", "--skip-git-repo-check", "--sandbox", "danger-full-access"}
	if e.Workspace != "" {
		l.Command = append(l.Command, "--cd", e.Workspace)
	}
	l.Command = append(l.Command, "-c", "openai_base_url="+tomlString(base+"/v1"))
	if e.MCPCommand != nil {
		l.Command = append(l.Command,
			"-c", "mcp_servers.ironcurtain.command="+tomlString(e.MCPCommand[0]),
			"-c", "mcp_servers.ironcurtain.args="+tomlStrings(e.MCPCommand[1:]))
	}
	if c.Model != "" {
		l.Command = append(l.Command, "-m", c.Model)
	}
	l.Command = append(l.Command, task)
	return l, nil
}

// tomlString quotes s as a TOML basic string. Go's quoting is a subset of
// TOML's for the strings used here (paths, URLs, words).
func tomlString(s string) string { return strconv.Quote(s) }

func tomlStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}
