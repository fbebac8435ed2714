package llm

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca, err := LoadOrCreateCA(dir)
	require.NoError(t, err)

	for name, want := range map[string]os.FileMode{CAKeyFile: 0o600, CACertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, want, fi.Mode().Perm(), name)
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary files left behind")

	again, err := LoadOrCreateCA(dir)
	require.NoError(t, err)
	require.Equal(t, ca.CertPEM(), again.CertPEM(), "created once, then loaded")

	cert := ca.Certificate()
	require.True(t, cert.IsCA)
	require.True(t, cert.MaxPathLenZero)
	require.Equal(t, 0, cert.MaxPathLen)
	require.Equal(t, x509.ECDSA, cert.PublicKeyAlgorithm)
}

func TestLoadCARefuses(t *testing.T) {
	setup := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "ca")
		_, err := LoadOrCreateCA(dir)
		require.NoError(t, err)
		return dir
	}
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"key readable by others", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, CAKeyFile), 0o644))
		}},
		{"key readable by group", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, CAKeyFile), 0o640))
		}},
		{"key is a symlink", func(t *testing.T, dir string) {
			k := filepath.Join(dir, CAKeyFile)
			require.NoError(t, os.Rename(k, k+".real"))
			require.NoError(t, os.Symlink(k+".real", k))
		}},
		{"certificate missing", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, CACertFile)))
		}},
		{"key missing", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, CAKeyFile)))
		}},
		{"directory writable by others", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(dir, 0o777))
		}},
		{"certificate of another CA", func(t *testing.T, dir string) {
			other, err := NewCA()
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, CACertFile), other.CertPEM(), 0o644))
		}},
		{"garbage key", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, CAKeyFile), []byte("nope"), 0o600))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := setup(t)
			tt.spoil(t, dir)
			_, err := LoadOrCreateCA(dir)
			require.Error(t, err)
		})
	}
}

// A leaf chains to the CA, names exactly its host, serves TLS, lives a day,
// is reused from the cache, and is minted anew when it nears its end.
func TestLeafCertificates(t *testing.T) {
	ca, err := NewCA()
	require.NoError(t, err)
	now := time.Now()
	ca.now = func() time.Time { return now }

	leaf, err := ca.Leaf("API.Anthropic.com.")
	require.NoError(t, err)
	c := leaf.Leaf
	require.Equal(t, []string{"api.anthropic.com"}, c.DNSNames)
	require.Empty(t, c.IPAddresses)
	require.False(t, c.IsCA)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, c.ExtKeyUsage)
	require.LessOrEqual(t, c.NotAfter.Sub(c.NotBefore), DefaultLeafValidity+backdate)
	_, err = c.Verify(x509.VerifyOptions{DNSName: "api.anthropic.com", Roots: ca.Pool(), CurrentTime: now})
	require.NoError(t, err)
	_, err = c.Verify(x509.VerifyOptions{DNSName: "api.openai.com", Roots: ca.Pool(), CurrentTime: now})
	require.Error(t, err, "a leaf is for its host only")
	other, err := NewCA()
	require.NoError(t, err)
	_, err = c.Verify(x509.VerifyOptions{DNSName: "api.anthropic.com", Roots: other.Pool(), CurrentTime: now})
	require.Error(t, err)

	again, err := ca.Leaf("api.anthropic.com")
	require.NoError(t, err)
	require.Same(t, leaf, again, "cached")

	now = now.Add(DefaultLeafValidity * 3 / 4)
	renewed, err := ca.Leaf("api.anthropic.com")
	require.NoError(t, err)
	require.NotSame(t, leaf, renewed, "renewed a quarter before expiry")
	require.True(t, renewed.Leaf.NotAfter.After(leaf.Leaf.NotAfter))

	ip, err := ca.Leaf("127.0.0.1")
	require.NoError(t, err)
	require.Len(t, ip.Leaf.IPAddresses, 1)

	for _, bad := range []string{"", "*.anthropic.com", "a/b"} {
		_, err := ca.Leaf(bad)
		require.Error(t, err, bad)
	}

	// A TLS client that trusts only the CA accepts the leaf.
	srv, cli := tlsPipe(t, &tls.Config{Certificates: []tls.Certificate{*renewed}},
		&tls.Config{ServerName: "api.anthropic.com", RootCAs: ca.Pool(), Time: func() time.Time { return now }})
	require.NoError(t, <-srv)
	require.NoError(t, <-cli)
}

func tlsPipe(t *testing.T, scfg, ccfg *tls.Config) (<-chan error, <-chan error) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	srv, cli := make(chan error, 1), make(chan error, 1)
	go func() { srv <- tls.Server(a, scfg).Handshake() }()
	go func() { cli <- tls.Client(b, ccfg).Handshake() }()
	return srv, cli
}
