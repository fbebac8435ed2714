package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// Tests that need a Docker engine call requireEngine. It skips, saying
// why, when no engine answers, and fails instead when
// IRONCURTAIN_REQUIRE_DOCKER=1 (as .ci/run sets), so that CI on a machine
// with an engine cannot pass by skipping.

// testLabel marks every container and image these tests make, with this
// test binary's own value, so that TestMain can check none is left.
const testLabel = "ironcurtain-test.run"

var (
	testRun = func() string {
		b := make([]byte, 6)
		rand.Read(b)
		return hex.EncodeToString(b)
	}()

	engine struct {
		once sync.Once
		cli  *client.Client
		err  error
	}

	image struct {
		once sync.Once
		tag  string
		err  error
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if engine.cli != nil {
		if err := cleanupEngine(); err != nil {
			fmt.Fprintln(os.Stderr, "docker tests:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// cleanupEngine removes this binary's image and fails if any container of
// this binary is left.
func cleanupEngine() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left := leftovers(ctx, engine.cli)
	for _, id := range left {
		engine.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	}
	if image.tag != "" {
		if _, err := engine.cli.ImageRemove(ctx, image.tag, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			return fmt.Errorf("removing the test image: %w", err)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%d containers were left behind", len(left))
	}
	return nil
}

// leftovers lists this binary's containers, running or not.
func leftovers(ctx context.Context, cli *client.Client) []string {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", testLabel+"="+testRun),
	})
	if err != nil {
		return []string{"(listing failed: " + err.Error() + ")"}
	}
	var ids []string
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func requireEngine(t testing.TB) *client.Client {
	t.Helper()
	engine.once.Do(func() {
		cli, err := client.New(client.FromEnv)
		if err != nil {
			engine.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
			cli.Close()
			engine.err = err
			return
		}
		engine.cli = cli
	})
	if engine.err != nil {
		if os.Getenv("IRONCURTAIN_REQUIRE_DOCKER") == "1" {
			t.Fatalf("no Docker engine is reachable (%v), and IRONCURTAIN_REQUIRE_DOCKER=1 forbids skipping", engine.err)
		}
		t.Skipf("no Docker engine is reachable: %v (these tests need one; IRONCURTAIN_REQUIRE_DOCKER=1 turns this skip into a failure)", engine.err)
	}
	return engine.cli
}

// testImage builds, once per test binary, a scratch image with the bridge
// and the stand-in agent, both built now from this module.
func testImage(t testing.TB) string {
	t.Helper()
	cli := requireEngine(t)
	image.once.Do(func() {
		dir, err := os.MkdirTemp("", "ic-image-")
		if err != nil {
			image.err = err
			return
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bridge := filepath.Join(dir, "bridge")
		if image.err = BuildBridge(ctx, bridge, runtime.GOARCH); image.err != nil {
			return
		}
		standin := filepath.Join(dir, "standin")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", standin, "./internal/standin")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			image.err = fmt.Errorf("building the stand-in: %v: %s", err, out)
			return
		}
		tag := "ironcurtain-test:" + testRun
		_, image.err = BuildImage(ctx, cli, BuildOptions{
			Tag:    tag,
			Bridge: bridge,
			Files:  []ImageFile{{Path: "/usr/local/bin/standin", Source: standin}},
			Labels: map[string]string{testLabel: testRun},
		})
		if image.err == nil {
			image.tag = tag
		}
	})
	require.NoError(t, image.err, "building the test image")
	return image.tag
}
