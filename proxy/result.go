package proxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/mcp"
)

// Mapping between MCP tool results and [ironcurtain.Result], both ways.
//
// Upstream results are hostile in shape (a buggy or compromised server can
// send anything), so decoding checks every field it keeps and fails with
// ErrBadResponse instead of guessing.

// decodeResult decodes the JSON of an MCP CallToolResult. Text, image and
// audio blocks are decoded into fields; every other block is kept verbatim
// in Content.Raw. A missing content array decodes as no content.
func decodeResult(raw json.RawMessage) (ironcurtain.Result, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return ironcurtain.Result{}, fmt.Errorf("%w: result is not a JSON object", ErrBadResponse)
	}
	var w struct {
		Content    []json.RawMessage `json:"content"`
		Structured json.RawMessage   `json:"structuredContent"`
		IsError    bool              `json:"isError"`
		ResultType string            `json:"resultType"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return ironcurtain.Result{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if w.ResultType != "" && w.ResultType != string(mcp.ResultTypeComplete) {
		return ironcurtain.Result{}, fmt.Errorf("%w: unsupported resultType %q", ErrBadResponse, w.ResultType)
	}
	res := ironcurtain.Result{IsError: w.IsError, Content: make([]ironcurtain.Content, 0, len(w.Content))}
	for i, block := range w.Content {
		c, err := decodeContent(block)
		if err != nil {
			return ironcurtain.Result{}, fmt.Errorf("%w: content[%d]: %v", ErrBadResponse, i, err)
		}
		res.Content = append(res.Content, c)
	}
	if s := bytes.TrimSpace(w.Structured); len(s) > 0 && !bytes.Equal(s, []byte("null")) {
		res.Structured = append(json.RawMessage(nil), s...)
	}
	return res, nil
}

// decodeContent decodes one content block and checks the fields of the
// kinds it models.
func decodeContent(block json.RawMessage) (ironcurtain.Content, error) {
	block = bytes.TrimSpace(block)
	if len(block) == 0 || block[0] != '{' {
		return ironcurtain.Content{}, errors.New("block is not a JSON object")
	}
	var c ironcurtain.Content
	if err := json.Unmarshal(block, &c); err != nil {
		return ironcurtain.Content{}, err
	}
	switch c.Type {
	case "":
		return ironcurtain.Content{}, errors.New("block has no type")
	case "image", "audio":
		if c.MIMEType == "" {
			return ironcurtain.Content{}, fmt.Errorf("%s block without mimeType", c.Type)
		}
	}
	return c, nil
}

// encodeResult turns a Result into an MCP CallToolResult. It fails only when
// a Raw block or the structured content is not valid JSON, which would make
// the whole response unsendable.
func encodeResult(r ironcurtain.Result) (*mcp.CallToolResult, error) {
	out := &mcp.CallToolResult{IsError: r.IsError, Content: make([]mcp.Content, 0, len(r.Content))}
	for i, c := range r.Content {
		switch {
		case len(c.Raw) > 0:
			if !json.Valid(c.Raw) {
				return nil, fmt.Errorf("proxy: content[%d]: raw block is not valid JSON", i)
			}
			out.Content = append(out.Content, rawContent{raw: c.Raw})
		case c.Type == "text":
			out.Content = append(out.Content, mcp.TextContent{Type: mcp.ContentTypeText, Text: c.Text})
		case c.Type == "image":
			out.Content = append(out.Content, mcp.ImageContent{
				Type: mcp.ContentTypeImage, Data: base64.StdEncoding.EncodeToString(c.Data), MIMEType: c.MIMEType,
			})
		case c.Type == "audio":
			out.Content = append(out.Content, mcp.AudioContent{
				Type: mcp.ContentTypeAudio, Data: base64.StdEncoding.EncodeToString(c.Data), MIMEType: c.MIMEType,
			})
		default:
			return nil, fmt.Errorf("proxy: content[%d]: block of type %q without raw form", i, c.Type)
		}
	}
	if len(r.Structured) > 0 {
		if !json.Valid(r.Structured) {
			return nil, errors.New("proxy: structured content is not valid JSON")
		}
		out.RawStructuredContent = r.Structured
	}
	return out, nil
}

// rawContent is an MCP content block passed through as received. Embedding
// TextContent only lends it the mcp.Content marker method; MarshalJSON
// writes the raw form.
type rawContent struct {
	mcp.TextContent
	raw json.RawMessage
}

// MarshalJSON returns the block as received.
func (c rawContent) MarshalJSON() ([]byte, error) { return c.raw, nil }

// agentResult is what the agent is shown for the outcome of a call through
// the backend: ironcurtain.AgentResult (the result, the denial with its
// reason, or a generic error without detail), except that two failures this
// package knows are named, since neither names anything the operator would
// hide and both tell the model that retrying is pointless: an upstream that
// is not running, and an answer over the size cap.
func agentResult(res ironcurtain.Result, err error) ironcurtain.Result {
	if err != nil && !errors.Is(err, ironcurtain.ErrDenied) {
		switch {
		case errors.Is(err, ErrUpstreamDown):
			return ironcurtain.ErrorResult("ERROR: the tool server is not running")
		case errors.Is(err, ironcurtain.ErrLimit):
			return ironcurtain.ErrorResult("ERROR: the tool's answer exceeded a size limit")
		}
	}
	return ironcurtain.AgentResult(res, err)
}
