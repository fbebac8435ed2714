package llm

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// fwd is the state of one request being forwarded, carried to the
// ReverseProxy's hooks in the request context.
type fwd struct {
	p        *provider
	host     string // the host the agent asked for
	path     string // the path to send upstream (clean)
	rawQuery string // the query to send upstream, key swapped
	real     string // the real key
	headers  []KeySlot
	failure  string // what went wrong after the request was let through
	status   int    // the status upstreamError answered with
}

type fwdKey struct{}

// forwardBase answers a request in base-URL mode.
func (s *Session) forwardBase(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	p, path, ref := s.proxy.table.classifyBase(r.Method, rawPath)
	rec := s.record(start, "base-url", r)
	if p != nil {
		rec.Provider = p.Name
		rec.Host = p.Hosts[0]
	}
	if path != "" {
		rec.Path = path
	}
	if ref != nil {
		s.finishRefused(w, &rec, ref)
		return
	}
	s.forward(w, r, &rec, p, p.Hosts[0], path)
}

// forwardTunnel answers a request inside a CONNECT tunnel.
func (s *Session) forwardTunnel(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	host, _ := r.Context().Value(tunnelHostKey{}).(string)
	rec := s.record(start, "connect", r)
	rec.Host = host
	if host == "" {
		s.finishRefused(w, &rec, refuse(http.StatusInternalServerError, "%v", errNoTunnel))
		return
	}
	if r.URL.Scheme != "" || r.URL.Host != "" || !hostMatches(r.Host, host) {
		s.finishRefused(w, &rec, refuse(http.StatusForbidden, "the request names a host other than the tunnel's (%s)", host))
		return
	}
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	p, ref := s.proxy.table.classifyTunnel(host, r.Method, rawPath)
	if p != nil {
		rec.Provider = p.Name
	}
	if ref != nil {
		s.finishRefused(w, &rec, ref)
		return
	}
	s.forward(w, r, &rec, p, host, rawPath)
}

// record starts the audit record of r.
func (s *Session) record(start time.Time, mode string, r *http.Request) Record {
	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	return Record{
		Time:    start,
		Session: s.name,
		Mode:    mode,
		Method:  printable(r.Method, 16),
		Path:    printable(rawPath, 256),
		Query:   queryNames(rawQuery),
	}
}

// forward checks the key, swaps it and sends the request upstream.
func (s *Session) forward(w http.ResponseWriter, r *http.Request, rec *Record, p *provider, host, path string) {
	px := s.proxy
	switch {
	case s.isClosed():
		s.finishRefused(w, rec, refuse(http.StatusForbidden, "the session is closed"))
		return
	case r.Header.Get("Upgrade") != "":
		s.finishRefused(w, rec, refuse(http.StatusForbidden, "protocol upgrades (WebSocket) are not allowed; use HTTP streaming"))
		return
	case r.ContentLength > px.maxBody:
		s.finishRefused(w, rec, refuse(http.StatusRequestEntityTooLarge, "the request body exceeds %d bytes", px.maxBody))
		return
	}
	_, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		s.finishRefused(w, rec, refuse(http.StatusBadRequest, "the query string is malformed"))
		return
	}
	switch checkKey(p, r.Header, query, s.fake[p.Name]) {
	case keyMissing:
		s.finishRefused(w, rec, refuse(http.StatusUnauthorized, "no API key: send the session's %s key", p.Name))
		return
	case keyWrong:
		s.finishRefused(w, rec, refuse(http.StatusForbidden, "wrong API key for %s", p.Name))
		return
	}
	secret, err := px.vault.Credential(r.Context(), p.Credential)
	if err != nil || secret.IsZero() {
		px.log.Warn("llm: credential unavailable", "provider", p.Name, "credential", p.Credential, "err", err)
		s.finishRefused(w, rec, refuse(http.StatusBadGateway, "the %s credential is not available", p.Name))
		return
	}
	if p.Filter != nil && r.Body != nil && r.ContentLength != 0 {
		body, stripped, egress, ref := s.filterBody(w, r, p, path)
		rec.Egress = egress
		if ref != nil {
			rec.Field = printable(ref.field, 256)
			s.finishRefused(w, rec, ref)
			return
		}
		rec.BytesIn = int64(len(body))
		rec.Stripped = stripped
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	st := &fwd{p: p, host: host, path: path, real: secret.Reveal()}
	for _, slot := range p.Keys {
		if slot.Header != "" && len(r.Header.Values(slot.Header)) > 0 {
			st.headers = append(st.headers, slot)
		}
	}
	st.rawQuery = swapQueryKey(rawQuery, p.Keys, st.real)

	body := &countingReader{rc: http.MaxBytesReader(w, r.Body, px.maxBody)}
	r.Body = body
	cw := &countingWriter{ResponseWriter: w}
	finish := func() {
		rec.Status = cw.status
		if st.status != 0 {
			rec.Status = st.status
		}
		rec.Error = st.failure
		if rec.BytesIn == 0 {
			rec.BytesIn = body.n
		}
		rec.BytesOut = cw.n
		rec.Duration = time.Since(rec.Time)
		px.emit(*rec)
	}
	defer func() {
		// A stream cut short after the headers went out ends the handler
		// with http.ErrAbortHandler; audit it, then let the server see it.
		if v := recover(); v != nil {
			if st.failure == "" {
				st.failure = "the response was cut short"
			}
			finish()
			panic(v)
		}
	}()
	px.rp.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), fwdKey{}, st)))
	finish()
}

