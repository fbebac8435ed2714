package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Paths inside the container.
const (
	// BridgePath is where an image holds the bridge
	// (cmd/ironcurtain-bridge). Every image Docker Mode runs needs it.
	BridgePath = "/usr/local/bin/ironcurtain-bridge"
	// RunDir is where the run directory is mounted, read-only: the two
	// sockets, the CA certificate, the task and the adapter's files.
	RunDir = "/run/ironcurtain"
	// WorkspaceDir is where Options.Workspace is mounted.
	WorkspaceDir = "/workspace"
	// Home is the agent's home directory, on the writable /tmp.
	Home = "/tmp/home"
	// LLMListen is the loopback address the bridge serves the LLM proxy on.
	LLMListen = "127.0.0.1:18080"
)

// Names in the run directory.
const (
	mcpSocketName = "mcp.sock"
	llmSocketName = "llm.sock"
	caFileName    = "ca.pem"
	taskFileName  = "task.txt"
	filesDirName  = "files"
)

// Adapter knows one agent program: what its image needs, how it is
// configured and how it is started on a task. Launch must not block and
// must be safe for concurrent use; it must not keep e.
//
// The built-in adapters are [ClaudeCode], [Goose], [Codex] and [Generic].
type Adapter interface {
	// Name names the agent, for labels and logs.
	Name() string
	// Launch returns how to start the agent on task, given what the
	// sandbox provides.
	Launch(task string, e Endpoints) (Launch, error)
}

// Resulter is an optional interface of an [Adapter] that finds the agent's
// result in its output. The sandbox sets Report.Value to what Result
// returns; nil leaves it empty. Result must treat output as hostile.
type Resulter interface {
	Result(output []string) json.RawMessage
}

// Endpoints is what the sandbox provides an agent: how to reach the MCP
// proxy and the LLM proxy from inside the container, and its fake keys.
type Endpoints struct {
	// MCPCommand starts an MCP server over stdio that reaches the Gate:
	// [BridgePath, "mcp"]. Nil when the sandbox has no tools.
	MCPCommand []string
	// ProxyURL is the HTTPS_PROXY address, "http://127.0.0.1:18080"; empty
	// when the sandbox has no LLM proxy.
	ProxyURL string
	// BaseURLs are the plain-HTTP base URLs per provider name,
	// "http://127.0.0.1:18080/anthropic".
	BaseURLs map[string]string
	// FakeKeys are the run's fake API keys per provider name.
	FakeKeys map[string]string
	// KeyEnv names the environment variable each provider's SDKs read the
	// key from (the provider's credential name, such as
	// "ANTHROPIC_API_KEY").
	KeyEnv map[string]string
	// CAFile is the proxy's CA certificate in the container; empty when
	// there is no LLM proxy.
	CAFile string
	// Workspace is the workspace directory, empty when none is mounted.
	Workspace string
	// TaskFile holds the task, for agents that read it from a file.
	TaskFile string
}

// Launch is how an agent is started on one task.
type Launch struct {
	// Command is the agent's command line; the sandbox runs it under the
	// bridge. Required.
	Command []string
	// Env are further NAME=value entries for the agent; they override the
	// sandbox's own.
	Env []string
	// Files are written to the run directory before the container starts.
	Files []File
}

// File is a file an adapter gives the agent.
type File struct {
	// Name is the file's name in the run directory ("claude-mcp.json"),
	// where the agent can read but not change it.
	Name string
	// Content is the file's content. Files are readable by the agent: put
	// no secret in one.
	Content []byte
	// CopyTo, if set, is an absolute path under /tmp where the bridge
	// copies the file before starting the agent, for agents that want
	// their configuration in a writable place.
	CopyTo string
}

// Path returns where f is found inside the container.
func (f File) Path() string { return RunDir + "/" + filesDirName + "/" + f.Name }

func (l Launch) validate() error {
	if len(l.Command) == 0 || l.Command[0] == "" {
		return errors.New("docker: the adapter gave no command")
	}
	for _, kv := range l.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("docker: the adapter gave a bad environment entry %q", kv)
		}
	}
	for _, f := range l.Files {
		if !validFileName(f.Name) {
			return fmt.Errorf("docker: bad file name %q", f.Name)
		}
		if f.CopyTo != "" && (!strings.HasPrefix(f.CopyTo, "/tmp/") || strings.Contains(f.CopyTo, "..") || strings.Contains(f.CopyTo, ":")) {
			return fmt.Errorf("docker: file %s: CopyTo must be a path under /tmp", f.Name)
		}
	}
	return nil
}

func validFileName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// mcpServersJSON is the {"mcpServers": {...}} configuration that Claude
// Code reads with --mcp-config, and many other agents too.
func mcpServersJSON(command []string) []byte {
	type server struct {
		Command string   `json:"command"`
		Args    []string `json:"args"`
	}
	b, _ := json.MarshalIndent(map[string]map[string]server{
		"mcpServers": {"ironcurtain": {Command: command[0], Args: command[1:]}},
	}, "", "  ")
	return append(b, '\n')
}

// Generic runs any program. The program finds everything in its
// environment:
//
//   - each provider's fake key under the provider's usual variable
//     (ANTHROPIC_API_KEY, OPENAI_API_KEY, GOOGLE_API_KEY),
//   - IRONCURTAIN_<PROVIDER>_BASE_URL, the plain-HTTP base URL per provider,
//   - HTTPS_PROXY and the CA variables (set by the sandbox for every agent),
//   - IRONCURTAIN_MCP_CONFIG, a file in the {"mcpServers": ...} format that
//     starts the bridge, and IRONCURTAIN_MCP_COMMAND, the command itself,
//   - IRONCURTAIN_TASK_FILE, the task.
//
// Its image needs the program and the bridge.
type Generic struct {
	// Command is the program and its arguments. Required.
	Command []string
	// TaskArg appends the task to Command as its last argument.
	TaskArg bool
	// Env are further NAME=value entries.
	Env []string
}

// Name returns "generic".
func (Generic) Name() string { return "generic" }

// Launch returns Command with the environment described on [Generic].
func (g Generic) Launch(task string, e Endpoints) (Launch, error) {
	if len(g.Command) == 0 {
		return Launch{}, errors.New("docker: Generic.Command is required")
	}
	l := Launch{Command: slices.Clone(g.Command)}
	if g.TaskArg {
		l.Command = append(l.Command, task)
	}
	l.Env = append(l.Env, fakeKeyEnv(e)...)
	for _, name := range slices.Sorted(maps.Keys(e.BaseURLs)) {
		l.Env = append(l.Env, "IRONCURTAIN_"+envName(name)+"_BASE_URL="+e.BaseURLs[name])
	}
	if e.MCPCommand != nil {
		f := File{Name: "mcp.json", Content: mcpServersJSON(e.MCPCommand)}
		l.Files = append(l.Files, f)
		l.Env = append(l.Env, "IRONCURTAIN_MCP_CONFIG="+f.Path(), "IRONCURTAIN_MCP_COMMAND="+strings.Join(e.MCPCommand, " "))
	}
	l.Env = append(l.Env, g.Env...)
	return l, nil
}

// fakeKeyEnv returns NAME=fake for every provider, sorted.
func fakeKeyEnv(e Endpoints) []string {
	var env []string
	for _, name := range slices.Sorted(maps.Keys(e.FakeKeys)) {
		if v := e.KeyEnv[name]; v != "" {
			env = append(env, v+"="+e.FakeKeys[name])
		}
	}
	return env
}

// envName upper-cases a provider name for an environment variable.
func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
