package main

// ironcurtain docker: run an external agent in Docker Mode.
//
//	ironcurtain docker build --tag TAG [--base IMAGE] [--step LINE]... [--network] [--file SRC:DST]...
//	ironcurtain docker run --image TAG [--agent claude-code|goose|codex|command] [--command "PROG ARGS"]
//	                       --workspace DIR [--audit FILE] [--timeout D] [--model M] TASK...
//	ironcurtain docker clean
//
// run assembles the Gate over the built-in tools (the workspace is the
// sandbox), the LLM API proxy with the real keys from ANTHROPIC_API_KEY,
// OPENAI_API_KEY and GOOGLE_API_KEY (the agent gets fake ones), and runs the
// agent in a container with no network. Escalations are asked on the
// terminal. Every tool call and every model request is in the audit log.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/ironcurtain-go/ironcurtain/sandbox/docker"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

// llmKeys are the environment variables the real model-API keys are read
// from; the LLM proxy's default providers name their credentials so.
var llmKeys = []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY"}

func runDocker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ironcurtain docker build|run|clean [flags]")
		return 2
	}
	switch args[0] {
	case "build":
		return dockerBuild(ctx, args[1:], stdout, stderr)
	case "run":
		return dockerRun(ctx, args[1:], stdout, stderr)
	case "clean":
		return dockerClean(ctx, stdout, stderr)
	}
	fmt.Fprintf(stderr, "ironcurtain docker: unknown subcommand %q (want build, run or clean)\n", args[0])
	return 2
}

func dockerBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ironcurtain docker build", "", stderr)
	tag := fs.String("tag", "", "the image's name, such as ironcurtain-claude-code:1 (required)")
	base := fs.String("base", "", "the image to start from (default: scratch, only the bridge)")
	network := fs.Bool("network", false, "let the build steps reach the network")
	bridge := fs.String("bridge", "", "a prebuilt static ironcurtain-bridge (default: build it with go)")
	var steps, files multiFlag
	fs.Var(&steps, "step", `a Dockerfile line after FROM, such as "RUN npm install -g @anthropic-ai/claude-code@2.0.0" (repeatable)`)
	fs.Var(&files, "file", "SRC:DST, a host file to put in the image (repeatable)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *tag == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: ironcurtain docker build --tag TAG [--base IMAGE] [--step LINE]... [--network] [--file SRC:DST]...")
		return 2
	}
	opts := docker.BuildOptions{Tag: *tag, Base: *base, Steps: steps, Network: *network, Bridge: *bridge, Output: stderr}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, ":")
		if !ok || src == "" || !strings.HasPrefix(dst, "/") {
			fmt.Fprintf(stderr, "ironcurtain docker build: --file %q: want SRC:/absolute/destination\n", f)
			return 2
		}
		opts.Files = append(opts.Files, docker.ImageFile{Path: dst, Source: src})
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker build: %v\n", err)
		return 1
	}
	defer cli.Close()
	id, err := docker.BuildImage(ctx, cli, opts)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker build: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s %s\n", *tag, id)
	return 0
}

func dockerClean(ctx context.Context, stdout, stderr io.Writer) int {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker clean: %v\n", err)
		return 1
	}
	defer cli.Close()
	n, err := docker.RemoveStale(ctx, cli)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker clean: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "removed %d stale container(s)\n", n)
	return 0
}

