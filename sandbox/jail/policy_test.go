package jail

import (
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
}
