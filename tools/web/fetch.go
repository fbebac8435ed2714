package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// defaultAccept asks for what http_fetch can return, when the agent does
// not say.
const defaultAccept = "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5"

// Argument limits of http_fetch.
const (
	defaultMaxLength = 5000
	maxURLLength     = 8192
)

// fetchArgs is the arguments of http_fetch, and its input schema. The
// schema's maxLength of url counts characters; maxURLLength, checked too,
// bounds its bytes.
type fetchArgs struct {
	URL       string            `json:"url" desc:"The http or https URL to fetch." schema:"maxLength=8192"`
	Headers   map[string]string `json:"headers,omitempty" desc:"Extra request headers. Host, User-Agent, credentials, cookies and proxy headers are dropped."`
	MaxLength *float64          `json:"max_length,omitempty" schema:"minimum=1,default=5000" desc:"Maximum number of characters of content to return; longer content is truncated with a marker."`
	Format    string            `json:"format,omitempty" schema:"enum=markdown|text|html,default=markdown" desc:"How to return an HTML page."`
	Timeout   *float64          `json:"timeout,omitempty" schema:"minimum=1,maximum=60,default=30" desc:"Time limit in seconds for the whole fetch."`
}

// fetchRequest is a validated http_fetch call.
type fetchRequest struct {
	url       *url.URL
	header    http.Header
	dropped   []DroppedHeader
	maxLength int
	format    string
	timeout   time.Duration
}

// refusal is a tool error with the text the agent reads. cause, if set, is
// what it was made from, for the audit log only; it is not in the refusal's
// chain, so that nothing in it can change how the refusal is described.
type refusal struct {
	msg   string
	cause error
}

func (r *refusal) Error() string { return r.msg }

func refusef(format string, a ...any) error { return &refusal{msg: fmt.Sprintf(format, a...)} }

// parseFetchArgs checks what the schema, already checked, cannot say.
func (s *Server) parseFetchArgs(in fetchArgs) (*fetchRequest, error) {
	req := &fetchRequest{maxLength: defaultMaxLength, format: "markdown", timeout: s.cfg.timeout}
	if in.URL == "" {
		return nil, refusef("argument \"url\" is required")
	}
	if len(in.URL) > maxURLLength {
		return nil, refusef("argument \"url\" is longer than %d bytes", maxURLLength)
	}
	u, err := url.Parse(in.URL)
	if err != nil {
		return nil, refusef("argument \"url\" is not a valid URL")
	}
	if err := s.checkURL(u); err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	req.url = u
	if in.MaxLength != nil {
		v := *in.MaxLength
		if v != math.Trunc(v) {
			return nil, refusef("argument \"max_length\" must be a whole number of at least 1")
		}
		req.maxLength = int(min(v, math.MaxInt32))
	}
	if in.Format != "" {
		req.format = in.Format
	}
	if in.Timeout != nil {
		req.timeout = min(time.Duration(*in.Timeout*float64(time.Second)), s.cfg.maxTimeout)
	}
	req.header, req.dropped = filterHeaders(in.Headers)
	return req, nil
}

// checkURL applies the checks every hop must pass before it is dialled:
// scheme, credentials in the URL, host, port, and the address when the host
// is an IP literal.
func (s *Server) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return refusef("only http and https URLs can be fetched, not %q", shorten(u.Scheme, 20))
	}
	if u.Opaque != "" || u.Host == "" {
		return refusef("the URL has no host")
	}
	if u.User != nil {
		return refusef("URLs with user names or passwords are refused")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return refusef("the URL's port is not valid")
	}
	if !s.cfg.portAllowed(uint16(n)) {
		return refusef("refused: port %d is not allowed; only ports 80 and 443 (and ports the operator allowed) can be fetched", n)
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := s.cfg.allow.check(a); err != nil {
			return err
		}
	}
	return nil
}

// fetch is the http_fetch handler.
func (s *Server) fetch(ctx context.Context, args fetchArgs) (ironcurtain.Result, error) {
	req, err := s.parseFetchArgs(args)
	if err != nil {
		return ironcurtain.Result{}, fetchFailure(err)
	}
	callCtx, cancel := context.WithTimeout(ctx, req.timeout)
	defer cancel()
	res, err := s.do(callCtx, req)
	if err != nil {
		if ctx.Err() != nil {
			return ironcurtain.Result{}, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) || callCtx.Err() != nil {
			err = &refusal{msg: fmt.Sprintf("timed out after %v", req.timeout), cause: err}
		}
		return ironcurtain.Result{}, fetchFailure(err)
	}
	return res.result(req), nil
}

// fetched is what do learnt: the hops, the final response and its body.
type fetched struct {
	hops  []*url.URL // every URL requested, the first is the agent's
	resp  *http.Response
	page  string // the formatted content
	title string
}

func (f *fetched) final() *url.URL { return f.hops[len(f.hops)-1] }

