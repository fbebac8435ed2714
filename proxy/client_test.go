package proxy

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

func call(tool string, args map[string]any) ironcurtain.ToolCall {
	return ironcurtain.ToolCall{Tool: tool, Arguments: args}
}

func TestStdioEnvironmentIsolation(t *testing.T) {
	t.Setenv("IRONCURTAIN_TEST_SECRET", "hunter2")
	t.Setenv("IRONCURTAIN_TEST_PASSED", "passed-value")
	tests := []struct {
		name string
		env  map[string]string
		pass []string
		want []string
	}{
		{name: "only configured", env: map[string]string{"VISIBLE": "yes"},
			want: []string{childEnvVar, "VISIBLE"}},
		{name: "passed by name", pass: []string{"IRONCURTAIN_TEST_PASSED", "IRONCURTAIN_TEST_UNSET"},
			want: []string{childEnvVar, "IRONCURTAIN_TEST_PASSED"}},
		{name: "configured value wins", env: map[string]string{"IRONCURTAIN_TEST_PASSED": "mine"},
			pass: []string{"IRONCURTAIN_TEST_PASSED"}, want: []string{childEnvVar, "IRONCURTAIN_TEST_PASSED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startChild(t, "upstream", func(cfg *StdioConfig) {
				for k, v := range tt.env {
					cfg.Env[k] = v
				}
				cfg.PassEnv = tt.pass
			})
			res, err := c.Call(testContext(t), call("env", nil))
			require.NoError(t, err)
			listing := res.Text()
			require.Equal(t, tt.want, envNames(listing))
			require.NotContains(t, listing, "hunter2")
			for k, v := range tt.env {
				require.Contains(t, strings.Split(listing, "\n"), k+"="+v)
			}
		})
	}
}

func TestStdioInvalidConfig(t *testing.T) {
	ctx := testContext(t)
	_, err := Stdio(ctx, StdioConfig{})
	require.Error(t, err)
	_, err = Stdio(ctx, StdioConfig{Command: "/bin/true", Env: map[string]string{"A=B": "c"}})
	require.ErrorContains(t, err, "invalid environment variable")
	_, err = Stdio(ctx, StdioConfig{Command: "ironcurtain-no-such-program"})
	require.Error(t, err)
}

func TestStdioStartFailure(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	_, err = Stdio(testContext(t), StdioConfig{Command: exe, Env: map[string]string{childEnvVar: "exit"}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "exit status 7")
}

func TestStdioSchemaPassThrough(t *testing.T) {
	c := startChild(t, "upstream", nil)
	tools, err := c.Tools(testContext(t))
	require.NoError(t, err)
	i := slices.IndexFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == "pick" })
	require.GreaterOrEqual(t, i, 0)
	require.JSONEq(t, oneOfSchema, string(tools[i].InputSchema))
	require.Contains(t, string(tools[i].InputSchema), `"oneOf"`)

	echo := tools[slices.IndexFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == "echo" })]
	require.True(t, echo.Annotations.ReadOnlyHint)
	require.Equal(t, "Echo text back", echo.Description)
}

func TestStdioResults(t *testing.T) {
	c := startChild(t, "upstream", nil)
	ctx := testContext(t)

	res, err := c.Call(ctx, call("echo", map[string]any{"text": "hi"}))
	require.NoError(t, err)
	require.Equal(t, ironcurtain.TextResult("hi"), res)

	res, err = c.Call(ctx, call("fail", nil))
	require.NoError(t, err)
	require.True(t, res.IsError)
	require.Equal(t, "it went wrong", res.Text())

	res, err = c.Call(ctx, call("mixed", nil))
	require.NoError(t, err)
	require.Len(t, res.Content, 3)
	require.Equal(t, []byte{1, 2, 3}, res.Content[1].Data)
	require.Equal(t, "image/png", res.Content[1].MIMEType)
	require.Equal(t, "resource_link", res.Content[2].Type)
	require.JSONEq(t, `{"type":"resource_link","uri":"file:///x","name":"x","description":"","mimeType":"text/plain","size":3}`,
		string(res.Content[2].Raw))
	require.JSONEq(t, `{"n":1}`, string(res.Structured))

	_, err = c.Call(ctx, call("nope", nil))
	var rpc *RPCError
	require.ErrorAs(t, err, &rpc)
	require.Equal(t, "upstream", rpc.Server)
}

func TestStdioCrash(t *testing.T) {
	t.Run("no restart", func(t *testing.T) {
		c := startChild(t, "upstream", nil)
		ctx := testContext(t)
		_, err := c.Call(ctx, call("crash", nil))
		require.ErrorIs(t, err, ErrUpstreamDown)
		require.ErrorContains(t, err, "exit status 3")
		require.Equal(t, "ERROR: the tool server is not running", agentResult(ironcurtain.Result{}, err).Text())

		start := time.Now()
		_, err = c.Call(ctx, call("echo", map[string]any{"text": "again"}))
		require.ErrorIs(t, err, ErrUpstreamDown)
		require.Less(t, time.Since(start), time.Second, "a dead upstream must fail fast")
		require.Error(t, c.Err())

		tools, err := c.Tools(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, tools, "the last list stays")
	})
	t.Run("restart", func(t *testing.T) {
		c := startChild(t, "upstream", func(cfg *StdioConfig) { cfg.MaxRestarts = 1 })
		ctx := testContext(t)
		_, err := c.Call(ctx, call("crash", nil))
		require.ErrorIs(t, err, ErrUpstreamDown)
		res, err := c.Call(ctx, call("echo", map[string]any{"text": "back"}))
		require.NoError(t, err)
		require.Equal(t, "back", res.Text())
		require.NoError(t, c.Err())

		_, err = c.Call(ctx, call("crash", nil))
		require.ErrorIs(t, err, ErrUpstreamDown)
		_, err = c.Call(ctx, call("echo", map[string]any{"text": "no more"}))
		require.ErrorIs(t, err, ErrUpstreamDown, "restarts are used up")
	})
}