func dockerRun(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	fs := newFlags("ironcurtain docker run", "", stderr)
	image := fs.String("image", "", "the image to run (see docker build) (required)")
	agentName := fs.String("agent", "claude-code", "the agent: claude-code, goose, codex, or command")
	command := fs.String("command", "", `with --agent command: the program and its arguments, such as "/usr/local/bin/agent --verbose"`)
	workspace := fs.String("workspace", "", "the host directory the agent works in, mounted at /workspace; it is the sandbox (required)")
	auditFile := fs.String("audit", "", "the audit log file (keep it outside the workspace)")
	timeout := fs.Duration("timeout", 30*time.Minute, "the longest a run may take")
	model := fs.String("model", "", "the model the agent uses, passed to it")
	memory := fs.Int64("memory", 0, "the container's memory limit in bytes (default: the sandbox's)")
	cpus := fs.Float64("cpus", 0, "the container's CPU limit (default: the sandbox's)")
	caDir := fs.String("ca", "", "the LLM proxy's CA directory (default: ~/.config/ironcurtain/ca, a protected path)")
	unjailed := fs.Bool("unjailed-git", false, "run git without its jail where the kernel cannot enforce one (recorded in the audit log)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	task := strings.Join(fs.Args(), " ")
	if *image == "" || *workspace == "" || strings.TrimSpace(task) == "" {
		fmt.Fprintln(stderr, "usage: ironcurtain docker run --image TAG --workspace DIR [--agent NAME] [flags] TASK...")
		return 2
	}
	adapter, err := dockerAdapter(*agentName, *command, *model)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
		return 2
	}
	if *caDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
			return 2
		}
		*caDir = filepath.Join(home, ".config", "ironcurtain", "ca")
	}
	keys := vault.FromEnv(llmKeys...)
	term := &approve.Terminal{}
	defer term.Close()
	opts := stack.Options{Sandbox: *workspace, Audit: *auditFile, Vault: keys, Human: term}
	if os.Geteuid() == 0 {
		// git, jailed without capabilities, cannot write in a workspace
		// that belongs to the agent's user unless it runs as that user,
		// who must then be able to reach the workspace on the host.
		uid, gid, err := docker.AgentUser(docker.Options{Workspace: *workspace})
		if err != nil {
			fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
			return 2
		}
		switch owned, reach := ownedAndReachable(*workspace, uid, gid); {
		case owned && reach:
			opts.Git.RunAs = &git.User{UID: uid, GID: gid}
		case owned:
			fmt.Fprintf(stderr, "ironcurtain docker run: the agent's user %d cannot reach %s on the host, so git (run as root in its jail) cannot write in it\n", uid, *workspace)
		}
	}
	st, err := jailedStack(ctx, "docker run", opts, *unjailed, stderr, *caDir)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
		return 1
	}
	defer func() {
		if closeAudited("docker run", st, *auditFile, stderr) != nil && code == 0 {
			code = 1
		}
	}()
	egress := llmEgress(st.Policy, func(e ironcurtain.AuditEvent) error { return st.RecordEvent(context.WithoutCancel(ctx), e) })
	proxy, err := llm.New(llm.Options{CADir: *caDir, Vault: keys, Egress: egress, Audit: func(r llm.Record) {
		// Each model request is recorded beside the tool calls; a record
		// never holds a body, a header value or a key.
		_ = st.RecordEvent(context.WithoutCancel(ctx), ironcurtain.AuditEvent{
			Time: r.Time, Kind: "llm-request", Server: r.Provider,
			Message: fmt.Sprintf("%s %s%s -> %d (%d bytes in, %d out)%s", r.Method, r.Host, r.Path, r.Status, r.BytesIn, r.BytesOut, refusedNote(r.Refused)),
		})
	}})
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
		return 1
	}
	sb, err := docker.New(docker.Options{
		Image: *image, Adapter: adapter, Tools: st.Gate, LLM: proxy, Workspace: st.Policy.Sandbox(),
		Annotations: st.Policy.Artifacts().Annotations, Protected: st.Policy.ProtectedPaths(),
		Timeout: *timeout, Memory: *memory, CPUs: *cpus,
	})
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", err)
		return 1
	}
	defer sb.Close()
	rep, runErr := sb.Run(ctx, ironcurtain.Job{Source: task, Session: "docker"})
	for _, line := range rep.Output {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stderr, "ironcurtain docker run: %d tool call(s)", len(rep.Calls))
	if *auditFile != "" {
		fmt.Fprintf(stderr, "; audit log %s", *auditFile)
	}
	fmt.Fprintln(stderr)
	if runErr != nil {
		fmt.Fprintf(stderr, "ironcurtain docker run: %v\n", runErr)
		return 1
	}
	return 0
}

// llmEgress judges a URL the LLM proxy finds in a request body — content
// the provider would fetch for the agent, past the Gate — as the Gate
// judges the agent's own http_fetch of it, and records the judgement in
// the audit log. Only an allow lets it through: an escalation is refused,
// since nobody is asked about a fetch the provider makes, and the URL the
// policy judged (in canonical form) must be the one the provider fetches.
// A failure to record refuses too.
func llmEgress(engine *policy.Engine, record func(ironcurtain.AuditEvent) error) llm.EgressPolicy {
	return func(ctx context.Context, field string, u *url.URL) error {
		call := ironcurtain.ToolCall{Server: stack.Fetch, Tool: web.ToolFetch, Arguments: map[string]any{"url": u.String()}}
		d, err := engine.Evaluate(ctx, call)
		if err == nil && d.Verdict == ironcurtain.Allow {
			if canon, ok := d.Arguments["url"].(string); d.Arguments != nil && (!ok || canon != u.String()) {
				d = ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "llm-egress-canonical", Reason: "the policy judged another form of the URL than the provider would fetch"}
			}
		}
		verdict := d.Verdict.String()
		if err != nil {
			verdict = "error: " + err.Error()
		}
		if rerr := record(ironcurtain.AuditEvent{
			Time: time.Now(), Kind: "llm-egress", Server: stack.Fetch,
			Message: fmt.Sprintf("%s %s, which the model provider would fetch (request field %s): %s by %s: %s", web.ToolFetch, u, field, verdict, d.Rule, d.Reason),
		}); rerr != nil {
			return fmt.Errorf("the judgement could not be recorded: %w", rerr)
		}
		switch {
		case err != nil:
			return fmt.Errorf("the policy could not decide: %w", err)
		case d.Verdict == ironcurtain.Allow:
			return nil
		case d.Verdict == ironcurtain.Escalate:
			return fmt.Errorf("%s would need approval (rule %s: %s), which a fetch by the provider cannot get", web.ToolFetch, d.Rule, d.Reason)
		}
		return fmt.Errorf("%s is denied (rule %s: %s)", web.ToolFetch, d.Rule, d.Reason)
	}
}

func refusedNote(reason string) string {
	if reason == "" {
		return ""
	}
	return ", refused: " + reason
}

// dockerAdapter returns the adapter for an agent's name.
func dockerAdapter(name, command, model string) (docker.Adapter, error) {
	switch name {
	case "claude-code":
		return docker.ClaudeCode{Model: model}, nil
	case "goose":
		return docker.Goose{}, nil
	case "codex":
		return docker.Codex{Model: model}, nil
	case "command":
		argv := strings.Fields(command)
		if len(argv) == 0 {
			return nil, errors.New(`--agent command needs --command "PROG ARGS"`)
		}
		return docker.Generic{Command: argv}, nil
	}
	return nil, fmt.Errorf("--agent %q: want claude-code, goose, codex or command", name)
}
