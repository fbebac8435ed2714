// Package llm is the LLM API proxy of IronCurtain's Docker Mode: the only
// way an agent in a container reaches a model provider, and the reason the
// agent never holds a real API key.
//
// The agent is given a fake key shaped like the provider's own
// ("sk-ant-api03-…", "sk-proj-…", "AIza…"), random per [Session]. The proxy
// lets a request through only if it goes to an allowlisted host, method
// and path, and carries exactly the session's fake key; it then puts the
// real key from the [ironcurtain.CredentialVault] in its place and
// forwards the request. Anything else is answered by the proxy itself —
// 403 with a short reason, 401 for a missing key — and never forwarded.
//
//	p, err := llm.New(llm.Options{
//		CADir: filepath.Join(home, ".ironcurtain", "ca"), // created once; key 0600
//		Vault: vault.FromEnv("ANTHROPIC_API_KEY"),
//		Audit: func(r llm.Record) { auditLog.Write(r) },
//	})
//	if err != nil { ... }
//	s, err := p.NewSession("job-42")
//	if err != nil { ... }
//	defer s.Close()
//	ln, err := proxy.ListenUnix("/run/ic/job-42/llm.sock") // mode 0600
//	if err != nil { ... }
//	go s.Serve(ctx, ln)
//	// In the container: ANTHROPIC_API_KEY=s.FakeKey("anthropic") and
//	// ANTHROPIC_BASE_URL=http://127.0.0.1:18080/anthropic, or
//	// HTTPS_PROXY=http://127.0.0.1:18080 with the CA in the trust store.
//
// # Two ways in
//
// As an HTTPS_PROXY, a Session answers CONNECT to a provider host on port
// 443 — and to nothing else — by terminating TLS with a certificate its
// [CA] mints for that host: ECDSA P-256, valid for a day, cached, and
// renewed when a quarter of its life is left. The SNI and every request's
// Host header must name the CONNECT host. The CA's certificate reaches the
// container's trust store as a mounted file (NODE_EXTRA_CA_CERTS,
// SSL_CERT_FILE, REQUESTS_CA_BUNDLE); its key never leaves the host.
//
// In base-URL mode an agent whose SDK takes a base URL sends plain HTTP to
// "/<provider>/<path>" (or a bare path that exactly one provider allows)
// over the container's loopback, which the bridge carries to the Session's
// socket; no TLS is needed inside the container.
//
// Both end in the same check, swap and forward, through an
// [net/http/httputil.ReverseProxy] that flushes every write, so a
// server-sent event stream reaches the agent event by event.
//
// # What is checked
//
// Paths are matched byte for byte, without decoding: a path with a
// percent-escape, an empty, "." or ".." segment, or a byte other than
// letters, digits and "-._~:@" is refused, so no upstream can read an
// allowed path differently. A key slot ([KeySlot]) present with anything
// but the fake key refuses the request, also when another slot holds the
// right one; query parameter names are compared without case. WebSocket
// upgrades, plain-HTTP proxying and CONNECT to any other host or port are
// refused.
//
// A request body is read whole (up to Options.MaxRequestBytes), must be
// uncompressed, valid UTF-8 JSON with no object repeating a key (equal but
// for case), and passes the provider's [BodyFilter]. The built-in filters
// ([AnthropicFilter], [OpenAIFilter], [GoogleFilter]) hold, per endpoint,
// a table of the fields the body may have, the content block types and
// the fields of each, and refuse (400, naming the field's JSON path)
// everything else: a field the table does not name — so a feature a
// provider adds stays closed until it is added here —, server-side tools
// (web search and fetch, code execution, computer use, file search, URL
// context, provider-side MCP connectors, under any name), blocks that
// replay their use, stored prompts and cached content. A string may hold
// a URL only in prose, which the model reads and the provider does not
// fetch from (message text, tool descriptions, tool inputs and results).
// Content the provider would fetch by URL — an Anthropic source of type
// "url", an OpenAI image_url or file_url, a Gemini fileUri outside the
// Files API — is forwarded only if Options.Egress ([EgressPolicy]) allows
// the URL, as the policy would judge the agent's own fetch of it;
// base64, text and file-id content need no such check. The body goes
// upstream byte for byte as it came.

// The real key is asked from the vault on every request and placed where
// the fake one was. Responses are asked for without compression (a gzip
// body is decoded anyway) and scanned: a real key echoed in a header or the
// body reaches the agent as a mask of the same length.
//
// # What is recorded
//
// One [Record] per request: session, provider, host, method, path, the
// names of the query parameters, status, bytes in and out, duration, the
// reason for a refusal and the body's field it names, and each URL the
// provider was asked to fetch, by field and host, with the judgement. Never a body, a header value, a query value or
// a key. Logged upstream errors have the real key masked, since an error
// may quote a URL whose query carries it.
package llm