func TestStdioHang(t *testing.T) {
	c := startChild(t, "upstream", func(cfg *StdioConfig) { cfg.CallTimeout = 300 * time.Millisecond })
	ctx := testContext(t)
	_, err := c.Call(ctx, call("hang", nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, "ERROR: the tool call timed out", agentResult(ironcurtain.Result{}, err).Text())

	res, err := c.Call(ctx, call("echo", map[string]any{"text": "still here"}))
	require.NoError(t, err, "a hung call does not take the upstream down")
	require.Equal(t, "still here", res.Text())

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Call(cctx, call("echo", map[string]any{"text": "x"}))
	require.ErrorIs(t, err, context.Canceled)
}

func TestStdioListChanged(t *testing.T) {
	c := startChild(t, "upstream", nil)
	changed := make(chan struct{}, 1)
	stop := c.OnToolsChanged(func() { changed <- struct{}{} })
	defer stop()
	ctx := testContext(t)
	_, err := c.Call(ctx, call("add_tool", nil))
	require.NoError(t, err)
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("no change reported")
	}
	tools, err := c.Tools(ctx)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(tools, func(t ironcurtain.Tool) bool { return t.Name == "added" }))
}

func TestStdioResponseCap(t *testing.T) {
	c := startChild(t, "upstream", func(cfg *StdioConfig) { cfg.MaxResponseBytes = 64 << 10 })
	ctx := testContext(t)
	res, err := c.Call(ctx, call("big", map[string]any{"n": 1000}))
	require.NoError(t, err)
	require.Len(t, res.Text(), 1000)

	_, err = c.Call(ctx, call("big", map[string]any{"n": 1 << 20}))
	require.ErrorIs(t, err, ironcurtain.ErrLimit)

	res, err = c.Call(ctx, call("echo", map[string]any{"text": "after"}))
	require.NoError(t, err, "an oversized answer does not take the upstream down")
	require.Equal(t, "after", res.Text())
}

func TestStdioGarbage(t *testing.T) {
	c := startChild(t, "garbage", func(cfg *StdioConfig) { cfg.MaxResponseBytes = 64 << 10 })
	ctx := testContext(t)
	tools, err := c.Tools(ctx)
	require.NoError(t, err)
	var names []string
	for _, tool := range tools {
		names = append(names, tool.Name)
	}
	require.Equal(t, []string{"ok", "wrong_shape", "huge", "rpc_error", "bad_base64", "null_result", "noise_first"}, names,
		"tools without a name or a valid schema, duplicates and non-objects are skipped")

	tests := []struct {
		tool string
		want error
		text string
	}{
		{tool: "ok", text: "fine"},
		{tool: "noise_first", text: "after noise"},
		{tool: "not_json", want: context.DeadlineExceeded},
		{tool: "wrong_shape", want: ErrBadResponse},
		{tool: "huge", want: ironcurtain.ErrLimit},
		{tool: "bad_base64", want: ErrBadResponse},
		{tool: "null_result", want: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			ctx := ctx
			if tt.want == context.DeadlineExceeded {
				// The answer never comes; the caller's deadline ends the wait.
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			res, err := c.Call(ctx, call(tt.tool, nil))
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.text, res.Text())
		})
	}
	_, err = c.Call(ctx, call("rpc_error", nil))
	var rpc *RPCError
	require.ErrorAs(t, err, &rpc)
	require.Equal(t, -32000, rpc.Code)
	require.Equal(t, "ERROR: the tool call failed", agentResult(ironcurtain.Result{}, err).Text(),
		"the upstream's message is not shown to the agent")

	res, err := c.Call(ctx, call("ok", nil))
	require.NoError(t, err, "garbage does not take the upstream down")
	require.Equal(t, "fine", res.Text())
}

func TestClientClose(t *testing.T) {
	c := startChild(t, "upstream", nil)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err := c.Tools(context.Background())
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
	_, err = c.Call(context.Background(), call("echo", nil))
	require.ErrorIs(t, err, ironcurtain.ErrClosed)
}

func TestClientConcurrentCalls(t *testing.T) {
	c := startChild(t, "upstream", nil)
	ctx := testContext(t)
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			text := strings.Repeat("z", i)
			res, err := c.Call(ctx, call("echo", map[string]any{"text": text}))
			if err == nil && res.Text() != text {
				err = errors.New("wrong answer")
			}
			errs <- err
		}()
	}
	for range 32 {
		require.NoError(t, <-errs)
	}
}
