package llm

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// DefaultMaxRequestBytes caps a request body when Options.MaxRequestBytes
// is zero.
const DefaultMaxRequestBytes = 32 << 20

// Options configures a [Proxy]. Vault and one of CA and CADir are required;
// every other zero value is the safe default.
type Options struct {
	// CA signs the certificates of the hosts the proxy terminates TLS for.
	CA *CA
	// CADir, when CA is nil, is the directory of a CA kept across runs
	// ([LoadOrCreateCA]).
	CADir string
	// Providers are the APIs the agent may reach. Nil means
	// [DefaultProviders]; an empty non-nil slice allows nothing.
	Providers []Provider
	// Vault holds the real keys, by Provider.Credential. It is asked on
	// every request, so a rotated key takes effect at once.
	Vault ironcurtain.CredentialVault
	// Audit, if set, receives one Record per request, after the response
	// has ended (or the request was refused). It is called on the request's
	// goroutine and must not block for long. Records never hold bodies,
	// query values or keys.
	Audit func(Record)
	// Transport carries requests upstream. Nil means an http.Transport
	// with TLS 1.2 or later, HTTP/2, and the environment's proxy settings.
	// Tests point it at a local server.
	Transport http.RoundTripper
	// MaxRequestBytes caps a request body; a larger one is refused with
	// 413. Zero means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// Egress judges each URL a request body asks the provider to fetch
	// (content by URL); a request is forwarded only if it allows every
	// one. Nil refuses them all. See [EgressPolicy].
	Egress EgressPolicy
	// Logger receives operator diagnostics: upstream failures, failed
	// handshakes. Keys never appear in them. Nil means silent.
	Logger *slog.Logger
}

// Proxy is the LLM API proxy: the CA, the providers, the vault and the
// upstream connections that every [Session] shares. It serves nothing
// itself; each agent run gets a Session, with its own fake keys and its
// own listener.
//
// A Proxy is safe for concurrent use.
type Proxy struct {
	ca        *CA
	table     *table
	vault     ironcurtain.CredentialVault
	audit     func(Record)
	transport http.RoundTripper
	maxBody   int64
	egress    EgressPolicy
	log       *slog.Logger
	rp        *httputil.ReverseProxy
	serverLog *log.Logger // for the http.Servers' own messages
}

// New validates opts and returns a Proxy. It loads or creates the CA if
// opts.CADir is given.
func New(opts Options) (*Proxy, error) {
	if opts.Vault == nil {
		return nil, errors.New("llm: Options.Vault is required")
	}
	ca := opts.CA
	if ca == nil {
		if opts.CADir == "" {
			return nil, errors.New("llm: Options.CA or Options.CADir is required")
		}
		var err error
		if ca, err = LoadOrCreateCA(opts.CADir); err != nil {
			return nil, err
		}
	}
	providers := opts.Providers
	if providers == nil {
		providers = DefaultProviders()
	}
	t, err := newTable(providers)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		ca:        ca,
		table:     t,
		vault:     opts.Vault,
		audit:     opts.Audit,
		transport: opts.Transport,
		maxBody:   opts.MaxRequestBytes,
		egress:    opts.Egress,
		log:       opts.Logger,
	}
	if p.transport == nil {
		p.transport = defaultTransport()
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxRequestBytes
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      p.transport,
		FlushInterval:  -1, // server-sent events pass through as they come
		BufferPool:     buffers,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		// Its messages may quote upstream URLs, and with them a key in the
		// query; upstreamError and the audit record say what went wrong.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.serverLog = slog.NewLogLogger(p.log.Handler(), slog.LevelDebug)
	return p, nil
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// CA returns the proxy's certificate authority.
func (p *Proxy) CA() *CA { return p.ca }

// Providers returns the names of the providers the proxy serves, in the
// order given.
func (p *Proxy) Providers() []string {
	names := make([]string, len(p.table.providers))
	for i, pr := range p.table.providers {
		names[i] = pr.Name
	}
	return names
}

// Secrets returns every value the proxy's vault can hand out, so that a
// caller can keep real keys out of environments and logs.
func (p *Proxy) Secrets(ctx context.Context) ([]ironcurtain.Secret, error) {
	return p.vault.Secrets(ctx)
}

// Provider returns the named provider as configured, and whether the
// proxy serves it.
func (p *Proxy) Provider(name string) (Provider, bool) {
	pr := p.table.byName[name]
	if pr == nil {
		return Provider{}, false
	}
	out := pr.Provider
	out.Hosts = slices.Clone(out.Hosts)
	out.Endpoints = slices.Clone(out.Endpoints)
	out.Keys = slices.Clone(out.Keys)
	return out, true
}

// NewSession returns a session named name (for the audit log) with a
// fresh fake key per provider.
func (p *Proxy) NewSession(name string) (*Session, error) {
	s := &Session{
		proxy: p,
		name:  name,
		fake:  make(map[string]string, len(p.table.providers)),
		done:  make(chan struct{}),
	}
	for _, pr := range p.table.providers {
		k, err := newFakeKey(pr.FakeKey)
		if err != nil {
			return nil, fmt.Errorf("llm: making a fake key: %w", err)
		}
		s.fake[pr.Name] = k
	}
	s.inner = newInnerServer(s)
	return s, nil
}