// filterBody reads a request body whole, checks it is plain, well-formed
// JSON, passes it through the provider's filter and judges the URLs the
// provider would fetch.
func (s *Session) filterBody(w http.ResponseWriter, r *http.Request, p *provider, path string) ([]byte, []string, []EgressRecord, *refusal) {
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, nil, nil, refuse(http.StatusUnsupportedMediaType, "a compressed request body cannot be checked; send it uncompressed")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.proxy.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, nil, refuse(http.StatusRequestEntityTooLarge, "the request body exceeds %d bytes", s.proxy.maxBody)
		}
		return nil, nil, nil, refuse(http.StatusBadRequest, "the request body could not be read")
	}
	if err := checkJSON(body); err != nil {
		return nil, nil, nil, refuse(http.StatusBadRequest, "%v", err)
	}
	return filterRequest(r.Context(), p, path, body, s.proxy.egress)
}

// swapQueryKey replaces the value of every query parameter that is a key
// slot with the real key, leaving every other byte of the query as sent.
func swapQueryKey(rawQuery string, slots []KeySlot, real string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	for i, part := range parts {
		rawName, _, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			continue // ParseQuery already refused such a query
		}
		for _, slot := range slots {
			if slot.Query != "" && strings.EqualFold(name, slot.Query) {
				parts[i] = rawName + "=" + url.QueryEscape(real)
			}
		}
	}
	return strings.Join(parts, "&")
}

// rewrite builds the upstream request: target, key, and headers that must
// not travel.
func rewrite(pr *httputil.ProxyRequest) {
	st := pr.In.Context().Value(fwdKey{}).(*fwd)
	out := pr.Out
	u := &url.URL{Scheme: "https", Host: st.host, Path: st.path, RawQuery: st.rawQuery}
	if up := st.p.upstream; up != nil {
		u.Scheme, u.Host, u.Path = up.Scheme, up.Host, up.Path+st.path
	}
	out.URL = u
	out.Host = u.Host
	for _, slot := range st.p.Keys {
		if slot.Header != "" {
			out.Header.Del(slot.Header)
		}
	}
	for _, slot := range st.headers {
		v := st.real
		if slot.Scheme != "" {
			v = slot.Scheme + " " + v
		}
		out.Header.Set(slot.Header, v)
	}
	out.Header.Del("Proxy-Authorization")
	out.Header.Del("Proxy-Connection")
	out.Header.Del("Cookie")
	// Ask for an unencoded body so that the key scan below sees plain bytes.
	out.Header.Set("Accept-Encoding", "identity")
}

// modifyResponse decodes a gzip body the upstream sent anyway and removes
// the real key from headers and body.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	st, _ := resp.Request.Context().Value(fwdKey{}).(*fwd)
	if st == nil {
		return errors.New("llm: response without request state")
	}
	switch enc := strings.ToLower(resp.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("upstream gzip body: %w", err)
		}
		resp.Body = &gzipBody{Reader: zr, rc: resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
	default:
		return fmt.Errorf("upstream sent Content-Encoding %q, which the proxy cannot scan", enc)
	}
	for name, vs := range resp.Header {
		for i, v := range vs {
			if strings.Contains(v, st.real) {
				vs[i] = strings.ReplaceAll(v, st.real, mask(len(st.real)))
				p.log.Warn("llm: upstream echoed the real key in a response header; redacted", "provider", st.p.Name, "header", name)
			}
		}
	}
	resp.Body = newRedactor(resp.Body, st.real)
	return nil
}

type gzipBody struct {
	*gzip.Reader
	rc io.Closer
}

func (g *gzipBody) Close() error {
	g.Reader.Close()
	return g.rc.Close()
}

// upstreamError answers a request the upstream could not serve.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	st, _ := r.Context().Value(fwdKey{}).(*fwd)
	msg := err.Error()
	if st != nil && st.real != "" {
		// A url.Error quotes the URL, and with it a key in the query.
		msg = strings.ReplaceAll(msg, st.real, mask(len(st.real)))
	}
	status, reason := http.StatusBadGateway, "the upstream API could not be reached"
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		status, reason = http.StatusRequestEntityTooLarge, "the request body is too large"
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		status, reason = 499, "the client went away"
	default:
		p.log.Warn("llm: upstream request failed", "err", msg)
	}
	if st != nil {
		st.status, st.failure = status, reason
	}
	if status != 499 {
		writeRefusal(w, status, reason)
	}
}

// finishRefused answers a request the proxy refuses itself and audits it.
func (s *Session) finishRefused(w http.ResponseWriter, rec *Record, ref *refusal) {
	writeRefusal(w, ref.status, ref.reason)
	rec.Status = ref.status
	rec.Refused = ref.reason
	rec.Duration = time.Since(rec.Time)
	s.proxy.emit(*rec)
}

func (s *Session) refuseOuter(w http.ResponseWriter, r *http.Request, mode string, ref *refusal) {
	rec := s.record(time.Now(), mode, r)
	rec.Host = printable(r.URL.Host, 256)
	s.finishRefused(w, &rec, ref)
}

func (s *Session) refuseConnect(w http.ResponseWriter, r *http.Request, start time.Time, host string, ref *refusal) {
	rec := Record{Time: start, Session: s.name, Mode: "connect", Method: http.MethodConnect, Host: host}
	if host == "" {
		rec.Host = printable(r.Host, 256)
	}
	s.finishRefused(w, &rec, ref)
}

// RefusalHeader is set on every response the proxy writes itself, so that
// a client (and a test) can tell a refusal from an upstream's answer.
const RefusalHeader = "X-Ironcurtain-Refused"

func writeRefusal(w http.ResponseWriter, status int, reason string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(RefusalHeader, "1")
	w.WriteHeader(status)
	io.WriteString(w, "ironcurtain: "+reason+"\n")
}

// countingReader counts the request body bytes read.
type countingReader struct {
	rc io.ReadCloser
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

// countingWriter counts the response body bytes written and keeps the
// status. Flushes reach the underlying writer through Unwrap.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 && code >= 200 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
