package ironcurtain

import (
	"encoding/json"
	"strings"
)

// ToolCall is one request from an agent to a tool. It is the unit that the
// policy engine judges, approvers answer, and the audit log records.
//
// Everything in a ToolCall that came from the agent is hostile input.
type ToolCall struct {
	// ID identifies the call in the audit log. A Gate assigns one when empty.
	ID string `json:"id,omitempty"`
	// Session names the agent session the call belongs to.
	Session string `json:"session,omitempty"`
	// Server is the name under which the tool server is registered,
	// for example "filesystem".
	Server string `json:"server"`
	// Tool is the tool's name on that server, for example "read_file".
	Tool string `json:"tool"`
	// Arguments are the JSON-decoded arguments: string, float64, bool, nil,
	// []any and map[string]any values, as encoding/json produces them.
	Arguments map[string]any `json:"arguments"`
}

// QualifiedName returns "server__tool", the name under which a tool is
// exported by the MCP proxy.
func (c ToolCall) QualifiedName() string { return QualifiedName(c.Server, c.Tool) }

// QualifiedName joins a server and a tool name as "server__tool".
func QualifiedName(server, tool string) string { return server + "__" + tool }

// SplitQualifiedName splits "server__tool" at the first double underscore.
// It reports false when name has no double underscore or either part is empty.
func SplitQualifiedName(name string) (server, tool string, ok bool) {
	server, tool, ok = strings.Cut(name, "__")
	if !ok || server == "" || tool == "" {
		return "", "", false
	}
	return server, tool, true
}

// Tool describes one tool a [ToolServer] offers, in the shape of an MCP tool
// definition.
type Tool struct {
	// Name is the tool's name on its server.
	Name string `json:"name"`
	// Title is an optional human-readable name.
	Title string `json:"title,omitempty"`
	// Description tells the model what the tool does.
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema of the arguments object, kept verbatim so
	// that proxies pass keywords such as oneOf through untouched.
	InputSchema json.RawMessage `json:"inputSchema"`
	// OutputSchema optionally describes Result.Structured.
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	// Annotations are the MCP behaviour hints.
	Annotations ToolAnnotations `json:"annotations"`
}

// ToolAnnotations are the MCP behaviour hints of a tool. They are hints for
// clients and models; the policy never trusts them.
type ToolAnnotations struct {
	// ReadOnlyHint: the tool does not modify its environment.
	ReadOnlyHint bool `json:"readOnlyHint"`
	// DestructiveHint: the tool may perform destructive updates.
	DestructiveHint bool `json:"destructiveHint"`
	// IdempotentHint: calling the tool twice with the same arguments has no
	// additional effect.
	IdempotentHint bool `json:"idempotentHint"`
	// OpenWorldHint: the tool interacts with entities outside its own
	// environment (the web, a remote).
	OpenWorldHint bool `json:"openWorldHint"`
}

// Result is what a tool call returns: content for the model, optional
// structured content, and whether it is a tool-level error.
//
// A tool-level error (IsError) is shown to the model so it can correct
// course; it is not a Go error. Go errors are for failures to run the call.
type Result struct {
	// Content is shown to the model.
	Content []Content `json:"content"`
	// Structured is optional machine-readable output (MCP structuredContent).
	Structured json.RawMessage `json:"structuredContent,omitempty"`
	// IsError marks a tool-level failure.
	IsError bool `json:"isError,omitempty"`
	// cause is the operator-side detail of a tool error, for the audit
	// log only; see [ErrorResultWithCause].
	cause string
}

// Content is one block of a [Result].
type Content struct {
	// Type is "text", "image" or "audio" for the kinds modelled here; any
	// other MCP content type is carried in Raw.
	Type string `json:"type"`
	// Text is the text of a "text" block.
	Text string `json:"text,omitempty"`
	// Data is the payload of an "image" or "audio" block (base64 on the wire).
	Data []byte `json:"data,omitempty"`
	// MIMEType is the media type of Data.
	MIMEType string `json:"mimeType,omitempty"`
	// Raw holds a block of a type not modelled here (embedded resources,
	// resource links) exactly as received, so proxies pass it through.
	Raw json.RawMessage `json:"-"`
}

// TextResult returns a successful result with one text block.
func TextResult(text string) Result {
	return Result{Content: []Content{{Type: "text", Text: text}}}
}

// ErrorResult returns a tool-level error result with one text block.
func ErrorResult(text string) Result {
	return Result{Content: []Content{{Type: "text", Text: text}}, IsError: true}
}

// Text returns the text blocks of r joined by newlines.
func (r Result) Text() string {
	var b strings.Builder
	for _, c := range r.Content {
		if c.Type != "text" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(c.Text)
	}
	return b.String()
}

// MarshalJSON encodes a modelled block by its fields and any other block as
// its Raw form.
func (c Content) MarshalJSON() ([]byte, error) {
	if len(c.Raw) > 0 {
		return c.Raw, nil
	}
	type plain Content
	return json.Marshal(plain(c))
}

// UnmarshalJSON decodes text, image and audio blocks into fields and keeps
// every other block verbatim in Raw.
func (c *Content) UnmarshalJSON(data []byte) error {
	type plain Content
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	switch p.Type {
	case "text", "image", "audio":
		p.Raw = nil
	default:
		p.Raw = append(json.RawMessage(nil), data...)
	}
	*c = Content(p)
	return nil
}

// ServerTool is a tool together with the name of the server that offers it,
// as a Gate lists them.
type ServerTool struct {
	Server string `json:"server"`
	Tool   Tool   `json:"tool"`
}
