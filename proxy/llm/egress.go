package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// EgressPolicy judges a URL a request body asks the provider to fetch (an
// image, a document or a file by URL) as if the agent fetched it itself:
// nil allows it, an error refuses the request and its text says why. The
// provider's machines would fetch the URL, past the Gate, so it must be
// judged as the Gate would judge the agent's own fetch of it (an
// http_fetch call) and recorded as such.
//
// field is the JSON path of the URL in the body. It is called on the
// request's goroutine, once per URL, before anything is forwarded; it must
// be safe for concurrent use. A nil EgressPolicy refuses every such URL.
type EgressPolicy func(ctx context.Context, field string, u *url.URL) error

// EgressRecord is the judgement of one URL a request asked the provider to
// fetch.
type EgressRecord struct {
	// Field is the URL's JSON path in the body.
	Field string `json:"field"`
	// Host is the URL's host; the rest of the URL, which may carry data,
	// is not recorded here (the EgressPolicy records what it judged).
	Host string `json:"host"`
	// Allowed reports whether the policy allowed it.
	Allowed bool `json:"allowed"`
}

// errNoEgress refuses a fetch when no EgressPolicy is set.
var errNoEgress = errors.New("no egress policy allows it")

// filterRequest runs the provider's filter on a body the proxy has
// checked, and judges the URLs it would have the provider fetch. It
// returns the body to forward, what was stripped and the judgements.
func filterRequest(ctx context.Context, p *provider, path string, body []byte, egress EgressPolicy) ([]byte, []string, []EgressRecord, *refusal) {
	res, err := p.Filter(path, body)
	if err != nil {
		ref := refuse(http.StatusBadRequest, "%v", err)
		var fe *FieldError
		if errors.As(err, &fe) {
			ref.field = fe.Path
		}
		return nil, nil, nil, ref
	}
	var recs []EgressRecord
	for _, ft := range res.Fetches {
		if ft.URL == nil {
			return nil, nil, recs, &refusal{status: http.StatusBadRequest, reason: ft.Field + ": " + reasonURLShape, field: ft.Field}
		}
		err := errNoEgress
		if egress != nil {
			err = egress(ctx, ft.Field, ft.URL)
		}
		recs = append(recs, EgressRecord{Field: printable(ft.Field, 256), Host: printable(ft.URL.Host, 256), Allowed: err == nil})
		if err != nil {
			reason := fmt.Sprintf("%s: the provider would fetch this URL for the agent, past the Gate, and the policy does not allow the agent to fetch it (%v); send the content as base64 or by file id", ft.Field, err)
			return nil, nil, recs, &refusal{status: http.StatusBadRequest, reason: reason, field: ft.Field}
		}
	}
	out := res.Body
	if out == nil {
		out = body
	}
	return out, res.Stripped, recs, nil
}
