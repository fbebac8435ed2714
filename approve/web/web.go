// Package web serves an approval page for a person in a browser, on the
// loopback interface: the escalations an [approve.Broker] holds, with
// everything the policy judged, and buttons to approve once, approve with a
// grant for a time, or deny; the grants in force, with revoke. The page
// updates live (server-sent events) as calls arrive and are answered.
//
//	broker := approve.NewBroker(approve.BrokerOptions{})
//	page, err := web.New(broker, web.Options{})
//	if err != nil { ... }
//	defer page.Close()
//	fmt.Fprintln(os.Stderr, "approve at", page.URL())
//	// broker is the Chain's Human; once the grant store exists:
//	broker.SetGrants(grants)
//
// The page is guarded as follows. It listens only on a loopback address.
// Every request but the page's static script and style sheet must carry the
// random token printed in [Server.URL] (compared in constant time); every
// request must name the server's own address in its Host header, so a
// DNS-rebound name cannot reach it; every POST must come from the page's
// own Origin, carry the token and the page's CSRF token in headers, and be
// JSON. Responses forbid framing and referrers and set a
// Content-Security-Policy of default-src 'self' with no inline script; the
// script puts everything the agent influenced on the page as text (never
// as markup), and that text is already escaped by [approve.Present], so
// control and bidirectional characters show as escapes. An approval carries
// the digest of the arguments the page showed, and the broker refuses any
// other.
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain/approve"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every response.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// maxBody bounds a POST body.
const maxBody = 64 << 10

// Options configures a [Server].
type Options struct {
	// Addr is the loopback address to listen on. "" means 127.0.0.1 on a
	// free port. Any other address is refused.
	Addr string
	// Logger receives refused requests. Nil discards.
	Logger *slog.Logger
	// KeepAlive is how often the event stream sends a comment to keep the
	// connection open. Zero means 15s.
	KeepAlive time.Duration
}

// Server is a running approval page. Close it to stop.
type Server struct {
	broker    *approve.Broker
	ln        net.Listener
	srv       *http.Server
	token     [32]byte // SHA-256 of the token, compared in constant time
	rawToken  string
	csrf      string
	hosts     []string // Host header values accepted
	origins   []string // Origin header values accepted
	log       *slog.Logger
	keepAlive time.Duration
	index     []byte

	closeOnce sync.Once
	done      chan struct{}
}

// New listens on a loopback address and serves the page for b until Close.
func New(b *approve.Broker, opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("web: address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("web: address %q is not a loopback IP address; the approval page serves only this machine", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &Server{broker: b, ln: ln, log: opts.Logger, keepAlive: opts.KeepAlive, done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.keepAlive <= 0 {
		s.keepAlive = 15 * time.Second
	}
	s.rawToken = randomHex(32)
	s.token = sha256.Sum256([]byte(s.rawToken))
	s.csrf = randomHex(32)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ip := ln.Addr().(*net.TCPAddr).IP
	for _, h := range []string{net.JoinHostPort(ip.String(), port), "localhost:" + port} {
		s.hosts = append(s.hosts, h)
		s.origins = append(s.origins, "http://"+h)
	}
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.index = []byte(strings.Replace(string(page), "{{CSRF}}", s.csrf, 1))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.authed(s.servePage))
	mux.HandleFunc("GET /app.js", s.serveStatic("static/app.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /app.css", s.serveStatic("static/app.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /api/state", s.authed(s.serveState))
	mux.HandleFunc("GET /events", s.authed(s.serveEvents))
	mux.HandleFunc("POST /api/decide", s.posted(s.serveDecide))
	mux.HandleFunc("POST /api/revoke", s.posted(s.serveRevoke))
	s.srv = &http.Server{
		Handler:           s.guard(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// URL returns the page's address with its token, to be given to the person
// (printed at start).
func (s *Server) URL() string {
	return "http://" + s.hosts[0] + "/?token=" + s.rawToken
}

// Addr returns the address the page listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server and ends the event streams.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
	})
	return err
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	s.log.Warn("web approver: request refused", "method", r.Method, "path", r.URL.Path, "reason", why)
	http.Error(w, why, code)
}

// guard sets the security headers on every response and refuses a Host
// that is not the server's own.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !slices.Contains(s.hosts, r.Host) {
			s.refuse(w, r, http.StatusMisdirectedRequest, "unknown host")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenOK reports whether the request carries the token, in the header
// X-IronCurtain-Token or the query parameter token.
func (s *Server) tokenOK(r *http.Request) bool {
	t := r.Header.Get("X-IronCurtain-Token")
	if t == "" {
		t = r.URL.Query().Get("token")
	}
	sum := sha256.Sum256([]byte(t))
	return t != "" && subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
}

func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r) {
			s.refuse(w, r, http.StatusForbidden, "missing or wrong token: open the URL the approver printed at start")
			return
		}
		next(w, r)
	}
}

