package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// A BodyFilter sees the JSON body of every allowed request with a body
// before it goes upstream, and may rewrite it. It returns the body to send
// and the names of what it removed (for the audit record); an error
// refuses the request with 400 and the error's text.
//
// The proxy has already checked that the body is one JSON value with no
// object holding a key twice, so the filter and the upstream read the same
// document. A filter must be safe for concurrent use.
type BodyFilter func(path string, body []byte) ([]byte, []string, error)

// Server-side tools run on the provider's machines: web search, web fetch,
// code execution, remote MCP servers. The model could use them to reach
// the internet from there, past the Gate, so the built-in providers strip
// them and keep only the agent's own (client) tools, whose calls come back
// to the agent and so through the Gate.

// StripAnthropicServerTools removes, from a Messages request, every tool
// whose "type" is set and is not "custom" (web_search_*, web_fetch_*,
// code_execution_*, computer_*, bash_*, text_editor_*, ...) and the
// "mcp_servers" of the MCP connector.
func StripAnthropicServerTools(_ string, body []byte) ([]byte, []string, error) {
	return stripTools(body, []string{"mcp_servers"}, func(tool map[string]json.RawMessage) (string, bool) {
		typ, present := stringField(tool, "type")
		return typ, !present || typ == "custom"
	})
}

// StripOpenAIServerTools removes, from a Responses or Chat Completions
// request, every tool whose "type" is not "function" or "custom"
// (web_search, file_search, code_interpreter, computer_use, mcp,
// image_generation, ...) and "web_search_options".
func StripOpenAIServerTools(_ string, body []byte) ([]byte, []string, error) {
	return stripTools(body, []string{"web_search_options"}, func(tool map[string]json.RawMessage) (string, bool) {
		typ, _ := stringField(tool, "type")
		return typ, typ == "function" || typ == "custom"
	})
}

// StripGoogleServerTools keeps, in a Gemini request's tools, only
// functionDeclarations, dropping googleSearch, googleSearchRetrieval,
// codeExecution, urlContext, computerUse and anything else.
func StripGoogleServerTools(_ string, body []byte) ([]byte, []string, error) {
	var removed []string
	out, rm, err := stripTools(body, nil, func(tool map[string]json.RawMessage) (string, bool) {
		for k := range tool {
			if !strings.EqualFold(k, "functionDeclarations") && !strings.EqualFold(k, "function_declarations") {
				removed = append(removed, k)
				delete(tool, k)
			}
		}
		return "", len(tool) > 0
	})
	slices.Sort(removed)
	return out, append(rm, removed...), err
}

// stripTools rewrites the top-level "tools" array, keeping the tools keep
// says yes to, and drops the named top-level fields. Names are matched
// without case, as the most lenient upstream parser would (scanJSON
// refuses objects with two keys that differ only in case). Only the
// members that change are decoded; the rest of the body, the conversation,
// is copied as it came. It returns the body unchanged when nothing is
// removed.
func stripTools(body []byte, dropFields []string, keep func(map[string]json.RawMessage) (string, bool)) ([]byte, []string, error) {
	members, err := scanJSON(body)
	if err != nil {
		return nil, nil, err
	}
	if err := refuseProviderFetch(body); err != nil {
		return nil, nil, err
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, nil, errors.New("the request body is not a JSON object")
	}
	var removed []string
	changed := false
	parts := make([][]byte, 0, len(members))
	for _, m := range members {
		if slices.ContainsFunc(dropFields, func(f string) bool { return strings.EqualFold(m.key, f) }) {
			removed = append(removed, m.key)
			changed = true
			continue
		}
		part := body[m.keyStart:m.valEnd]
		raw := body[m.valStart:m.valEnd]
		if strings.EqualFold(m.key, "tools") && !bytes.Equal(raw, []byte("null")) {
			tools, rm, toolsChanged, err := filterTools(raw, keep)
			if err != nil {
				return nil, nil, err
			}
			if toolsChanged {
				part = append(slices.Clip(body[m.keyStart:m.valStart]), tools...)
				removed = append(removed, rm...)
				changed = true
			}
		}
		parts = append(parts, part)
	}
	if !changed {
		return body, nil, nil
	}
	out := append([]byte{'{'}, bytes.Join(parts, []byte{','})...)
	return append(out, '}'), removed, nil
}

// filterTools applies keep to each tool of a "tools" array.
func filterTools(raw []byte, keep func(map[string]json.RawMessage) (string, bool)) ([]byte, []string, bool, error) {
	var tools []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &tools); err != nil {
		return nil, nil, false, errors.New(`"tools" is not an array of objects`)
	}
	kept := make([]map[string]json.RawMessage, 0, len(tools))
	var removed []string
	changed := false
	for _, t := range tools {
		if t == nil {
			return nil, nil, false, errors.New(`"tools" holds a null`)
		}
		before := len(t)
		name, ok := keep(t)
		if len(t) != before {
			changed = true
		}
		if !ok {
			if name == "" {
				name = "tool"
			}
			removed = append(removed, name)
			changed = true
			continue
		}
		kept = append(kept, t)
	}
	if !changed {
		return raw, nil, false, nil
	}
	enc, err := json.Marshal(kept)
	if err != nil {
		return nil, nil, false, err
	}
	return enc, removed, true, nil
}

// field finds a member by name without case.
func field(m map[string]json.RawMessage, name string) (string, json.RawMessage, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// stringField returns a string member found without case; a member that
// is there but not a string is returned as "\x00", which no allowlist
// names.
func stringField(m map[string]json.RawMessage, name string) (string, bool) {
	_, raw, ok := field(m, name)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "\x00", true
	}
	return s, true
}
