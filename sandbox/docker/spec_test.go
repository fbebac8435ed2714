package docker

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/ironcurtain-go/ironcurtain/vault"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/stretchr/testify/require"
)

// The container every run gets, whatever the options: no network, no
// capabilities, no new privileges, read-only root, a noexec /tmp, an init,
// limits, a non-root user, and only the run directory and the workspace
// mounted.
func TestContainerSpec(t *testing.T) {
	s, err := Options{Image: "img", Adapter: Generic{Command: []string{"agent"}}}.settle()
	require.NoError(t, err)
	sp := s.containerSpec("ironcurtain-x", "0123456789abcdef", "sess", "/tmp/ic-run", []string{BridgePath, "run"}, []string{"A=1"})
	c, h := sp.config, sp.host

	require.Equal(t, "img", c.Image)
	require.Equal(t, []string{BridgePath, "run"}, []string(c.Entrypoint))
	require.Empty(t, c.Cmd)
	require.True(t, c.NetworkDisabled)
	require.NotEmpty(t, c.User)
	require.NotEqual(t, "0", strings.Split(c.User, ":")[0])
	require.Equal(t, hostname, c.Hostname)
	require.Equal(t, "docker", c.Labels[LabelSandbox])
	require.Equal(t, "0123456789abcdef", c.Labels[LabelRun])
	require.Equal(t, "sess", c.Labels[LabelSession])
	require.False(t, c.OpenStdin)
	require.False(t, c.Tty)

	require.Equal(t, container.NetworkMode("none"), h.NetworkMode)
	require.Equal(t, []string{"ALL"}, h.CapDrop)
	require.Empty(t, h.CapAdd)
	require.Equal(t, []string{"no-new-privileges:true"}, h.SecurityOpt)
	require.True(t, h.ReadonlyRootfs)
	require.False(t, h.Privileged)
	require.True(t, *h.Init)
	require.Equal(t, container.IPCModePrivate, h.IpcMode)
	require.Empty(t, h.PidMode)
	require.Empty(t, h.UsernsMode)
	require.Empty(t, h.Devices)
	require.Empty(t, h.Binds)
	require.Empty(t, h.PortBindings)
	require.Empty(t, h.ExtraHosts)
	require.Equal(t, "none", h.LogConfig.Type)
	require.Equal(t, map[string]string{"/tmp": "rw,nosuid,nodev,mode=1777,size=536870912,noexec"}, h.Tmpfs)
	require.Equal(t, int64(DefaultMemory), h.Memory)
	require.Equal(t, h.Memory, h.MemorySwap, "no swap beyond the limit")
	require.Equal(t, int64(DefaultCPUs*1e9), h.NanoCPUs)
	require.Equal(t, int64(DefaultPids), *h.PidsLimit)
	require.Contains(t, h.Ulimits, &container.Ulimit{Name: "nofile", Soft: DefaultNoFile, Hard: DefaultNoFile})
	require.Equal(t, []mount.Mount{{
		Type: mount.TypeBind, Source: "/tmp/ic-run", Target: RunDir, ReadOnly: true,
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate},
	}}, h.Mounts, "the zero Options mount the run directory only")
	require.Equal(t, Home, c.WorkingDir)
}

func TestContainerSpecWorkspaceAndLimits(t *testing.T) {
	ws := t.TempDir()
	s, err := Options{
		Image: "img", Adapter: Generic{Command: []string{"agent"}},
		Workspace: ws, WorkspaceReadOnly: true,
		Memory: 256 << 20, CPUs: 0.5, Pids: 64, NoFile: 256, TmpSize: 8 << 20, TmpExec: true,
		User: userFor(t), Labels: map[string]string{"team": "a"},
	}.settle()
	require.NoError(t, err)
	sp := s.containerSpec("n", "0123456789abcdef", "s", "/r", []string{"x"}, nil)
	h := sp.host
	require.Equal(t, WorkspaceDir, sp.config.WorkingDir)
	require.Len(t, h.Mounts, 2)
	require.Equal(t, ws, h.Mounts[1].Source)
	require.Equal(t, WorkspaceDir, h.Mounts[1].Target)
	require.True(t, h.Mounts[1].ReadOnly)
	require.Equal(t, int64(256<<20), h.MemorySwap)
	require.Equal(t, int64(5e8), h.NanoCPUs)
	require.Equal(t, int64(64), *h.PidsLimit)
	require.Equal(t, "rw,nosuid,nodev,mode=1777,size=8388608", h.Tmpfs["/tmp"])
	require.Equal(t, "a", sp.config.Labels["team"])
}

