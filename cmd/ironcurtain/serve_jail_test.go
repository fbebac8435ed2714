package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
)

// requireJail skips a test on a machine where the jail cannot run.
func requireJail(t *testing.T) {
	t.Helper()
	if _, err := jail.Check(jail.Policy{}); err != nil {
		t.Skipf("no jail on this machine: %v", err)
	}
}

// TestServeJail: the built-in git and command servers run in their jails;
// a "sandbox" grant that would expose the configuration file is refused
// before anything starts.
func TestServeJail(t *testing.T) {
	requireJail(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(sandbox map[string]any) string {
		up := map[string]any{"command": exe, "args": []string{"-test.run=^TestServeHelperUpstream$"},
			"env": map[string]string{serveHelperEnv: "1"}}
		if sandbox != nil {
			up["sandbox"] = sandbox
		}
		conf, err := json.Marshal(map[string]any{"sandbox": "box", "approver": "deny",
			"servers": map[string]any{"git": map[string]any{"builtin": "git"}, "up": up}})
		require.NoError(t, err)
		p := filepath.Join(dir, "serve.json")
		require.NoError(t, os.WriteFile(p, conf, 0o600))
		return p
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	cfg, err := loadServeConfig(write(map[string]any{"read": []string{"."}}))
	require.NoError(t, err)
	_, err = startServe(context.Background(), cfg, io.Discard, log)
	require.ErrorIs(t, err, jail.ErrCredentialPath, "the configuration file's directory may not be granted")

	cfg, err = loadServeConfig(write(nil))
	require.NoError(t, err)
	rt, err := startServe(context.Background(), cfg, io.Discard, log)
	require.NoError(t, err)
	defer rt.Close()
	e, jailed := rt.stack.Servers["git"].(*git.Server).Jail()
	require.True(t, jailed)
	require.False(t, e.Unsandboxed)
	require.Positive(t, e.Landlock)
}

// A server that runs without its jail is an audit event; one with its jail
// is not.
func TestJailEvents(t *testing.T) {
	require.Empty(t, jailEvents("github", jail.Enforcement{Landlock: 7, Seccomp: true}))
	ev := jailEvents("github", jail.Enforcement{Unsandboxed: true, Missing: []jail.Protection{jail.ProtectLandlock}})
	require.Len(t, ev, 1)
	require.Equal(t, "server-unsandboxed", ev[0].Kind)
	require.Equal(t, "github", ev[0].Server)
	require.Contains(t, ev[0].Message, "missing landlock")

	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := stack.New(context.Background(), stack.Options{Sandbox: t.TempDir(), Audit: path, Builtins: []string{}})
	require.NoError(t, err)
	require.NoError(t, s.RecordEvent(context.Background(), ev[0]))
	require.NoError(t, s.Close())
	rep := verifyAudit(t, path)
	require.Equal(t, 1, rep.Events)
}

// TestServeJailUnixSockets: a server granted a socket starts in its
// confined jail (proxy's own process-group attributes and the jail's
// namespaces together), and a grant of the Docker daemon's socket is
// refused before anything starts.
func TestServeJailUnixSockets(t *testing.T) {
	e, err := jail.Check(jail.Policy{UnixSockets: []string{t.TempDir()}})
	if err != nil || !e.UnixPaths {
		t.Skipf("no socket confinement on this machine: %v %v", e, err)
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()
	write := func(sockets ...string) string {
		conf, err := json.Marshal(map[string]any{"sandbox": "box", "approver": "deny",
			"servers": map[string]any{"up": map[string]any{"command": exe, "args": []string{"-test.run=^TestServeHelperUpstream$"},
				"env": map[string]string{serveHelperEnv: "1"}, "sandbox": map[string]any{"unixSockets": sockets}}}})
		require.NoError(t, err)
		p := filepath.Join(dir, "serve.json")
		require.NoError(t, os.WriteFile(p, conf, 0o600))
		return p
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := loadServeConfig(write(sock))
	require.NoError(t, err)
	rt, err := startServe(context.Background(), cfg, io.Discard, log)
	require.NoError(t, err)
	rt.Close()

	cfg, err = loadServeConfig(write("/var/run/docker.sock"))
	require.NoError(t, err)
	_, err = startServe(context.Background(), cfg, io.Discard, log)
	require.ErrorIs(t, err, jail.ErrPolicy)
}

// TestServeJailHosts: "network": "hosts" becomes the jail's Connect;
// malformed entries stop the configuration from loading.
func TestServeJailHosts(t *testing.T) {
	dir := t.TempDir()
	write := func(hosts ...string) string {
		conf, err := json.Marshal(map[string]any{"sandbox": "box", "approver": "deny",
			"servers": map[string]any{"up": map[string]any{"command": "/bin/true",
				"sandbox": map[string]any{"network": map[string]any{"hosts": hosts}}}}})
		require.NoError(t, err)
		p := filepath.Join(dir, "serve.json")
		require.NoError(t, os.WriteFile(p, conf, 0o600))
		return p
	}
	cfg, err := loadServeConfig(write("api.example:443", "[2001:db8::1]:8443"))
	require.NoError(t, err)
	p := serveJail(cfg.Servers["up"], cfg)
	require.Equal(t, []jail.HostPort{{Host: "api.example", Port: 443}, {Host: "2001:db8::1", Port: 8443}}, p.Connect)
	require.Empty(t, p.ConnectTCP)
	for _, bad := range []string{"api.example", "api.example:0", "api.example:65536", ":443", "api.example:https"} {
		_, err := loadServeConfig(write(bad))
		require.Error(t, err, bad)
	}
}
