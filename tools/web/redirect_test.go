package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// redirector redirects every request to the URL its handler computes.
func redirector(code int, to func(r *http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", to(r))
		w.WriteHeader(code)
	}
}

func TestRedirectToAllowedHost(t *testing.T) {
	dest, destPort := newSite(t, content("text/plain", "arrived"))
	var mu sync.Mutex
	var judged []string
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			src, srcPort := newSite(t, redirector(code, func(*http.Request) string { return dest.URL + "/landing#frag" }))
			s := newLocal(t, Options{CheckRedirect: func(_ context.Context, next *url.URL) error {
				mu.Lock()
				defer mu.Unlock()
				judged = append(judged, next.String())
				return nil
			}}, srcPort, destPort)
			res, out := fetchOK(t, s, map[string]any{"url": src.URL + "/start"})
			require.Equal(t, 200, out.Status)
			require.Equal(t, "arrived", out.Body)
			require.Equal(t, dest.URL+"/landing", out.URL, "fragment dropped, final URL reported")
			require.Equal(t, []string{dest.URL + "/landing"}, out.Redirects)
			require.Contains(t, res.Text(), "Redirected from: "+src.URL+"/start (1 redirects)")
		})
	}
	require.Len(t, judged, 5, "the policy hook judged every hop")
}

// A redirect to an internal address is refused at the hop, whatever form
// the address takes, although the first host was explicitly allowed.
func TestRedirectToPrivateAddress(t *testing.T) {
	targets := []string{
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/",
		"http://127.0.0.2/",          // loopback, but outside the allowed 127.0.0.1/32
		"http://[::ffff:127.0.0.2]/", // the same, IPv4-mapped
		"http://[64:ff9b::7f00:2]/",  // the same, through NAT64
		"http://[::1]/",              // IPv6 loopback
		"http://192.168.1.1:8080/",   // private and a refused port
		"http://100.100.100.200/",    // Alibaba metadata
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			hooked := false
			src, port := newSite(t, redirector(http.StatusFound, func(*http.Request) string { return target }))
			s, err := New(Options{
				AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
				AllowPorts:    []uint16{port},
				CheckRedirect: func(context.Context, *url.URL) error { hooked = true; return nil },
			})
			require.NoError(t, err)
			defer s.Close()
			msg := fetchErr(t, s, map[string]any{"url": src.URL})
			require.Contains(t, msg, "refused")
			require.False(t, hooked, "structural checks run before the policy hook")
		})
	}
}

func TestRedirectRefusedByPolicy(t *testing.T) {
	dest, destPort := newSite(t, content("text/plain", "never"))
	src, srcPort := newSite(t, redirector(http.StatusFound, func(*http.Request) string { return dest.URL + "/x" }))
	tests := []struct {
		name, want, notWant string
		err                 error
	}{
		{
			name: "denied error shows its agent message",
			err: &ironcurtain.DeniedError{
				Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "r1", Reason: "that host is not on the list"},
				Cause:    errors.New("internal: /etc/policy.json line 3"),
			},
			want:    "the redirect was refused by policy: DENIED: that host is not on the list",
			notWant: "/etc/policy.json",
		},
		{
			name:    "other errors stay with the operator",
			err:     errors.New("policy engine crashed at /srv/engine.go:12"),
			want:    "the redirect was refused by policy",
			notWant: "/srv/engine.go",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newLocal(t, Options{CheckRedirect: func(context.Context, *url.URL) error { return tc.err }}, srcPort, destPort)
			msg := fetchErr(t, s, map[string]any{"url": src.URL})
			require.Contains(t, msg, tc.want)
			require.Contains(t, msg, dest.URL+"/x", "the refused hop is named")
			require.NotContains(t, msg, tc.notWant)
		})
	}
}

func TestRedirectLoop(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := map[string]string{"/a": "/b", "/b": "/a"}[r.URL.Path]
		http.Redirect(w, r, next, http.StatusFound)
	}))
	s := newLocal(t, Options{}, port)
	msg := fetchErr(t, s, map[string]any{"url": site.URL + "/a"})
	require.Contains(t, msg, "redirect loop")
	require.Contains(t, msg, site.URL+"/a, already visited")
}

// chain redirects /n to /n-1 until /0, which answers.
func chain(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
	if n == 0 {
		_, _ = w.Write([]byte("end of chain"))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%d", n-1), http.StatusFound)
}

func TestRedirectCap(t *testing.T) {
	site, port := newSite(t, http.HandlerFunc(chain))
	t.Run("default five are followed", func(t *testing.T) {
		s := newLocal(t, Options{}, port)
		_, out := fetchOK(t, s, map[string]any{"url": site.URL + "/5"})
		require.Equal(t, "end of chain", out.Body)
		require.Len(t, out.Redirects, 5)
	})
	t.Run("the sixth is refused", func(t *testing.T) {
		s := newLocal(t, Options{}, port)
		msg := fetchErr(t, s, map[string]any{"url": site.URL + "/6"})
		require.Contains(t, msg, "stopped after 5 redirects: the limit is 5")
	})
	t.Run("configured cap", func(t *testing.T) {
		s := newLocal(t, Options{MaxRedirects: 2}, port)
		require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL + "/3"}), "the limit is 2")
	})
	t.Run("no redirects", func(t *testing.T) {
		s := newLocal(t, Options{MaxRedirects: -1}, port)
		require.Contains(t, fetchErr(t, s, map[string]any{"url": site.URL + "/1"}), "the limit is 0")
	})
}

func TestRedirectToOtherSchemes(t *testing.T) {
	for _, target := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://x/", "javascript:alert(1)", "http://user:pw@example.com/"} {
		t.Run(target, func(t *testing.T) {
			site, port := newSite(t, redirector(http.StatusFound, func(*http.Request) string { return target }))
			s := newLocal(t, Options{}, port)
			msg := fetchErr(t, s, map[string]any{"url": site.URL})
			require.Regexp(t, "only http and https|user names or passwords|no host", msg)
		})
	}
}

// A 3xx without Location, and statuses that are not followed, come back as
// results.
func TestRedirectStatusesNotFollowed(t *testing.T) {
	for _, code := range []int{300, 304} {
		site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(code)
		}))
		s := newLocal(t, Options{}, port)
		_, out := fetchOK(t, s, map[string]any{"url": site.URL})
		require.Equal(t, code, out.Status)
	}
	site, port := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusFound) }))
	s := newLocal(t, Options{}, port)
	_, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Equal(t, http.StatusFound, out.Status)
}