// userFor returns a User the process may choose.
func userFor(t *testing.T) string {
	if os.Getuid() == 0 {
		return "1234:1234"
	}
	return strings.Join([]string{itoa(os.Getuid()), itoa(os.Getgid())}, ":")
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestOptionsValidation(t *testing.T) {
	gen := Generic{Command: []string{"a"}}
	tests := []struct {
		name string
		opts Options
	}{
		{"no image", Options{Adapter: gen}},
		{"no adapter", Options{Image: "i"}},
		{"root user", Options{Image: "i", Adapter: gen, User: "0:0"}},
		{"root group", Options{Image: "i", Adapter: gen, User: "1000:0"}},
		{"named user", Options{Image: "i", Adapter: gen, User: "nobody"}},
		{"bad env", Options{Image: "i", Adapter: gen, Env: []string{"=x"}}},
		{"reserved label", Options{Image: "i", Adapter: gen, Labels: map[string]string{LabelSandbox: "x"}}},
		{"tiny memory", Options{Image: "i", Adapter: gen, Memory: 1 << 20}},
		{"tiny pids", Options{Image: "i", Adapter: gen, Pids: 2}},
		{"missing workspace", Options{Image: "i", Adapter: gen, Workspace: "/no/such/dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			require.Error(t, err)
		})
	}
}

// The default user: the process's own when it is not root; when it is,
// the workspace's owner, or nobody.
func TestDefaultUser(t *testing.T) {
	s, err := Options{Image: "i", Adapter: Generic{Command: []string{"a"}}}.settle()
	require.NoError(t, err)
	if os.Getuid() != 0 {
		require.Equal(t, itoa(os.Getuid())+":"+itoa(os.Getgid()), s.User)
		require.False(t, s.chown)
		return
	}
	require.Equal(t, NobodyUser, s.User)
	require.True(t, s.chown)
	ws := t.TempDir()
	require.NoError(t, os.Chown(ws, 1500, 1600))
	s, err = Options{Image: "i", Adapter: Generic{Command: []string{"a"}}, Workspace: ws}.settle()
	require.NoError(t, err)
	require.Equal(t, "1500:1600", s.User)
}

// A real key never enters the container's environment, from Options.Env
// or from an adapter.
func TestRealKeyRefusedInEnv(t *testing.T) {
	ca, err := llm.NewCA()
	require.NoError(t, err)
	p, err := llm.New(llm.Options{CA: ca, Vault: vault.Map{"ANTHROPIC_API_KEY": ironcurtain.NewSecret(realAnthropic)}})
	require.NoError(t, err)
	_, err = New(Options{Image: "i", Adapter: Generic{Command: []string{"a"}}, LLM: p, Env: []string{"LEAK=x" + realAnthropic}})
	require.ErrorContains(t, err, "LEAK")
	require.NotContains(t, err.Error(), realAnthropic)

	sb, err := New(Options{Image: "i", Adapter: Generic{Command: []string{"a"}, Env: []string{"SNEAKY=" + realAnthropic}}, LLM: p})
	require.NoError(t, err)
	defer sb.Close()
	_, err = sb.Run(context.Background(), ironcurtain.Job{Source: "x"})
	require.ErrorContains(t, err, "SNEAKY", "refused before any engine is contacted")
}

// The environment every agent gets: the proxy and the CA in all the usual
// variables, the adapter's entries last.
func TestEnvironment(t *testing.T) {
	sb := &Sandbox{s: &settings{Options: Options{Env: []string{"A=options", "B=options"}}}}
	e := Endpoints{ProxyURL: "http://" + LLMListen, CAFile: RunDir + "/ca.pem", TaskFile: RunDir + "/task.txt", MCPCommand: []string{BridgePath, "mcp"}}
	env := sb.environment(e, Launch{Env: []string{"B=adapter"}})
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	require.True(t, slices.IsSorted(env))
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		require.Equal(t, "http://127.0.0.1:18080", m[k], k)
	}
	for _, k := range []string{"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"} {
		require.Equal(t, "/run/ironcurtain/ca.pem", m[k], k)
	}
	require.Equal(t, "localhost,127.0.0.1,::1", m["NO_PROXY"])
	require.Equal(t, "options", m["A"])
	require.Equal(t, "adapter", m["B"])
	require.Equal(t, Home, m["HOME"])
	require.Equal(t, RunDir+"/mcp.sock", m["IRONCURTAIN_MCP_SOCKET"])
	_, hasWS := m["IRONCURTAIN_WORKSPACE"]
	require.False(t, hasWS, "empty values are left out")

	bare := sb.environment(Endpoints{TaskFile: "t"}, Launch{})
	for _, kv := range bare {
		require.NotContains(t, kv, "PROXY", "no proxy variables without an LLM proxy")
	}
}

func TestRunDirectory(t *testing.T) {
	s, err := Options{Image: "i", Adapter: Generic{Command: []string{"a"}}, RunDir: t.TempDir()}.settle()
	require.NoError(t, err)
	d, err := newRunDir(s, "0123456789abcdef")
	require.NoError(t, err)
	fi, err := os.Stat(d.path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	if uid, _, ok := fileOwner(fi); ok {
		require.Equal(t, s.uid, uid, "the run directory belongs to the agent's user")
	}
	root, err := os.Stat(d.root)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), root.Mode().Perm())
	if uid, _, ok := fileOwner(root); ok {
		require.Equal(t, os.Getuid(), uid, "its parent belongs to this process, so no other host user reaches the sockets")
	}
	require.Equal(t, d.root, filepath.Dir(d.path))
	require.NoError(t, d.write("task.txt", []byte("t")))
	d.remove()
	_, err = os.Stat(d.root)
	require.True(t, os.IsNotExist(err))

	long := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	require.NoError(t, os.Mkdir(long, 0o700))
	s.RunDir = long
	_, err = newRunDir(s, "0123456789abcdef")
	require.ErrorContains(t, err, "RunDir")
}
