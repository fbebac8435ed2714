package jail

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	home := filepath.Join(root, "home")
	project := filepath.Join(home, "project")
	secrets := filepath.Join(root, "secrets")
	for _, d := range []string{filepath.Join(home, ".ssh"), filepath.Join(home, ".config", "gcloud"), project, secrets} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	// A symbolic link to the home, and a credential store that is a link.
	require.NoError(t, os.Symlink(home, filepath.Join(root, "home-link")))
	require.NoError(t, os.Symlink(secrets, filepath.Join(home, ".aws")))

	tests := []struct {
		name    string
		p       Policy
		wantErr error
	}{
		{"zero policy", Policy{}, nil},
		{"project directory", Policy{ReadWrite: []string{project}, ReadOnly: []string{"/usr"}}, nil},
		{"relative path", Policy{ReadOnly: []string{"usr"}}, ErrPolicy},
		{"empty path", Policy{ReadWrite: []string{""}}, ErrPolicy},
		{"NUL in path", Policy{ReadOnly: []string{"/usr\x00"}}, ErrPolicy},
		{"missing path", Policy{ReadOnly: []string{filepath.Join(root, "missing")}}, ErrPolicy},
		{"home directory", Policy{ReadOnly: []string{home}}, ErrCredentialPath},
		{"root directory", Policy{ReadOnly: []string{"/"}}, ErrCredentialPath},
		{"parent of home", Policy{ReadWrite: []string{root}}, ErrCredentialPath},
		{"store itself", Policy{ReadOnly: []string{filepath.Join(home, ".ssh")}}, ErrCredentialPath},
		{"inside a store", Policy{ReadOnly: []string{filepath.Join(home, ".config", "gcloud")}}, ErrCredentialPath},
		{"link to home", Policy{ReadOnly: []string{filepath.Join(root, "home-link")}}, ErrCredentialPath},
		{"target of a store that is a link", Policy{ReadOnly: []string{secrets}}, ErrCredentialPath},
		{"store allowed explicitly",
			Policy{ReadOnly: []string{filepath.Join(home, ".config", "gcloud")}, AllowCredentials: []string{"~/.config/gcloud"}}, nil},
		{"allowing one store does not allow the home",
			Policy{ReadOnly: []string{home}, AllowCredentials: []string{"~/.ssh"}}, ErrCredentialPath},
		{"unknown store allowed", Policy{AllowCredentials: []string{"~/.secret"}}, ErrPolicy},
		{"extra protected path", Policy{ReadOnly: []string{project}, Protected: []string{filepath.Join(project, "keys")}}, ErrCredentialPath},
		{"relative protected path", Policy{Protected: []string{"keys"}}, ErrPolicy},
		{"port 0", Policy{ConnectTCP: []uint16{443, 0}}, ErrPolicy},
		{"bind port 0", Policy{BindTCP: []uint16{0}}, ErrPolicy},
		{"loader variable", Policy{Env: []string{"LD_PRELOAD=/tmp/x.so"}}, ErrPolicy},
		{"loader variable copied", Policy{Env: []string{"LD_LIBRARY_PATH"}}, ErrPolicy},
		{"bad variable name", Policy{Env: []string{"1X=y"}}, ErrPolicy},
		{"empty variable name", Policy{Env: []string{"=y"}}, ErrPolicy},
		{"variable twice", Policy{Env: []string{"A=1", "A=2"}}, ErrPolicy},
		{"NUL in value", Policy{Env: []string{"A=\x00"}}, ErrPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.validate([]string{home})
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.ErrorIs(t, err, ErrPolicy, "every validation error is an ErrPolicy")
		})
	}
}

func TestValidateCanonical(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.Symlink(root, filepath.Join(root, "link")))
	g, err := Policy{
		ReadOnly:   []string{root, filepath.Join(root, "link"), root + "/./"},
		ConnectTCP: []uint16{443, 22, 443},
		BindTCP:    []uint16{8080},
	}.validate(nil)
	require.NoError(t, err)
	require.Equal(t, []string{root}, g.ro, "resolved and without duplicates")
	require.Equal(t, []uint16{22, 443}, g.connect, "sorted and without duplicates")
	require.Equal(t, []uint16{8080}, g.bind)
}

