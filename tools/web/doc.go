// Package web is the built-in web tool server, registered as "fetch"
// ([ServerName]), with two tools:
//
//   - http_fetch{url, headers?, max_length?=5000, format?=markdown|text|html,
//     timeout?=30}: GET a URL and return its status, key headers and content.
//   - web_search{query, max_results?=5}: ask the configured search provider
//     (Brave, Tavily, SerpApi or SearXNG) and return title, URL and snippet
//     of each result, the same way whatever the provider.
//
// The agent is hostile, so http_fetch is built to be pointed at anything:
//
//   - SSRF defence at connection time. The host is resolved by the server,
//     every address is checked with [CheckAddr] (loopback, private,
//     link-local, CGNAT, cloud metadata, multicast, reserved, documentation,
//     and IPv6 forms embedding any of them are refused), only checked
//     addresses are dialled, and the socket's Control hook checks the
//     address again right before connect. A DNS answer that changes between
//     lookups (rebinding) therefore gains nothing. [Options.AllowNetworks]
//     makes explicit exceptions; ports other than 80 and 443 need
//     [Options.AllowPorts]. Proxies from the environment are never used.
//   - Redirects are followed by hand, at most [Options.MaxRedirects] (5):
//     every hop passes the scheme, port and address checks again and the
//     [Options.CheckRedirect] policy hook; loops are reported.
//   - Requests: GET only, a fixed User-Agent, and the agent's headers
//     filtered: Host, credentials (Authorization, cookies, names containing
//     "auth", "token", "key", "secret", "session", ..., values carrying an
//     authorization scheme or a well-known token format), proxy, hop-by-hop
//     and method-override headers are dropped and the result names them.
//   - Responses: the decoded body is capped ([Options.MaxBodyBytes], 10
//     MiB; a gzip bomb stops at the cap), character sets are decoded to
//     UTF-8, HTML becomes Markdown of the main content (tables kept, data:
//     URIs dropped, links absolute), plain text, or stays raw HTML; other
//     text types are returned as they are and binary types are refused.
//     max_length truncates with a visible marker.
//
// A refusal or a network failure is a tool error the model reads, with a
// reason in IronCurtain's words that discloses no internal address, Go
// error text, certificate name or search provider message; that detail is
// the error's cause, which a Gate writes to the audit log only (see
// [ironcurtain.ErrorResultWithCause]). An HTTP error status of a fetched
// page is an ordinary result showing the status.
//
// Usage:
//
//	srv, err := web.New(web.Options{
//		Search: web.SearchConfig{Provider: "brave"},
//		Vault:  vault, // holds BRAVE_API_KEY
//		CheckRedirect: func(ctx context.Context, next *url.URL) error {
//			return judgeWithPolicy(ctx, next) // re-ask the policy engine
//		},
//	})
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	res, err := srv.Call(ctx, ironcurtain.ToolCall{
//		Server:    web.ServerName,
//		Tool:      web.ToolFetch,
//		Arguments: map[string]any{"url": "https://go.dev/doc/", "format": "markdown"},
//	})
package web