// do follows redirects hop by hop, each hop checked (scheme, port,
// address literal, policy hook; the dialer checks the resolved address),
// then reads and formats the body of the final response.
func (s *Server) do(ctx context.Context, req *fetchRequest) (*fetched, error) {
	f := &fetched{}
	visited := map[string]bool{}
	u := req.url
	for {
		f.hops = append(f.hops, u)
		visited[u.String()] = true
		resp, err := s.roundTrip(ctx, u, req.header)
		if err != nil {
			return f, err
		}
		next, err := redirectTarget(resp, u)
		if err != nil {
			resp.Body.Close()
			return f, err
		}
		if next == nil {
			f.resp = resp
			break
		}
		// Drain a little so the connection can be reused, then move on.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
		if len(f.hops) > s.cfg.maxRedirects {
			return f, refusef("stopped after %d redirects: the limit is %d", len(f.hops)-1, s.cfg.maxRedirects)
		}
		if visited[next.String()] {
			return f, refusef("redirect loop: %s redirects back to %s, already visited", shorten(u.String(), 200), shorten(next.String(), 200))
		}
		if err := s.checkURL(next); err != nil {
			return f, &hopError{next, err}
		}
		if s.cfg.checkRedirect != nil {
			if err := s.cfg.checkRedirect(ctx, cloneURL(next)); err != nil {
				return f, &hopError{next, policyRefusal(err)}
			}
		}
		u = next
	}
	defer f.resp.Body.Close()
	return f, s.readBody(ctx, f, req)
}

func (s *Server) roundTrip(ctx context.Context, u *url.URL, header http.Header) (*http.Response, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, refusef("the URL %s cannot be requested", shorten(u.String(), 200))
	}
	r.Header = header.Clone()
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", defaultAccept)
	}
	r.Header.Set("User-Agent", s.cfg.userAgent) // last, so nothing overrides it
	resp, err := s.client.Do(r)
	if err != nil {
		return nil, &hopError{u, err}
	}
	return resp, nil
}

// redirectTarget returns where a redirect response points, or nil when resp
// is not a redirect to follow.
func redirectTarget(resp *http.Response, from *url.URL) (*url.URL, error) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, nil
	}
	next, err := from.Parse(loc)
	if err != nil || len(loc) > maxURLLength {
		return nil, refusef("the server redirected to an invalid URL")
	}
	next.Fragment, next.RawFragment = "", ""
	return next, nil
}

// bodyError is a failure while reading the final response's body.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "reading the response: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// hopError ties a failure to the URL of the hop it happened on.
type hopError struct {
	url *url.URL
	err error
}

func (e *hopError) Error() string { return shorten(e.url.String(), 200) + ": " + e.err.Error() }
func (e *hopError) Unwrap() error { return e.err }

// policyRefusal turns a CheckRedirect error into what the agent may read.
func policyRefusal(err error) error {
	var de *ironcurtain.DeniedError
	if errors.As(err, &de) {
		return &refusal{msg: "the redirect was refused by policy: " + de.AgentMessage(), cause: err}
	}
	return &refusal{msg: "the redirect was refused by policy", cause: err}
}

func cloneURL(u *url.URL) *url.URL {
	c := *u
	if u.User != nil {
		user := *u.User
		c.User = &user
	}
	return &c
}

// fetchFailure is the tool error of a failed fetch: describeError's text for
// the agent, and err, which holds what the text leaves out, for the audit
// log. A refusal is in IronCurtain's words already: its cause, if any, is
// the only thing the audit log learns from it.
func fetchFailure(err error) *toolset.Error {
	e := &toolset.Error{Public: "http_fetch: " + describeError(err), Cause: err}
	var r *refusal
	if errors.As(err, &r) {
		e.Cause = r.cause
	}
	return e
}

// describeError renders a failure for the agent without leaking internal
// addresses, resolver details, certificate names, Go's error text or the
// CheckRedirect hook's own text.
func describeError(err error) string {
	var (
		r   *refusal
		ae  *AddrError
		pe  *portError
		re  *resolveError
		hop *hopError
	)
	prefix := ""
	if errors.As(err, &hop) {
		prefix = shorten(hop.url.String(), 200) + ": "
	}
	switch {
	case errors.As(err, &ae):
		return prefix + "refused: the host is " + ae.Describe() + "; internal and non-public addresses cannot be fetched"
	case errors.As(err, &pe):
		return prefix + "refused: " + strings.TrimPrefix(pe.Error(), "web: ")
	case errors.As(err, &r):
		return prefix + r.msg
	case errors.As(err, &re):
		return prefix + re.Describe()
	case errors.Is(err, context.DeadlineExceeded):
		return prefix + "timed out"
	}
	stage := "request failed"
	var (
		op   *net.OpError
		body *bodyError
	)
	switch {
	case errors.As(err, &body):
		stage = "reading the response failed"
	case errors.As(err, &op) && op.Op == "dial":
		stage = "could not connect"
	}
	if reason := netReason(err); reason != "" {
		return prefix + stage + ": " + reason
	}
	return prefix + stage
}

// shorten cuts s to at most n bytes, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
