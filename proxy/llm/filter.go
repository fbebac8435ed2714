package llm

// A BodyFilter sees the JSON body of every allowed request with a body
// before it goes upstream. It returns the body to send and the URLs the
// body asks the provider to fetch; an error refuses the request with 400
// and the error's text (a *FieldError names the field).
//
// The proxy has already checked that the body is one JSON value with no
// object holding a key twice, so the filter and the upstream read the same
// document. A filter must be safe for concurrent use.
//
// The built-in filters ([AnthropicFilter], [OpenAIFilter],
// [GoogleFilter]) check the body against a table of the fields each
// endpoint takes and refuse anything else, so that nothing in a request
// makes the provider reach the internet for the agent past the Gate:
// server-side tools (web search and fetch, code execution, computer use),
// provider-side connectors (MCP), and content by URL unless the proxy's
// EgressPolicy allows the URL.
type BodyFilter func(path string, body []byte) (Filtered, error)

// Filtered is what a [BodyFilter] made of a body.
type Filtered struct {
	// Body is the body to send; nil sends the body as it came.
	Body []byte
	// Stripped names what the filter removed, for the audit record.
	Stripped []string
	// Fetches are the URLs the body asks the provider to fetch. The proxy
	// forwards the body only if Options.Egress allows every one.
	Fetches []Fetch
}