// posted guards a state-changing request: the token and the CSRF token in
// headers, the page's own Origin, a same-origin fetch, a JSON body.
func (s *Server) posted(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-IronCurtain-Token") == "" || !s.tokenOK(r) {
			s.refuse(w, r, http.StatusForbidden, "missing or wrong token")
			return
		}
		if c := r.Header.Get("X-IronCurtain-CSRF"); subtle.ConstantTimeCompare([]byte(c), []byte(s.csrf)) != 1 {
			s.refuse(w, r, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
		if !slices.Contains(s.origins, r.Header.Get("Origin")) {
			s.refuse(w, r, http.StatusForbidden, "cross-origin request")
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			s.refuse(w, r, http.StatusForbidden, "cross-site request")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			s.refuse(w, r, http.StatusUnsupportedMediaType, "the body must be application/json")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next(w, r)
	}
}

func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(s.index)
}

func (s *Server) serveStatic(name, contentType string) http.HandlerFunc {
	data, err := static.ReadFile(name)
	if err != nil {
		panic(err) // embedded; a build without it is broken
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(data)
	}
}

// state is what the page shows.
type state struct {
	Pending []approve.Pending   `json:"pending"`
	Grants  []approve.GrantInfo `json:"grants"`
}

func (s *Server) state() state {
	return state{Pending: s.broker.Pending(), Grants: s.broker.Grants()}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // escapes <, > and & as \u003c...
}

func (s *Server) serveState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.state())
}

// serveEvents streams the state as server-sent events: now, and after
// every change the broker announces.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	sub := s.broker.Subscribe()
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	send := func() bool {
		data, err := json.Marshal(s.state()) // one line: no newline in the encoding
		if err != nil {
			return false
		}
		_, err = fmt.Fprintf(w, "event: state\ndata: %s\n\n", data)
		fl.Flush()
		return err == nil
	}
	if !send() {
		return
	}
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return // fell behind: the browser reconnects and gets the state anew
			}
			// Coalesce a burst into one update.
			for drained := false; !drained; {
				select {
				case _, ok := <-sub.C:
					if !ok {
						return
					}
				default:
					drained = true
				}
			}
			if !send() {
				return
			}
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

type result struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Revoked bool   `json:"revoked,omitempty"`
}

func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the object")
	}
	return nil
}

func (s *Server) serveDecide(w http.ResponseWriter, r *http.Request) {
	var d approve.BrokerDecision
	if err := decodeStrict(r, &d); err != nil {
		writeJSON(w, http.StatusBadRequest, result{Error: "bad decision: " + err.Error()})
		return
	}
	if err := s.broker.Decide("web", d); err != nil {
		code := http.StatusConflict
		if !errors.Is(err, approve.ErrNoSuchEscalation) && !errors.Is(err, approve.ErrDigestMismatch) {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, result{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, result{OK: true})
}

func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID string `json:"id"`
	}
	if err := decodeStrict(r, &req); err != nil || req.ID == "" {
		writeJSON(w, http.StatusBadRequest, result{Error: "bad request: want {\"id\": ...}"})
		return
	}
	ok, err := s.broker.Revoke(req.ID)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, result{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, result{OK: true, Revoked: ok})
}
