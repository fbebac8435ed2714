package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/mark3labs/mcp-go/mcp"
)

// Tool definitions: decoded from an upstream's raw tools/list answer with
// their schemas kept verbatim, and encoded for export as "server__tool".

const (
	// maxListPages bounds tools/list pagination; a server that keeps
	// returning cursors is broken or hostile.
	maxListPages = 100
	// maxTools bounds the tools one upstream may announce.
	maxTools = 10000
)

// defaultInputSchema is used for an exported tool whose definition has none.
var defaultInputSchema = json.RawMessage(`{"type":"object"}`)

// toolsPage is one page of a raw tools/list answer.
type toolsPage struct {
	Tools      []json.RawMessage `json:"tools"`
	NextCursor string            `json:"nextCursor"`
}

func decodeToolsPage(raw json.RawMessage) (toolsPage, error) {
	var p toolsPage
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return p, fmt.Errorf("%w: tools/list result is not a JSON object", ErrBadResponse)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("%w: tools/list: %v", ErrBadResponse, err)
	}
	return p, nil
}

// decodeTool decodes one tool definition. InputSchema and OutputSchema keep
// the upstream's bytes exactly. Absent annotation hints take the MCP
// defaults (destructive and open-world unless said otherwise), so that
// re-exporting them, explicitly, means what the upstream meant.
func decodeTool(raw json.RawMessage) (ironcurtain.Tool, error) {
	var w struct {
		Name         string          `json:"name"`
		Title        string          `json:"title"`
		Description  string          `json:"description"`
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema"`
		Annotations  *struct {
			Title           string `json:"title"`
			ReadOnlyHint    *bool  `json:"readOnlyHint"`
			DestructiveHint *bool  `json:"destructiveHint"`
			IdempotentHint  *bool  `json:"idempotentHint"`
			OpenWorldHint   *bool  `json:"openWorldHint"`
		} `json:"annotations"`
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return ironcurtain.Tool{}, errors.New("tool definition is not a JSON object")
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return ironcurtain.Tool{}, err
	}
	if w.Name == "" {
		return ironcurtain.Tool{}, errors.New("tool without a name")
	}
	if !isObject(w.InputSchema) {
		return ironcurtain.Tool{}, fmt.Errorf("tool %q: inputSchema is not a JSON object", w.Name)
	}
	t := ironcurtain.Tool{
		Name:        w.Name,
		Title:       w.Title,
		Description: w.Description,
		InputSchema: w.InputSchema,
		Annotations: ironcurtain.ToolAnnotations{DestructiveHint: true, OpenWorldHint: true},
	}
	if isObject(w.OutputSchema) {
		t.OutputSchema = w.OutputSchema
	}
	if a := w.Annotations; a != nil {
		if t.Title == "" {
			t.Title = a.Title
		}
		setHint(&t.Annotations.ReadOnlyHint, a.ReadOnlyHint)
		setHint(&t.Annotations.DestructiveHint, a.DestructiveHint)
		setHint(&t.Annotations.IdempotentHint, a.IdempotentHint)
		setHint(&t.Annotations.OpenWorldHint, a.OpenWorldHint)
	}
	return t, nil
}

func setHint(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// isObject reports whether raw is a JSON object.
func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// exportTool builds the MCP definition under which a backend tool is
// exported: named "server__tool", with the input and output schemas passed
// through as raw bytes and all four behaviour hints stated explicitly.
func exportTool(st ironcurtain.ServerTool) (mcp.Tool, error) {
	if st.Server == "" || strings.Contains(st.Server, "__") {
		return mcp.Tool{}, fmt.Errorf("proxy: server name %q cannot be exported (empty or containing \"__\")", st.Server)
	}
	if st.Tool.Name == "" {
		return mcp.Tool{}, fmt.Errorf("proxy: server %s: tool without a name", st.Server)
	}
	name := ironcurtain.QualifiedName(st.Server, st.Tool.Name)
	schema := st.Tool.InputSchema
	if len(bytes.TrimSpace(schema)) == 0 {
		schema = defaultInputSchema
	}
	if !isObject(schema) {
		return mcp.Tool{}, fmt.Errorf("proxy: tool %s: input schema is not a JSON object", name)
	}
	a := st.Tool.Annotations
	t := mcp.Tool{
		Name:           name,
		Title:          st.Tool.Title,
		Description:    st.Tool.Description,
		RawInputSchema: slices.Clone(schema),
		Annotations: mcp.ToolAnnotation{
			Title:           st.Tool.Title,
			ReadOnlyHint:    mcp.ToBoolPtr(a.ReadOnlyHint),
			DestructiveHint: mcp.ToBoolPtr(a.DestructiveHint),
			IdempotentHint:  mcp.ToBoolPtr(a.IdempotentHint),
			OpenWorldHint:   mcp.ToBoolPtr(a.OpenWorldHint),
		},
	}
	if len(bytes.TrimSpace(st.Tool.OutputSchema)) > 0 {
		if !isObject(st.Tool.OutputSchema) {
			return mcp.Tool{}, fmt.Errorf("proxy: tool %s: output schema is not a JSON object", name)
		}
		t.RawOutputSchema = slices.Clone(st.Tool.OutputSchema)
	}
	if err := mcp.ValidateParamHeaderAnnotations(&t); err != nil {
		return mcp.Tool{}, fmt.Errorf("proxy: tool %s: %w", name, err)
	}
	return t, nil
}

// sameTools reports whether two tool lists are identical, in order.
func sameTools(a, b []ironcurtain.Tool) bool {
	return slices.EqualFunc(a, b, func(x, y ironcurtain.Tool) bool {
		return x.Name == y.Name && x.Title == y.Title && x.Description == y.Description &&
			bytes.Equal(x.InputSchema, y.InputSchema) && bytes.Equal(x.OutputSchema, y.OutputSchema) &&
			x.Annotations == y.Annotations
	})
}
