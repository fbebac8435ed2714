package docker

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testnet"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// standinReport mirrors the stand-in's report.
type standinReport struct {
	UID, GID    int
	Status      map[string]string
	Hostname    string
	RootEntries []string
	RunDir      []string
	Env         []string
	MCP         struct {
		Error                                         string
		Protocol                                      string
		Tools                                         []string
		Allowed, Denied, Escalated, Rejected, Unknown struct {
			IsError  bool
			Text     string
			RPCError string
		}
	}
	LLM map[string]struct {
		Status  int
		Body    string
		Refused bool
		Error   string
	}
	Escapes []struct {
		Name    string
		Escaped bool
		Detail  string
	}
	Dump string
}

// TestAgentInContainer runs the stand-in agent in a container with the
// real Gate and LLM proxy on the host side. The agent uses its two ways
// out as a real agent would — MCP tools through the bridge, the model API
// through the proxy with its fake key — and then tries every other way
// out. Each attempt must fail, and the real key must appear nowhere the
// agent or a log could see it.
func TestAgentInContainer(t *testing.T) {
	img := testImage(t)
	cli := requireEngine(t)
	w := newWorld(t)
	ws := workspace(t)

	// A host file outside the workspace, with a marker to look for.
	secretDir, err := os.MkdirTemp("", "ic-host-secret-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(secretDir) })
	marker := "HOST-ONLY-" + testRun
	hostFile := filepath.Join(secretDir, "secret.txt")
	require.NoError(t, os.WriteFile(hostFile, []byte(marker), 0o644))

	// A host listener the agent must not reach, on every host address.
	ln, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer ln.Close()
	testnet.Serve(ln, nil)
	port := ln.Addr().(*net.TCPAddr).Port
	addrs := hostAddrs(t, cli, port)

	reportPath := filepath.Join(ws, "report.json")
	sb, err := New(Options{
		Image: img,
		Adapter: Generic{Command: []string{"/usr/local/bin/standin"}, Env: []string{
			"STANDIN_MODE=full",
			"STANDIN_REPORT=" + WorkspaceDir + "/report.json",
			"STANDIN_HOST_FILE=" + hostFile,
			"STANDIN_HOST_ADDRS=" + strings.Join(addrs, " "),
		}},
		Tools:     w.gate,
		LLM:       w.llm,
		Workspace: ws,
		Labels:    map[string]string{testLabel: testRun},
		Timeout:   90 * time.Second,
		Logger:    w.logger,
	})
	require.NoError(t, err)
	defer sb.Close()

	var inspected struct {
		env    []string
		user   string
		runID  string
		ok     bool
		readOK bool
	}
	sb.started = func(ctx context.Context, id string) {
		info, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return
		}
		inspected.ok = true
		inspected.env = info.Container.Config.Env
		inspected.user = info.Container.Config.User
		inspected.runID = info.Container.Config.Labels[LabelRun]
		hc := info.Container.HostConfig
		inspected.readOK = hc.ReadonlyRootfs && slices.Contains(hc.CapDrop, "ALL") && string(hc.NetworkMode) == "none" &&
			hc.Init != nil && *hc.Init && !hc.Privileged && *hc.PidsLimit == DefaultPids
	}

	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "do the test task", Session: "escape-" + testRun})
	require.NoError(t, err, "output:\n%s", strings.Join(rep.Output, "\n"))
	require.Contains(t, rep.Output, "STANDIN-REPORT written")

	raw, err := os.ReadFile(reportPath)
	require.NoError(t, err)
	var r standinReport
	require.NoError(t, json.Unmarshal(raw, &r))

	t.Run("identity and privileges", func(t *testing.T) {
		require.Equal(t, 65534, r.UID)
		require.Equal(t, 65534, r.GID)
		for _, c := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			require.Equal(t, "0000000000000000", r.Status[c], c)
		}
		require.Equal(t, "1", r.Status["NoNewPrivs"])
		require.Equal(t, "2", r.Status["Seccomp"], "the engine's seccomp filter is on")
		require.Equal(t, hostname, r.Hostname, "the container's own host name, not the host's")
		require.True(t, inspected.ok)
		require.True(t, inspected.readOK, "the container was created with the hardening flags")
		require.Equal(t, "65534:65534", inspected.user)
	})

	t.Run("file system", func(t *testing.T) {
		// sbin holds only the engine's init, docker-init.
		allowed := []string{".dockerenv", "dev", "etc", "proc", "run", "sbin", "sys", "tmp", "usr", "workspace"}
		for _, e := range r.RootEntries {
			require.Contains(t, allowed, e, "unexpected entry /%s", e)
		}
		require.ElementsMatch(t, []string{"ca.pem", "files", "llm.sock", "mcp.sock", "task.txt"}, r.RunDir, "the run directory holds no key")
		require.NotContains(t, r.Dump, marker, "a host file outside the workspace was readable")
		require.Contains(t, r.Dump, "== /run/ironcurtain/task.txt\ndo the test task", "the dump did read files")
	})

	t.Run("tools through the Gate", func(t *testing.T) {
		m := r.MCP
		require.Empty(t, m.Error)
		require.Equal(t, "2025-11-25", m.Protocol)
		require.Equal(t, []string{"notes__push_note", "notes__read_note"}, m.Tools)
		require.False(t, m.Allowed.IsError)
		require.Equal(t, "buy milk", m.Allowed.Text)
		require.True(t, m.Denied.IsError)
		require.Equal(t, "DENIED: private notes are off limits", m.Denied.Text)
		require.False(t, m.Escalated.IsError, m.Escalated.Text)
		require.Equal(t, "pushed todo to origin", m.Escalated.Text)
		require.True(t, m.Rejected.IsError)
		require.Equal(t, "ESCALATION DENIED: pushing needs approval", m.Rejected.Text)
		require.True(t, m.Unknown.IsError || m.Unknown.RPCError != "", "an unknown tool is refused")

		require.Len(t, w.asked, 2, "the approver was asked twice")
		verdicts := map[string]ironcurtain.Verdict{}
		for _, c := range rep.Calls {
			verdicts[c.Tool+":"+c.Error] = c.Verdict
		}
		require.Len(t, rep.Calls, 4, "%+v", rep.Calls)
		require.Equal(t, ironcurtain.Allow, rep.Calls[0].Verdict)
		require.Equal(t, ironcurtain.Deny, rep.Calls[1].Verdict)
		require.Equal(t, "no-private-notes", rep.Calls[1].Rule)
		require.Equal(t, ironcurtain.Allow, rep.Calls[2].Verdict)
		require.Equal(t, ironcurtain.Escalate, rep.Calls[3].Verdict)
		_, gateLog := w.records()
		require.Len(t, gateLog, 4)
		for _, e := range gateLog {
			require.Equal(t, "escape-"+testRun, e.Session)
		}
	})

	t.Run("model API through the proxy", func(t *testing.T) {
		for _, mode := range []string{"base-url", "connect"} {
			res := r.LLM[mode]
			require.Equal(t, 200, res.Status, "%s: %+v", mode, res)
			require.Contains(t, res.Body, "answered with the real key", mode)
		}
		stream := r.LLM["stream"]
		require.Equal(t, 200, stream.Status, "%+v", stream)
		require.Equal(t, "event: message_start\ndata: {}\n\nevent: message_stop\ndata: {}\n\n", stream.Body)
	})

	t.Run("escapes", func(t *testing.T) {
		require.GreaterOrEqual(t, len(r.Escapes), 20)
		for _, a := range r.Escapes {
			require.False(t, a.Escaped, "%s: %s", a.Name, a.Detail)
			t.Logf("%-45s blocked: %s", a.Name, a.Detail)
		}
		details := map[string]string{}
		for _, a := range r.Escapes {
			details[a.Name] = a.Detail
		}
		require.Contains(t, details["llm: a path not allowed"], "status 403 refused=true")
		require.Contains(t, details["llm: a host not allowed"], "Forbidden", "the CONNECT was answered 403")
		require.Contains(t, details["llm: a wrong key"], "status 403 refused=true")
		require.Contains(t, details["llm: no key"], "status 401 refused=true")
		require.Contains(t, details["llm: the key of another provider"], "status 403 refused=true")
		require.Contains(t, details["llm: tls to the proxy without its CA"], "certificate")
	})

	t.Run("the real key is nowhere", func(t *testing.T) {
		fake := ""
		for _, kv := range r.Env {
			if v, ok := strings.CutPrefix(kv, "ANTHROPIC_API_KEY="); ok {
				fake = v
			}
		}
		require.True(t, strings.HasPrefix(fake, "sk-ant-api03-"), "the agent holds a fake key")
		require.Contains(t, r.Dump, fake, "the dump read the processes' environments")
		for _, real := range []string{realAnthropic, realOpenAI} {
			require.NotContains(t, r.Dump, real, "in the container's files or processes")
			require.NotContains(t, strings.Join(r.Env, "\n"), real, "in the agent's environment")
			require.NotContains(t, strings.Join(inspected.env, "\n"), real, "in the container's configuration")
			require.NotContains(t, strings.Join(rep.Output, "\n"), real, "in the agent's output")
			require.NotContains(t, w.logs.String(), real, "in the logs")
		}
		audit, gateLog := w.records()
		enc, err := json.Marshal(audit)
		require.NoError(t, err)
		enc2, err := json.Marshal(gateLog)
		require.NoError(t, err)
		for _, real := range []string{realAnthropic, realOpenAI} {
			require.NotContains(t, string(enc), real, "in the proxy's audit records")
			require.NotContains(t, string(enc2), real, "in the Gate's audit log")
		}
		require.NotEmpty(t, audit)
		imageBytes := saveImage(t, cli, img)
		for _, real := range []string{realAnthropic, realOpenAI} {
			require.NotContains(t, imageBytes, real, "in the image")
		}
	})

	t.Run("nothing is left", func(t *testing.T) {
		require.Empty(t, leftovers(context.Background(), cli))
		require.Len(t, inspected.runID, 16)
		dirs, err := filepath.Glob(filepath.Join(os.TempDir(), "ic-"+inspected.runID[:8]+"-*"))
		require.NoError(t, err)
		require.Empty(t, dirs, "the run directory is removed")
	})
}

// hostAddrs returns host:port for every address of the host the container
// could try: the bridge gateway and each interface address.
func hostAddrs(t *testing.T, cli *client.Client, port int) []string {
	t.Helper()
	var out []string
	add := func(a netip.Addr) {
		if a.IsValid() && !a.IsLoopback() {
			out = append(out, netip.AddrPortFrom(a, uint16(port)).String())
		}
	}
	if res, err := cli.NetworkInspect(context.Background(), "bridge", client.NetworkInspectOptions{}); err == nil {
		for _, c := range res.Network.IPAM.Config {
			add(c.Gateway)
		}
	}
	ifs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range ifs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			add(p.Addr())
		}
	}
	require.NotEmpty(t, out)
	return out
}

// saveImage returns every file of the image's layers, as one string.
func saveImage(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	rc, err := cli.ImageSave(context.Background(), []string{ref})
	require.NoError(t, err)
	defer rc.Close()
	var b strings.Builder
	tr := tar.NewReader(rc)
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		io.Copy(&b, tr)
	}
	require.Positive(t, b.Len())
	return b.String()
}
