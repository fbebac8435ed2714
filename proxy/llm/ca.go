package llm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// File names of a CA directory.
const (
	// CACertFile holds the CA certificate, PEM, mode 0644: it is public and
	// is what a container's trust store is given.
	CACertFile = "ca-cert.pem"
	// CAKeyFile holds the CA's private key, PEM (PKCS #8), mode 0600. It
	// never leaves the host.
	CAKeyFile = "ca-key.pem"
)

// Validity periods.
const (
	// DefaultLeafValidity is how long a minted host certificate is valid.
	DefaultLeafValidity = 24 * time.Hour
	// caValidity is how long a created CA is valid.
	caValidity = 10 * 365 * 24 * time.Hour
	// backdate covers clocks a little behind ours.
	backdate = 5 * time.Minute
	// maxLeaves bounds the certificate cache. Only allowlisted hosts are
	// ever minted, so the bound is a backstop, not a working limit.
	maxLeaves = 1024
)

// CA is the proxy's certificate authority: an ECDSA P-256 key that signs
// short-lived certificates for the provider hosts the proxy terminates TLS
// for. Its certificate may sign no intermediate (path length zero).
//
// Leaf certificates are minted per host on first use, cached, and minted
// again when a quarter of their validity is left. A CA is safe for
// concurrent use.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte

	// validity and now are fixed after construction; tests set them.
	validity time.Duration
	now      func() time.Time

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// NewCA creates a CA held in memory only. Use it for tests and for proxies
// whose containers are given the certificate afresh on every start; use
// [LoadOrCreateCA] to keep one across runs.
func NewCA() (*CA, error) {
	key, serial, err := newKey()
	if err != nil {
		return nil, err
	}
	suffix, err := randomToken(8)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"IronCurtain"},
			CommonName:   "IronCurtain LLM proxy CA " + suffix,
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return newCA(der, key)
}

func newCA(der []byte, key *ecdsa.PrivateKey) (*CA, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{
		cert:     cert,
		key:      key,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		validity: DefaultLeafValidity,
		now:      time.Now,
		leaves:   map[string]*tls.Certificate{},
	}, nil
}

// LoadOrCreateCA loads the CA kept in dir ([CACertFile] and [CAKeyFile]),
// or creates one there if dir holds neither. dir is created with mode 0700
// if missing.
//
// It refuses a directory that group or others may write, a key file that
// is not a regular file or that group or others may read or write, a key
// without its certificate (or the reverse), a certificate that is not a CA
// or has expired, and a certificate that does not belong to the key.
func LoadOrCreateCA(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("llm: CA directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("llm: CA directory: %w", err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("llm: CA directory %s is writable by group or others (mode %v)", dir, fi.Mode().Perm())
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	certPath := filepath.Join(dir, CACertFile)
	_, keyErr := os.Lstat(keyPath)
	_, certErr := os.Lstat(certPath)
	switch {
	case keyErr == nil && certErr == nil:
		return loadCA(keyPath, certPath)
	case errors.Is(keyErr, fs.ErrNotExist) && errors.Is(certErr, fs.ErrNotExist):
		return createCA(dir, keyPath, certPath)
	case keyErr == nil || certErr == nil:
		return nil, fmt.Errorf("llm: CA directory %s holds only one of %s and %s", dir, CAKeyFile, CACertFile)
	case keyErr != nil:
		return nil, fmt.Errorf("llm: CA key: %w", keyErr)
	default:
		return nil, fmt.Errorf("llm: CA certificate: %w", certErr)
	}
}

// createCA makes a CA and stores it. The key is linked into place last
// but one, with a link that fails if another process got there first; the
// loser discards its CA and loads the winner's.
func createCA(dir, keyPath, certPath string) (*CA, error) {
	ca, err := NewCA()
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	tmpKey, err := writeTemp(dir, keyPEM, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmpKey)
	tmpCert, err := writeTemp(dir, ca.certPEM, 0o644)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmpCert)
	if err := os.Link(tmpKey, keyPath); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created the CA first: use it.
			return loadCA(keyPath, certPath)
		}
		return nil, fmt.Errorf("llm: storing the CA key: %w", err)
	}
	if err := os.Rename(tmpCert, certPath); err != nil {
		os.Remove(keyPath)
		return nil, fmt.Errorf("llm: storing the CA certificate: %w", err)
	}
	return ca, nil
}

func writeTemp(dir string, data []byte, mode os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, ".ca-*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

func loadCA(keyPath, certPath string) (*CA, error) {
	fi, err := os.Lstat(keyPath)
	if err != nil {
		return nil, fmt.Errorf("llm: CA key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("llm: CA key %s is not a regular file", keyPath)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("llm: CA key %s may be read or written by group or others (mode %v); want 0600", keyPath, fi.Mode().Perm())
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("llm: CA key: %w", err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("llm: CA certificate: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("llm: CA key %s is not a PEM private key", keyPath)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("llm: CA key: %w", err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("llm: CA key %s is not an ECDSA key", keyPath)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("llm: CA certificate %s is not a PEM certificate", certPath)
	}
	ca, err := newCA(cb.Bytes, key)
	if err != nil {
		return nil, fmt.Errorf("llm: CA certificate: %w", err)
	}
	if !ca.cert.IsCA || !ca.cert.BasicConstraintsValid {
		return nil, fmt.Errorf("llm: %s is not a CA certificate", certPath)
	}
	if !key.PublicKey.Equal(ca.cert.PublicKey) {
		return nil, fmt.Errorf("llm: CA certificate %s does not belong to the key %s", certPath, keyPath)
	}
	if now := time.Now(); now.After(ca.cert.NotAfter) {
		return nil, fmt.Errorf("llm: CA certificate %s expired on %s; remove both files to make a new CA", certPath, ca.cert.NotAfter.Format(time.DateOnly))
	}
	return ca, nil
}

// CertPEM returns the CA certificate, PEM-encoded: the file a container's
// trust store is given. The caller must not modify it.
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// Certificate returns the parsed CA certificate. The caller must not
// modify it.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool returns a new certificate pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Leaf returns a certificate for host (a DNS name, or an IP literal), signed
// by the CA, from the cache or minted now. It never mints for a wildcard or
// an empty name. The caller must not modify the result.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || strings.ContainsAny(host, "*/ ") {
		return nil, fmt.Errorf("llm: no certificate for host %q", host)
	}
	now := ca.now()
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c := ca.leaves[host]; c != nil && now.Before(c.Leaf.NotAfter.Add(-ca.validity/4)) {
		return c, nil
	}
	c, err := ca.mint(host, now)
	if err != nil {
		return nil, err
	}
	if len(ca.leaves) >= maxLeaves {
		clear(ca.leaves)
	}
	ca.leaves[host] = c
	return c, nil
}

func (ca *CA) mint(host string, now time.Time) (*tls.Certificate, error) {
	key, serial, err := newKey()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(ca.validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// newKey returns a fresh P-256 key and a serial number for the certificate
// that will carry it.
func newKey() (*ecdsa.PrivateKey, *big.Int, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	return key, serial, nil
}

// randomSerial returns a positive 127-bit serial number.
func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}
