// Package docker is IronCurtain's Docker Mode: an external agent — Claude
// Code, Goose, Codex or any program — runs in a container whose only ways
// out are two Unix sockets, the MCP proxy (every tool call passes the Gate)
// and the LLM API proxy (model calls, with a fake key swapped for the real
// one on the host).
//
//	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{...})
//	if err != nil { ... }
//	llmProxy, err := llm.New(llm.Options{
//		CADir: filepath.Join(home, ".ironcurtain", "ca"),
//		Vault: vault.FromEnv("ANTHROPIC_API_KEY"),
//	})
//	if err != nil { ... }
//	sb, err := docker.New(docker.Options{
//		Image:     "ironcurtain-claude-code:1",
//		Adapter:   docker.ClaudeCode{},
//		Tools:     gate,
//		LLM:       llmProxy,
//		Workspace: "/home/me/project",
//		Timeout:   30 * time.Minute,
//	})
//	if err != nil { ... }
//	defer sb.Close()
//	report, err := sb.Run(ctx, ironcurtain.Job{Source: "Fix the failing test.", Session: "s1"})
//
// # The container
//
// Every run gets a fresh container, named "ironcurtain-<run id>" and
// labelled ([LabelSandbox], [LabelRun], [LabelSession], [LabelOwner]):
//
//   - network mode none, and networking disabled: no interface but
//     loopback, no DNS;
//   - every capability dropped, no-new-privileges, the engine's default
//     seccomp profile, not privileged, no devices, a private IPC namespace;
//   - a read-only root file system, with a size-capped tmpfs at /tmp that
//     is noexec, nosuid and nodev (Options.TmpExec lifts noexec); $HOME is
//     /tmp/home;
//   - a numeric non-root user, never uid or gid 0 (Options.User);
//   - memory (swap included), CPU, process, open-file and core-size limits;
//   - an init process (the engine's docker-init), so that the agent's
//     children are reaped;
//   - no log driver: output is read live through the API and capped in
//     Report.Output, so an agent cannot fill the engine's disk;
//   - two mounts only: Options.Workspace at /workspace, and the run
//     directory, read-only, at /run/ironcurtain.
//
// The run directory is made on the host for each run, mode 0700 and owned
// by the agent's user, inside a directory of mode 0700 that only this
// process may enter (so a host process that shares the agent's uid cannot
// reach the sockets): mcp.sock, llm.sock (both mode 0600), the proxy's CA
// certificate ca.pem, the task in task.txt, and the adapter's files. The
// CA's key, the audit log and everything else of the host stay outside.
//
// The container is removed (forcefully, on a context of its own) whenever
// Run returns: the agent exits or crashes, ctx is cancelled, the Timeout
// passes, or Run panics. A host process killed outright cannot clean up;
// call [RemoveStale] at start-up to remove the containers such a process
// left.
//
// # Inside: the bridge
//
// The container's command is always the bridge, cmd/ironcurtain-bridge, a
// small static program at [BridgePath]: "ironcurtain-bridge run" serves the
// LLM proxy socket on 127.0.0.1:18080 and runs the agent; the agent's MCP
// configuration starts "ironcurtain-bridge mcp", which carries MCP over
// stdio to the MCP socket byte for byte.
//
// # Reaching the model
//
// The agent's environment holds a fake key per provider, random per run
// and shaped like a real one, under the provider's usual variable
// (ANTHROPIC_API_KEY, ...). Adapters point base URLs at the plain-HTTP
// mode of the proxy ("http://127.0.0.1:18080/anthropic"); everything else
// has HTTPS_PROXY=http://127.0.0.1:18080 and trusts only the proxy's CA
// (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
// GIT_SSL_CAINFO point at /run/ironcurtain/ca.pem). The proxy allows only
// the providers' API endpoints, checks the fake key and swaps in the real
// one; see package [github.com/ironcurtain-go/ironcurtain/proxy/llm]. An
// environment entry holding a value of the vault is refused, so a real key
// cannot be passed in by mistake.
//
// # Agents
//
// An [Adapter] turns a task into a command line, environment and files:
// [ClaudeCode], [Goose], [Codex], and [Generic] for any other program.
// Each adapter's documentation says what its image needs.
//
// # Images
//
// [BuildImage] builds an image through the engine's API from a build
// context made in memory, with the classic builder. With no Base it builds
// FROM scratch: the bridge (built with the Go toolchain, or given), a
// passwd entry for nobody, and your files — enough for a static agent. This
// is what the tests run.
//
// For a real agent, build on a base with its runtime and install the agent
// in a step, pinning the version. The build needs the network to install;
// the run never has it:
//
//	_, err := docker.BuildImage(ctx, cli, docker.BuildOptions{
//		Tag:     "ironcurtain-claude-code:1",
//		Base:    "node:22-bookworm-slim",
//		Steps:   []string{"RUN npm install -g @anthropic-ai/claude-code@2.0.0 && npm cache clean --force"},
//		Network: true,
//	})
//
// Goose: Base "debian:bookworm-slim", a step that installs ca-certificates
// and libxcb1 and unpacks the pinned goose binary from its GitHub release
// to /usr/local/bin (or COPY it in with Files). Codex: Base a Node image and
// "RUN npm install -g @openai/codex@<version>". The equivalent Dockerfile,
// for building with the docker CLI, adds one line to yours:
//
//	COPY ironcurtain-bridge /usr/local/bin/ironcurtain-bridge
//
// with the bridge built by
//
//	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags=-s -o ironcurtain-bridge \
//		github.com/ironcurtain-go/ironcurtain/cmd/ironcurtain-bridge
//
// Images need no CA and no key: the CA arrives at run time in the mounted
// run directory. This machine's tests cannot pull base images, so the
// real-agent images above are documented, not tested.
//
// # Engines
//
// The client comes from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH, DOCKER_API_VERSION) unless Options.Client is given, and
// negotiates the API version; engines from API 1.40 (Docker 19.03) up
// work. Only portable settings are used: the noexec /tmp goes through the
// legacy Tmpfs field, since per-mount tmpfs options need API 1.46 and
// older engines drop them silently.
//
// A remote engine (DOCKER_HOST=tcp://… or ssh://…) builds images and runs
// containers the same way, but bind mounts name paths on the engine's
// host, and a Unix socket works only on the kernel that made it. The
// workspace and Options.RunDir must therefore be on the engine's host:
// run the process that owns the Sandbox there (an engine reached over TCP
// or SSH on the same machine, a rootless engine, a VM sharing the
// directories). An engine on another machine needs the sockets carried
// over the API's attach stream instead; that transport is not built yet.
//
// # Tool calls in Code Mode
//
// Options.Tools is any [ironcurtain.Backend]. To give the agent one tool,
// execute_code, that runs TypeScript against the real tools (Code Mode
// inside Docker Mode), pass a
// [github.com/ironcurtain-go/ironcurtain/sandbox/docker/codetool.Backend]:
// the script's tool calls go to the Gate like any other.
package docker
