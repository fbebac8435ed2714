package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testnet"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// standinSandbox runs the stand-in in the given mode, with the test world
// behind it.
func standinSandbox(t testing.TB, w *world, mode string, mutate func(*Options)) *Sandbox {
	t.Helper()
	opts := Options{
		Image:   testImage(t),
		Adapter: Generic{Command: []string{"/usr/local/bin/standin"}, Env: []string{"STANDIN_MODE=" + mode}},
		Tools:   w.gate,
		LLM:     w.llm,
		Labels:  map[string]string{testLabel: testRun},
		Timeout: time.Minute,
		Logger:  w.logger,
	}
	if mutate != nil {
		mutate(&opts)
	}
	sb, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { sb.Close() })
	return sb
}

// Cancelling the caller's context while the agent runs stops the run and
// removes the container.
func TestCancelRemovesContainer(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "block", nil)
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan string, 1)
	sb.started = func(_ context.Context, id string) { running <- id }
	done := make(chan error, 1)
	go func() {
		_, err := sb.Run(ctx, ironcurtain.Job{Source: "wait"})
		done <- err
	}()
	id := <-running
	info, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	require.NoError(t, err)
	require.True(t, info.Container.State.Running)
	cancel()
	err = <-done
	require.ErrorIs(t, err, context.Canceled)
	_, err = cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	require.Error(t, err, "the container is gone")
	require.Empty(t, leftovers(context.Background(), cli))
}

// The Timeout ends a run that does not end, as a deadline.
func TestTimeout(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "block", func(o *Options) { o.Timeout = 2 * time.Second })
	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "wait"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, rep.Output, "blocking")
	require.Empty(t, leftovers(context.Background(), cli))
}

// An agent that crashes leaves no container, and its status and output
// are reported.
func TestCrashRemovesContainer(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "crash", nil)
	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "crash"})
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 3, ee.Code)
	require.False(t, errors.Is(err, ironcurtain.ErrLimit))
	require.Equal(t, []string{"crashing on purpose"}, rep.Output)
	require.Empty(t, leftovers(context.Background(), cli))
}

// An agent over its memory limit is killed, and that is a limit.
func TestMemoryLimit(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "oom", func(o *Options) { o.Memory = 64 << 20 })
	_, err := sb.Run(context.Background(), ironcurtain.Job{Source: "eat"})
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	require.True(t, ee.OOMKilled, "status %d", ee.Code)
	require.ErrorIs(t, err, ironcurtain.ErrLimit)
	require.Empty(t, leftovers(context.Background(), cli))
}

// A panic in the middle of a run still removes the container.
func TestPanicRemovesContainer(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "block", nil)
	var id string
	sb.started = func(_ context.Context, cid string) {
		id = cid
		panic("boom")
	}
	require.PanicsWithValue(t, "boom", func() {
		sb.Run(context.Background(), ironcurtain.Job{Source: "wait"})
	})
	require.NotEmpty(t, id)
	_, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	require.Error(t, err, "the container is gone")
	require.Empty(t, leftovers(context.Background(), cli))
}

// An engine reached over TCP through DOCKER_HOST works the same: the image
// is the one built through the API, and nothing assumes a local socket
// path. (The engine is this machine's, behind a TCP forwarder, so the bind
// mounts still resolve; see the package documentation for remote hosts.)
func TestRemoteEngineFromEnv(t *testing.T) {
	requireEngine(t)
	img := testImage(t)
	local := "/var/run/docker.sock"
	if h := engine.cli.DaemonHost(); strings.HasPrefix(h, "unix://") {
		local = strings.TrimPrefix(h, "unix://")
	} else {
		t.Skipf("the engine is not on a local Unix socket (%s); nothing to forward", h)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	forward(ln, local)
	t.Setenv("DOCKER_HOST", "tcp://"+ln.Addr().String())
	t.Setenv("DOCKER_TLS_VERIFY", "")

	w := newWorld(t)
	sb, err := New(Options{
		Image:   img,
		Adapter: Generic{Command: []string{"/usr/local/bin/standin"}, Env: []string{"STANDIN_MODE=first-call"}},
		Tools:   w.gate,
		Labels:  map[string]string{testLabel: testRun},
		Timeout: time.Minute,
	})
	require.NoError(t, err)
	defer sb.Close()
	require.Equal(t, "tcp://"+ln.Addr().String(), sb.cli.DaemonHost())
	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "first call"})
	require.NoError(t, err, strings.Join(rep.Output, "\n"))
	require.Len(t, rep.Calls, 1)
	require.Equal(t, ironcurtain.Allow, rep.Calls[0].Verdict)
	require.Contains(t, strings.Join(rep.Output, "\n"), `"Text":"buy milk"`)
	require.Empty(t, leftovers(context.Background(), engine.cli))
}

// forward carries TCP connections to a Unix socket.
func forward(ln net.Listener, socket string) {
	testnet.Serve(ln, func(c net.Conn) {
		u, err := net.Dial("unix", socket)
		if err != nil {
			return
		}
		defer u.Close()
		done := make(chan struct{})
		go func() { io.Copy(u, c); u.(*net.UnixConn).CloseWrite(); close(done) }()
		io.Copy(c, u)
		c.(*net.TCPConn).CloseWrite()
		<-done
	})
}

// Runs are isolated: two at once, each with its own container, sockets
// and fake keys.
func TestConcurrentRuns(t *testing.T) {
	cli := requireEngine(t)
	sb := standinSandbox(t, newWorld(t), "first-call", func(o *Options) { o.LLM = nil })
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "go", Session: fmt.Sprint("s", i)})
			if err == nil && len(rep.Calls) != 1 {
				err = fmt.Errorf("run %d made %d calls", i, len(rep.Calls))
			}
			errs <- err
		}()
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	require.Empty(t, leftovers(context.Background(), cli))
}
