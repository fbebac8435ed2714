package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// FieldError refuses a request body because of one field: Path is its
// JSON path ("messages[0].content[1].source.url"), Reason why.
type FieldError struct {
	Path   string
	Reason string
}

// Error returns the path and the reason.
func (e *FieldError) Error() string { return e.Path + ": " + e.Reason }

// geminiFilePrefix is where the Gemini Files API keeps uploaded files; a
// fileUri there names a file, like a file id, and is not fetched from
// elsewhere.
const geminiFilePrefix = "https://generativelanguage.googleapis.com/v1beta/files/"

// refuseProviderFetch walks the whole body and refuses the first field
// that makes the provider fetch a URL or reach a connector for the agent:
// a content source of type "url", an image_url that is not a data: URL,
// file_url, file_data that is not inline, a Gemini fileUri outside the
// Files API, server_url and mcp_servers. Keys are compared without case
// and, for Gemini's two spellings, without underscores. Message text is
// not looked at: the provider does not fetch from prose.
func refuseProviderFetch(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return errNotJSON
	}
	return walkFetch(doc, "")
}

func walkFetch(v any, path string) error {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			if err := walkFetch(e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if err := checkFetchField(v, k, e, p); err != nil {
				return err
			}
			if err := walkFetch(e, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func fetchKey(k string) string { return strings.ReplaceAll(strings.ToLower(k), "_", "") }

func checkFetchField(obj map[string]any, k string, v any, path string) error {
	s, isString := v.(string)
	switch fetchKey(k) {
	case "mcpservers":
		return &FieldError{path, "provider-side MCP connectors are not allowed: the provider would reach a server the Gate does not see"}
	case "serverurl":
		return &FieldError{path, "a provider-side connector URL is not allowed"}
	case "fileurl":
		return &FieldError{path, "a file by URL is not allowed: the provider would fetch it past the Gate; send it inline (base64) or by file id"}
	case "filedata":
		if isString && strings.Contains(s, ":") && !strings.HasPrefix(strings.ToLower(s), "data:") {
			return &FieldError{path, "file data that names a URL is not allowed; send it inline (base64) or by file id"}
		}
	case "fileuri":
		if !isString || !strings.HasPrefix(s, geminiFilePrefix) || strings.ContainsAny(s[len(geminiFilePrefix):], "/?#@\\%") {
			return &FieldError{path, "a fileUri outside the Gemini Files API is not allowed: the provider would fetch it past the Gate"}
		}
	case "imageurl":
		u := s
		if m, ok := v.(map[string]any); ok {
			u, _ = m["url"].(string)
			for mk, mv := range m {
				if fetchKey(mk) == "url" {
					u, _ = mv.(string)
				}
			}
			path += ".url"
		} else if !isString && v != nil {
			return &FieldError{path, "image_url must be a data: URL"}
		}
		if v != nil && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(u)), "data:") {
			return &FieldError{path, "an image by URL is not allowed: the provider would fetch it past the Gate; send it as a data: URL or by file id"}
		}
	case "source":
		if m, ok := v.(map[string]any); ok {
			for mk, mv := range m {
				if fetchKey(mk) == "type" {
					if t, _ := mv.(string); !strings.EqualFold(t, "url") {
						continue
					}
					return &FieldError{path + ".url", "content by URL is not allowed: the provider would fetch it past the Gate; send it as base64 or by file id"}
				}
				if fetchKey(mk) == "url" {
					return &FieldError{fmt.Sprintf("%s.%s", path, mk), "content by URL is not allowed: the provider would fetch it past the Gate; send it as base64 or by file id"}
				}
			}
		}
	}
	_ = obj
	return nil
}
