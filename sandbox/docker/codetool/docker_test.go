package codetool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/sandbox/docker"
	"github.com/ironcurtain-go/ironcurtain/sandbox/docker/codetool"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// Code Mode inside Docker Mode: the agent, in a container, sees one tool,
// code__execute_code, and the tool calls its script makes pass the Gate.
// It needs a Docker engine, like package docker's tests: it skips without
// one, and fails instead when IRONCURTAIN_REQUIRE_DOCKER=1.
func TestExecuteCodeInContainer(t *testing.T) {
	cli, err := client.New(client.FromEnv)
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		if os.Getenv("IRONCURTAIN_REQUIRE_DOCKER") == "1" {
			t.Fatalf("no Docker engine is reachable (%v), and IRONCURTAIN_REQUIRE_DOCKER=1 forbids skipping", err)
		}
		t.Skipf("no Docker engine is reachable: %v (IRONCURTAIN_REQUIRE_DOCKER=1 turns this skip into a failure)", err)
	}

	// An image with the bridge and package docker's stand-in agent.
	dir := t.TempDir()
	bridge := filepath.Join(dir, "bridge")
	require.NoError(t, docker.BuildBridge(ctx, bridge, runtime.GOARCH))
	standin := filepath.Join(dir, "standin")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", standin, "github.com/ironcurtain-go/ironcurtain/sandbox/docker/internal/standin")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	tag := "ironcurtain-codetool-test:" + run
	label := map[string]string{"ironcurtain-test.run": run}
	_, err = docker.BuildImage(ctx, cli, docker.BuildOptions{
		Tag: tag, Bridge: bridge, Labels: label,
		Files: []docker.ImageFile{{Path: "/usr/local/bin/standin", Source: standin}},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})

	var audited []ironcurtain.AuditEntry
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"notes": notes{}},
		Policy:  privatePolicy{},
		Audit: ironcurtain.AuditorFunc(func(_ context.Context, e ironcurtain.AuditEntry) error {
			audited = append(audited, e)
			return nil
		}),
	})
	require.NoError(t, err)
	defer gate.Close()
	cm, err := codemode.New(codemode.Options{Backend: gate})
	require.NoError(t, err)
	args, err := json.Marshal(map[string]string{"code": `const a = notes.read_note({ name: "todo" });
try { notes.read_note({ name: "private-x" }); } catch (e) { console.log(String(e.message)); }
return a;`})
	require.NoError(t, err)
	sb, err := docker.New(docker.Options{
		Image: tag,
		Adapter: docker.Generic{Command: []string{"/usr/local/bin/standin"}, Env: []string{
			"STANDIN_MODE=call", "STANDIN_TOOL=code__execute_code", "STANDIN_ARGS=" + string(args),
		}},
		Tools:   codetool.New(cm),
		Labels:  label,
		Timeout: time.Minute,
	})
	require.NoError(t, err)
	defer sb.Close()
	rep, err := sb.Run(ctx, ironcurtain.Job{Source: "code"})
	require.NoError(t, err, strings.Join(rep.Output, "\n"))
	text := strings.Join(rep.Output, "\n")
	require.Contains(t, text, `"Tools":["code__execute_code"]`)
	require.Contains(t, text, `\"result\":\"note todo\"`)
	require.Contains(t, text, "private notes are off limits")
	require.Len(t, audited, 2, "both of the script's calls passed the Gate")
	require.Len(t, rep.Calls, 1, "the agent made one call: execute_code")

	left, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "ironcurtain-test.run="+run)})
	require.NoError(t, err)
	require.Empty(t, left.Items)
}
