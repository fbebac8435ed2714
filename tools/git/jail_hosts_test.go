package git

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testnet"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// requireHostJail skips a test where git or a jail with host grants
// cannot run.
func requireHostJail(t *testing.T) {
	t.Helper()
	requireGit(t)
	requireJail(t)
	if _, err := jail.Check(jail.Policy{Connect: []jail.HostPort{{Host: "127.0.0.1", Port: 1}}}); errors.Is(err, jail.ErrUnsupported) {
		t.Skipf("no network namespaces for the jail here: %v", err)
	}
}

// countingServer listens on addr and counts the connections it accepts,
// closing each.
func countingServer(t *testing.T, addr string) (*atomic.Int32, uint16) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	testnet.Serve(l, func(net.Conn) { n.Add(1) })
	return &n, uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestJailRewrittenRemote: the repository rewrites the remote's URL
// (url.<base>.insteadOf) to another host, which the server does not see.
// Unjailed, git connects to that host; jailed, the fetch may reach only
// the host of the URL the call was judged by, so the other host is never
// reached, even with its port granted the old way (ConnectTCP).
func TestJailRewrittenRemote(t *testing.T) {
	requireHostJail(t)
	_, port := countingServer(t, "127.0.0.2:0")
	other, _ := countingServer(t, net.JoinHostPort("127.0.0.3", strconv.Itoa(int(port))))
	url := "http://127.0.0.2:" + strconv.Itoa(int(port)) + "/repo.git"

	for _, tc := range []struct {
		name  string
		jail  *jail.Policy
		reach bool
	}{
		{"unjailed", nil, true},
		{"jailed", &jail.Policy{ConnectTCP: []uint16{port}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{AllowedProtocols: []string{"http"}, Jail: tc.jail})
			if tc.jail == nil && f.s.jail != nil {
				t.Skip("the suite's jailed run jails every fixture")
			}
			cfg := exec.Command("git", "-C", f.repo, "config", "url.http://127.0.0.3:"+strconv.Itoa(int(port))+"/.insteadOf", "http://127.0.0.2:"+strconv.Itoa(int(port))+"/")
			require.NoError(t, cfg.Run())
			other.Store(0)
			_, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: "git_fetch",
				Arguments: map[string]any{"remote": url}})
			require.NoError(t, err)
			require.Equal(t, tc.reach, other.Load() > 0, "connections to the host the URL was rewritten to")
		})
	}
}

// TestJailFetchJudgedHost: a jailed fetch reaches the host of its judged
// remote (here a named remote, resolved through "git remote get-url").
func TestJailFetchJudgedHost(t *testing.T) {
	requireHostJail(t)
	judged, port := countingServer(t, "127.0.0.2:0")
	f := newFixture(t, Options{AllowedProtocols: []string{"http"}, Jail: &jail.Policy{}})
	require.NoError(t, exec.Command("git", "-C", f.repo, "remote", "add", "up", "http://127.0.0.2:"+strconv.Itoa(int(port))+"/repo.git").Run())
	_, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: "git_fetch",
		Arguments: map[string]any{"remote": "up"}})
	require.NoError(t, err)
	require.Positive(t, judged.Load(), "the judged remote's host is reached")
}

func TestRemoteHost(t *testing.T) {
	for u, want := range map[string]jail.HostPort{
		"https://github.com/o/r.git":            {Host: "github.com", Port: 443},
		"https://user@forge.example:8443/r.git": {Host: "forge.example", Port: 8443},
		"http://[::1]:8080/r":                   {Host: "::1", Port: 8080},
		"git://git.example/r":                   {Host: "git.example", Port: 9418},
		"ssh://git@ssh.example:2222/r":          {Host: "ssh.example", Port: 2222},
		"git@github.com:o/r.git":                {Host: "github.com", Port: 22},
		"github.com:o/r.git":                    {Host: "github.com", Port: 22},
		"git@[2001:db8::1]:r.git":               {Host: "2001:db8::1", Port: 22},
		// The host follows the last '@' before the path, as the policy and
		// ssh read it: never "b@evil.example".
		"a@b@evil.example:o/r.git": {Host: "evil.example", Port: 22},
	} {
		got, ok := remoteHost(u)
		require.True(t, ok, u)
		require.Equal(t, want, got, u)
	}
	for _, u := range []string{"/srv/r.git", "file:///srv/r.git", "../r", "https://h.example:0/r", "https://h.example:99999/r", "https:///r", "ext::sh -c x", "git@[::%@]:r", "[fe80::1%eth0]:r"} {
		_, ok := remoteHost(u)
		require.False(t, ok, u)
	}
}

// FuzzRemoteHost: whatever the URL, a host the jail is asked to grant is a
// bare name or address: no user part, path, port separator outside an
// IPv6 literal, or whitespace, and a port from 1 on.
func FuzzRemoteHost(f *testing.F) {
	for _, u := range []string{"https://github.com/o/r.git", "git@github.com:o/r.git", "a@b@c:d", "ssh://u@h:22/r",
		"git@[::1]:r", "http://[::1]:8080/r", "https://h:0/r", "@:x", "[:x", "h:", "[:]", "git@[::%@]:r"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u string) {
		hp, ok := remoteHost(u)
		if !ok {
			return
		}
		require.NotEmpty(t, hp.Host)
		require.NotZero(t, hp.Port)
		require.NotContains(t, hp.Host, "@", u)
		require.NotContains(t, hp.Host, "/", u)
		require.NoError(t, hp.Validate(), u)
		if !strings.Contains(hp.Host, "]") && strings.Count(hp.Host, ":") == 1 {
			t.Fatalf("%q: host %q keeps a port separator", u, hp.Host)
		}
	})
}