func TestEnviron(t *testing.T) {
	lookup := func(name string) (string, bool) {
		v, ok := map[string]string{"PATH": "/usr/bin", "EMPTY": ""}[name]
		return v, ok
	}
	env, err := environ(nil, lookup)
	require.NoError(t, err)
	require.NotNil(t, env, "an empty environment, not the parent's")
	require.Empty(t, env)

	env, err = environ([]string{"PATH", "EMPTY", "MISSING", "HOME=/h", "X=a=b"}, lookup)
	require.NoError(t, err)
	require.Equal(t, []string{"PATH=/usr/bin", "EMPTY=", "HOME=/h", "X=a=b"}, env)
}

func TestBaseLists(t *testing.T) {
	base := BaseReadOnly()
	base[0] = "changed"
	require.Equal(t, "/usr", BaseReadOnly()[0], "BaseReadOnly returns a copy")
	for _, p := range BaseReadOnly() {
		require.NoError(t, planPath(p))
		for _, c := range credentialPaths {
			require.False(t, strings.HasPrefix(p, "/home") || strings.Contains(p, c[2:]), "%s", p)
		}
	}
	creds := CredentialPaths()
	creds[0] = "changed"
	require.Equal(t, "~/.ssh", CredentialPaths()[0], "CredentialPaths returns a copy")
}

func TestEnforcementString(t *testing.T) {
	require.Equal(t, "landlock ABI 7, seccomp", Enforcement{Landlock: 7, Seccomp: true}.String())
	require.Equal(t, "UNSANDBOXED (missing landlock, signal-scope): seccomp",
		Enforcement{Seccomp: true, Unsandboxed: true, Missing: []Protection{ProtectLandlock, ProtectSignals}}.String())
	require.Equal(t, "UNSANDBOXED (missing landlock, seccomp): nothing enforced",
		Enforcement{Unsandboxed: true, Missing: []Protection{ProtectLandlock, ProtectSeccomp}}.String())
	require.Equal(t, "landlock ABI 7, seccomp, unix socket paths", Enforcement{Landlock: 7, Seccomp: true, UnixPaths: true}.String())
	require.Equal(t, "landlock ABI 7, seccomp, tcp hosts", Enforcement{Landlock: 7, Seccomp: true, Hosts: true}.String())
}

func TestValidateConnect(t *testing.T) {
	g, err := Policy{Connect: []HostPort{
		{Host: "GitHub.COM.", Port: 443}, {Host: "github.com", Port: 22}, {Host: "github.com", Port: 443},
		{Host: "127.1.0.1", Port: 8080}, {Host: "::ffff:192.0.2.7", Port: 80}, {Host: "a.example", Port: 443},
	}}.validate(nil)
	require.NoError(t, err)
	require.Equal(t, []uint16{22, 80, 443, 8080}, g.connect, "the ports of the hosts, for Landlock")
	require.Equal(t, []hostGrant{
		{host: "127.1.0.1", addr: netip.MustParseAddr("127.1.0.1"), ports: []uint16{8080}},
		{host: "192.0.2.7", addr: netip.MustParseAddr("192.0.2.7"), ports: []uint16{80}},
		{host: "a.example", addr: netip.MustParseAddr("127.1.0.2"), name: true, ports: []uint16{443}},
		{host: "github.com", addr: netip.MustParseAddr("127.1.0.3"), name: true, ports: []uint16{22, 443}},
	}, g.hosts, "names in canonical form, sorted, each at a loopback address no granted address takes")

	many := make([]HostPort, maxConnect+1)
	for i := range many {
		many[i] = HostPort{Host: "h.example", Port: uint16(i + 1)}
	}
	for _, p := range []Policy{
		{Connect: []HostPort{{Host: "", Port: 443}}},
		{Connect: []HostPort{{Host: "a b.example", Port: 443}}},
		{Connect: []HostPort{{Host: "a\nb", Port: 443}}},
		{Connect: []HostPort{{Host: "-a.example", Port: 443}}},
		{Connect: []HostPort{{Host: "a..example", Port: 443}}},
		{Connect: []HostPort{{Host: "*.example", Port: 443}}},
		{Connect: []HostPort{{Host: "10.1", Port: 443}}},
		{Connect: []HostPort{{Host: "2130706433", Port: 443}}},
		{Connect: []HostPort{{Host: "0.0.0.0", Port: 443}}},
		{Connect: []HostPort{{Host: "::", Port: 443}}},
		{Connect: []HostPort{{Host: "224.0.0.1", Port: 443}}},
		{Connect: []HostPort{{Host: "fe80::1%eth0", Port: 443}}},
		{Connect: []HostPort{{Host: "[::1]", Port: 443}}},
		{Connect: []HostPort{{Host: "a.example", Port: 0}}},
		{Connect: []HostPort{{Host: "a.example", Port: 443}}, ConnectTCP: []uint16{443}},
		{Connect: many},
	} {
		_, err := p.validate(nil)
		require.ErrorIs(t, err, ErrPolicy, "%v", p.Connect)
	}
}

