package web

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/ironcurtain-go/ironcurtain"
)

// Defaults applied by [New] to zero fields of [Options].
const (
	// DefaultMaxBodyBytes caps a response body: 10 MiB.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultTimeout bounds a fetch when the agent gives no timeout.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxTimeout is the longest timeout the agent may ask for.
	DefaultMaxTimeout = 60 * time.Second
	// DefaultMaxRedirects is how many redirects one fetch follows.
	DefaultMaxRedirects = 5
	// DefaultSearchTimeout bounds one search request.
	DefaultSearchTimeout = 15 * time.Second
)

// maxRedirectsLimit bounds Options.MaxRedirects: a longer chain is not a
// configuration anyone needs.
const maxRedirectsLimit = 20

// Resolver looks up the addresses of a host name. *net.Resolver implements
// it. LookupNetIP must honour ctx and be safe for concurrent use; network is
// "ip", "ip4" or "ip6". The returned slice is not retained.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a [Server]. The zero value is valid and least
// privileged: public addresses on ports 80 and 443 only, no search provider,
// the defaults below for every limit.
type Options struct {
	// MaxBodyBytes caps the decoded response body http_fetch reads; a larger
	// response is refused, and the read stops one byte past the cap. Zero
	// means DefaultMaxBodyBytes (10 MiB).
	MaxBodyBytes int64

	// Timeout bounds one http_fetch call (every redirect hop and the body
	// read) when the agent gives no timeout. Zero means DefaultTimeout
	// (30 s), or MaxTimeout when that is lower.
	Timeout time.Duration
	// MaxTimeout caps the timeout the agent may ask for; larger requests are
	// lowered to it. Zero means DefaultMaxTimeout (60 s, the tool's schema
	// limit). Timeout must not exceed it.
	MaxTimeout time.Duration

	// UserAgent is sent with every fetch; the agent cannot override it. Empty
	// means "IronCurtain-Go/<module version> (+contained AI agent)".
	UserAgent string

	// AllowNetworks are explicit exceptions to the SSRF defence: addresses in
	// them may be dialled although [CheckAddr] refuses them. A cloud metadata
	// address is opened only by a prefix that lies inside the metadata range
	// (169.254.169.254/32 itself), never by a wider one such as
	// 169.254.0.0/16. Empty means none.
	AllowNetworks []netip.Prefix
	// AllowPorts are ports http_fetch may connect to besides 80 and 443.
	// Empty means none.
	AllowPorts []uint16

	// Resolver resolves host names for http_fetch. Nil means
	// net.DefaultResolver. Whatever it answers, the address actually dialled
	// is checked again when the socket connects.
	Resolver Resolver

	// CheckRedirect judges every redirect hop before it is followed, after
	// the scheme, port and address checks; the application wires it to its
	// policy engine so that a redirect is judged like the URL the agent gave.
	// A nil error follows the hop; an error refuses it and ends the call with
	// a tool error. The agent is shown the AgentMessage of an
	// *ironcurtain.DeniedError and a generic refusal for any other error,
	// whose text stays with the operator. next is a copy the hook may keep.
	// Nil means no policy check on redirects. It must be safe for concurrent
	// use.
	CheckRedirect func(ctx context.Context, next *url.URL) error
	// MaxRedirects caps the redirects one fetch follows. Zero means
	// DefaultMaxRedirects (5); a negative value follows none. At most 20.
	MaxRedirects int

	// RootCAs verifies servers' certificates. Nil means the system roots.
	RootCAs *x509.CertPool

	// Search configures web_search. The zero value configures no provider,
	// and web_search then answers with a tool error.
	Search SearchConfig
	// Vault holds the search provider's API key. It is required when the
	// provider needs a key.
	Vault ironcurtain.CredentialVault
}

