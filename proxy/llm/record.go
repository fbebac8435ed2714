package llm

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Record is the audit record of one request the proxy received: where it
// was going, what came of it, how much travelled. It never holds a body, a
// header value, a query value or a key.
type Record struct {
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Session is the session's name.
	Session string `json:"session,omitempty"`
	// Mode is "connect" (inside an HTTPS_PROXY tunnel, or the CONNECT
	// itself when refused) or "base-url".
	Mode string `json:"mode"`
	// Provider names the provider the request was for, if known.
	Provider string `json:"provider,omitempty"`
	// Host is the API host, Method and Path the request's (printable ASCII,
	// truncated), Query the names of its query parameters, sorted.
	Host   string   `json:"host,omitempty"`
	Method string   `json:"method"`
	Path   string   `json:"path,omitempty"`
	Query  []string `json:"query,omitempty"`
	// Status is the status the agent received.
	Status int `json:"status"`
	// Refused is the reason the proxy refused the request itself; such a
	// request was never forwarded.
	Refused string `json:"refused,omitempty"`
	// Field is the JSON path of the request body's field the proxy
	// refused the request for (a URL the provider would fetch, a
	// connector), if that was the reason.
	Field string `json:"field,omitempty"`
	// Stripped names what the provider's BodyFilter removed from the
	// request (the built-in filters refuse rather than strip).
	Stripped []string `json:"stripped,omitempty"`
	// Egress holds the judgement of each URL the body asked the provider
	// to fetch, up to the first refused.
	Egress []EgressRecord `json:"egress,omitempty"`
	// Error says what went wrong with a request that was let through: the
	// upstream could not be reached, the client went away, the response
	// was cut short.
	Error string `json:"error,omitempty"`
	// BytesIn and BytesOut count the request and response bodies.
	BytesIn  int64 `json:"bytesIn"`
	BytesOut int64 `json:"bytesOut"`
	// Duration is how long the request took, to the end of the response.
	Duration time.Duration `json:"duration"`
}

func (p *Proxy) emit(r Record) {
	if p.audit != nil {
		p.audit(r)
	}
}

// queryNames returns the sorted, distinct names of the parameters of a raw
// query, printable and truncated; values are dropped.
func queryNames(rawQuery string) []string {
	if rawQuery == "" {
		return nil
	}
	var names []string
	for part := range strings.SplitSeq(rawQuery, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if name = printable(name, 64); name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
		if len(names) == 32 {
			break
		}
	}
	slices.Sort(names)
	return names
}

// printable keeps the printable ASCII of s, at most max bytes of it.
func printable(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			clean = false
			break
		}
	}
	if !clean {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x20 && s[i] < 0x7f {
				b.WriteByte(s[i])
			} else {
				b.WriteByte('?')
			}
		}
		s = b.String()
	}
	if len(s) > max {
		s = s[:max]
	}
	return s
}