// TestHostPortValidate: Validate refuses what Connect refuses, and takes
// what it takes.
func TestHostPortValidate(t *testing.T) {
	for _, hp := range []HostPort{{Host: "github.com", Port: 443}, {Host: "2001:db8::1", Port: 22}, {Host: "192.0.2.7", Port: 80}} {
		require.NoError(t, hp.Validate(), hp)
		_, err := Policy{Connect: []HostPort{hp}}.validate(nil)
		require.NoError(t, err, hp)
	}
	for _, hp := range []HostPort{{Host: "", Port: 443}, {Host: "::%@", Port: 22}, {Host: "fe80::1%eth0", Port: 22},
		{Host: "%000", Port: 22}, {Host: "a b", Port: 22}, {Host: "github.com", Port: 0}, {Host: "::", Port: 22}} {
		require.Error(t, hp.Validate(), hp)
		_, err := Policy{Connect: []HostPort{hp}}.validate(nil)
		require.ErrorIs(t, err, ErrPolicy, hp)
	}
}

func TestHostsFile(t *testing.T) {
	g, err := Policy{Connect: []HostPort{{Host: "github.com", Port: 443}, {Host: "192.0.2.7", Port: 80}}}.validate(nil)
	require.NoError(t, err)
	require.Equal(t, "# ironcurtain jail: only these names resolve\n127.0.0.1\tlocalhost\n127.1.0.1\tgithub.com\n",
		string(hostsFile(planHosts(g.hosts))))
	g, err = Policy{Connect: []HostPort{{Host: "localhost", Port: 8080}}}.validate(nil)
	require.NoError(t, err)
	require.Equal(t, "# ironcurtain jail: only these names resolve\n127.1.0.1\tlocalhost\n",
		string(hostsFile(planHosts(g.hosts))), "a granted localhost is the granted one")
}

// FuzzCheckHost: a host accepted is canonical (accepted again unchanged)
// and can be written as one /etc/hosts field.
func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{"github.com", "GitHub.com.", "10.1", "::1", "192.0.2.7", "a b", "x\n127.0.0.1 evil", "_srv.a-b.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, addr, name, err := checkHost(h)
		if err != nil {
			return
		}
		again, addr2, name2, err := checkHost(c)
		require.NoError(t, err)
		require.Equal(t, c, again)
		require.Equal(t, addr, addr2)
		require.Equal(t, name, name2)
		require.NotContains(t, c, "#")
		for _, r := range c {
			require.False(t, r <= ' ' || r >= 0x7f, "%q", c)
		}
		if !name {
			require.True(t, addr.IsValid())
		}
	})
}