// SearchConfig selects and configures the web_search provider. Provider,
// base URL and credential name are operator configuration, never agent
// input, so provider requests use their own HTTP client without the SSRF
// defence: a self-hosted SearXNG on a private address works.
type SearchConfig struct {
	// Provider is "brave", "tavily", "serpapi" or "searxng"; empty means
	// none.
	Provider string
	// BaseURL overrides the provider's API endpoint root (for tests, or a
	// compatible proxy). Empty means the provider's public API
	// (https://api.search.brave.com, https://api.tavily.com,
	// https://serpapi.com); SearXNG has none and requires it.
	BaseURL string
	// Credential names the API key in Options.Vault. Empty means
	// "BRAVE_API_KEY", "TAVILY_API_KEY" or "SERPAPI_API_KEY". SearXNG needs
	// no key; when Credential is set, the key is sent as a bearer token (for
	// an instance behind an authenticating proxy).
	Credential string
	// Timeout bounds one search request. Zero means DefaultSearchTimeout
	// (15 s).
	Timeout time.Duration
}

// config is Options after defaults and validation; it is never modified.
type config struct {
	maxBody       int64
	timeout       time.Duration
	maxTimeout    time.Duration
	userAgent     string
	allow         allowList
	ports         []uint16
	resolver      Resolver
	checkRedirect func(context.Context, *url.URL) error
	maxRedirects  int
	rootCAs       *x509.CertPool
	search        *searchConfig
	vault         ironcurtain.CredentialVault
}

func (o Options) config() (*config, error) {
	c := &config{
		maxBody:       o.MaxBodyBytes,
		timeout:       o.Timeout,
		maxTimeout:    o.MaxTimeout,
		userAgent:     o.UserAgent,
		resolver:      o.Resolver,
		checkRedirect: o.CheckRedirect,
		maxRedirects:  o.MaxRedirects,
		rootCAs:       o.RootCAs,
		vault:         o.Vault,
	}
	switch {
	case c.maxBody < 0:
		return nil, errors.New("web: MaxBodyBytes is negative")
	case c.maxBody == 0:
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.timeout < 0 || c.maxTimeout < 0 {
		return nil, errors.New("web: negative timeout")
	}
	if c.maxTimeout == 0 {
		c.maxTimeout = DefaultMaxTimeout
	}
	if c.timeout == 0 {
		c.timeout = min(DefaultTimeout, c.maxTimeout)
	}
	if c.timeout > c.maxTimeout {
		return nil, fmt.Errorf("web: Timeout %v exceeds MaxTimeout %v", c.timeout, c.maxTimeout)
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent()
	}
	if !httpguts.ValidHeaderFieldValue(c.userAgent) {
		return nil, errors.New("web: UserAgent is not a valid header value")
	}
	for _, p := range o.AllowNetworks {
		if !p.IsValid() {
			return nil, fmt.Errorf("web: invalid prefix %v in AllowNetworks", p)
		}
		c.allow = append(c.allow, p.Masked())
	}
	c.ports = append([]uint16{80, 443}, o.AllowPorts...)
	if slices.Contains(c.ports, 0) {
		return nil, errors.New("web: port 0 in AllowPorts")
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	switch {
	case c.maxRedirects > maxRedirectsLimit:
		return nil, fmt.Errorf("web: MaxRedirects %d is over %d", c.maxRedirects, maxRedirectsLimit)
	case c.maxRedirects == 0:
		c.maxRedirects = DefaultMaxRedirects
	case c.maxRedirects < 0:
		c.maxRedirects = 0
	}
	s, err := o.Search.config(o.Vault)
	if err != nil {
		return nil, err
	}
	c.search = s
	return c, nil
}

func (c *config) portAllowed(port uint16) bool { return slices.Contains(c.ports, port) }

// defaultUserAgent names this module and its version as the build recorded
// it ("dev" when it is not known, as in tests).
func defaultUserAgent() string {
	const mod = "github.com/ironcurtain-go/ironcurtain"
	version := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == mod && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == mod && d.Version != "" {
				version = d.Version
			}
		}
	}
	return "IronCurtain-Go/" + version + " (+contained AI agent)"
}
