//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/testnet"
)

// TestMain doubles as the agent that `run` starts in TestRun.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BRIDGE_TEST_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// child talks to the llm listener the bridge started, reads the copied
// file, and exits 7 if both worked.
func child(mode string) int {
	switch mode {
	case "signal":
		// Wait to be killed; a handler for another signal keeps the
		// runtime from seeing a deadlock.
		never := make(chan os.Signal, 1)
		signal.Notify(never, syscall.SIGUSR1)
		fmt.Println("ready")
		<-never
		return 0
	case "llm":
	default:
		return 3
	}
	c, err := net.Dial("tcp", os.Getenv("IRONCURTAIN_LLM_LISTEN"))
	if err != nil {
		return 4
	}
	fmt.Fprint(c, "ping")
	c.(*net.TCPConn).CloseWrite()
	b, _ := io.ReadAll(c)
	if string(b) != "PING" {
		return 5
	}
	cfg, err := os.ReadFile(os.Getenv("BRIDGE_TEST_COPIED"))
	if err != nil || string(cfg) != "config" {
		return 6
	}
	return 7
}

// upperServer answers each connection with its input upper-cased, after
// reading it to the end.
func upperServer(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "icb")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	testnet.Serve(ln, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		c.Write(bytes.ToUpper(b))
	})
	return path
}

func TestMCPPipe(t *testing.T) {
	sock := upperServer(t)
	var out bytes.Buffer
	in := `{"jsonrpc":"2.0","id":1,"method":"initialize"}` + "\n"
	require.NoError(t, pipeMCP(context.Background(), sock, strings.NewReader(in), &out))
	require.Equal(t, strings.ToUpper(in), out.String(), "byte for byte")

	err := pipeMCP(context.Background(), filepath.Join(t.TempDir(), "none.sock"), strings.NewReader(""), io.Discard)
	require.Error(t, err)
}

// An MCP server that keeps answering after the agent's last request is
// read to the end: the pipe waits for it.
func TestMCPPipeWaitsForAnswers(t *testing.T) {
	dir, err := os.MkdirTemp("", "icb")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			fmt.Fprintf(c, "answer to %s\n", sc.Text())
		}
	}()
	var out bytes.Buffer
	require.NoError(t, pipeMCP(context.Background(), path, strings.NewReader("a\nb\n"), &out))
	require.Equal(t, "answer to a\nanswer to b\n", out.String())
}

func TestLLMListener(t *testing.T) {
	sock := upperServer(t)
	ln, err := listenLLM("127.0.0.1:0", sock)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ln.serve(ctx) }()
	for i := range 3 {
		c, err := net.Dial("tcp", ln.ln.Addr().String())
		require.NoError(t, err)
		fmt.Fprintf(c, "request %d", i)
		c.(*net.TCPConn).CloseWrite()
		b, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("REQUEST %d", i), string(b))
		c.Close()
	}
	cancel()
	require.ErrorIs(t, <-served, context.Canceled)
}

func TestLLMListenerOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "localhost:0", "10.1.2.3:80", "nonsense"} {
		_, err := listenLLM(addr, "/nowhere")
		require.Error(t, err, addr)
	}
}

func TestRun(t *testing.T) {
	sock := upperServer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	require.NoError(t, os.WriteFile(src, []byte("config"), 0o644))
	dst := filepath.Join(dir, "home", ".agent", "config")
	t.Setenv("BRIDGE_TEST_CHILD", "llm")
	t.Setenv("BRIDGE_TEST_COPIED", dst)
	var stderr bytes.Buffer
	code := bridge([]string{"run", "-listen", "127.0.0.1:0", "-socket", sock, "-copy", src + ":" + dst, "--", os.Args[0]}, nil, io.Discard, &stderr)
	require.Equal(t, 7, code, stderr.String())
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestRunExitStatus(t *testing.T) {
	var stderr bytes.Buffer
	require.Equal(t, 3, bridge([]string{"run", "-listen", "", "--", "/bin/sh", "-c", "exit 3"}, nil, io.Discard, &stderr))
	require.Equal(t, 128+int(syscall.SIGKILL), bridge([]string{"run", "-listen", "", "--", "/bin/sh", "-c", "kill -9 $$"}, nil, io.Discard, &stderr))
	require.Equal(t, 127, bridge([]string{"run", "-listen", "", "--", "/no/such/agent"}, nil, io.Discard, &stderr))
	require.Equal(t, 2, bridge([]string{"run", "-listen", ""}, nil, io.Discard, &stderr))
	require.Equal(t, 2, bridge([]string{"run", "-copy", "relative:/x", "--", "true"}, nil, io.Discard, &stderr))
	require.Equal(t, 2, bridge(nil, nil, io.Discard, &stderr))
	require.Equal(t, 2, bridge([]string{"bogus"}, nil, io.Discard, &stderr))
	require.Equal(t, 0, bridge([]string{"help"}, nil, io.Discard, &stderr))
}

// A signal to the bridge reaches the agent.
func TestRunForwardsSignals(t *testing.T) {
	t.Setenv("BRIDGE_TEST_CHILD", "signal")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	t.Cleanup(func() { os.Stdout = stdout })
	done := make(chan int, 1)
	go func() {
		done <- runCommand(context.Background(), []string{"-listen", "", "--", os.Args[0]}, io.Discard)
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		require.Equal(t, 128+int(syscall.SIGTERM), code)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not receive the signal")
	}
}
