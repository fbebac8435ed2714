package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The property FuzzForwardedURLs checks, and how "a URL" and "a position
// the provider dereferences" are told apart.
//
// A URL is any string — a value or a key, after JSON unescaping — that
// holds "://". A body the proxy forwards may hold one only:
//
//   - in prose, which the model reads and the provider does not fetch
//     from: the value of a key named text, thinking, description,
//     instructions, arguments, refusal, title, context, cited_text,
//     document_title, definition, system, content or output (as a string,
//     not a list of blocks), the data of a text source (a sibling "type" of
//     "text"), the top-level input of a Responses request when it is a
//     string, and anything beneath a tool call's input or args, a
//     function's response, or a JSON Schema (input_schema, parameters,
//     parametersJsonSchema, responseJsonSchema, responseSchema, schema),
//     but for a schema's $ref, $dynamicRef and $recursiveRef, and a
//     $schema outside json-schema.org;
//   - at a field the EgressPolicy was asked about, with that very string,
//     and allowed;
//   - as a Gemini Files API file (a file id that is a URL).
//
// This oracle is written from the providers' documentation of where prose
// lives, apart from the rule tables, so that a table that lets a URL
// through in a field the provider dereferences is caught.

var proseKeys = map[string]bool{
	"text": true, "thinking": true, "description": true, "instructions": true, "arguments": true,
	"refusal": true, "title": true, "context": true, "cited_text": true, "document_title": true,
	"definition": true, "system": true, "content": true, "output": true,
}

var proseSubtrees = map[string]bool{
	"input": true, "args": true, "response": true, "input_schema": true, "parameters": true,
	"parametersJsonSchema": true, "parameters_json_schema": true, "responseJsonSchema": true,
	"response_json_schema": true, "responseSchema": true, "response_schema": true, "schema": true,
}

// urlPositions returns every URL in doc that is not in prose, by path.
func urlPositions(doc any) map[string][]string {
	out := map[string][]string{}
	var walk func(v any, path, key string, inProse, inSchema bool, siblings map[string]any)
	walk = func(v any, path, key string, inProse, inSchema bool, siblings map[string]any) {
		switch v := v.(type) {
		case string:
			if !strings.Contains(v, "://") {
				return
			}
			prose := inProse || proseKeys[key] || key == "data" && siblings["type"] == "text" || path == "input"
			if inSchema && (key == "$ref" || key == "$dynamicRef" || key == "$recursiveRef" ||
				key == "$schema" && !strings.HasPrefix(v, "http://json-schema.org/") && !strings.HasPrefix(v, "https://json-schema.org/")) {
				prose = false
			}
			if !prose {
				out[path] = append(out[path], v)
			}
		case []any:
			for i, e := range v {
				walk(e, path+"["+strconv.Itoa(i)+"]", key, inProse, inSchema, nil)
			}
		case map[string]any:
			for k, e := range v {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if strings.Contains(k, "://") && !inProse {
					out[p] = append(out[p], k)
				}
				sub := proseSubtrees[k] && path != "" // the top-level input is a conversation
				schemaKey := sub && k != "input" && k != "args" && k != "response"
				walk(e, p, k, inProse || sub, inSchema || schemaKey, v)
			}
		}
	}
	walk(doc, "", "", false, false, nil)
	return out
}

// fuzzHosts are the hosts the fuzz's EgressPolicy allows and the one it
// does not.
const (
	fuzzAllowed  = "https://allowed.example/ok?x=1"
	fuzzAttacker = "https://attacker.example/?d=secret"
)

var (
	fuzzKeys = []string{"url", "file_url", "image_url", "fileUri", "file_uri", "fileData", "server_url", "mcp_servers",
		"source", "uri", "href", "link", "endpoint", "webhook", "callback_url", "$ref", "type", "data", "text",
		"content", "input", "metadata", "tools", "file_data", "file_id", "name", "user_id", "container", "prompt",
		"$schema", "$id", "context_management", "output_format"}
	fuzzValues = []func() any{
		func() any { return fuzzAttacker },
		func() any { return fuzzAllowed },
		func() any { return "HTTPS://attacker.example/" },
		func() any { return "gs://attacker/x" },
		func() any { return "https://allowed.example@attacker.example/" },
		func() any { return "https://attacker.example\\@allowed.example/" },
		func() any { return "data:text/html,https://attacker.example/" },
		func() any { return "https://generativelanguage.googleapis.com/v1beta/files/abc" },
		func() any { return map[string]any{"type": "url", "url": fuzzAttacker} },
		func() any { return map[string]any{"type": "url", "url": fuzzAllowed} },
		func() any { return map[string]any{"url": fuzzAttacker} },
		func() any { return []any{fuzzAttacker} },
		func() any { return map[string]any{"fileUri": fuzzAttacker} },
	}
	fuzzTypes = []string{"url", "image", "document", "mcp", "web_search", "input_image", "input_file", "image_url",
		"custom", "text", "base64", "file", "content", "function", "message", "tool_result", "server_tool_use"}
)

// mutate applies ops, three bytes each, to a decoded body: replace the
// n-th string, add a key to the n-th object, or set the n-th object's
// type.
func mutate(doc any, ops []byte) any {
	for len(ops) >= 3 {
		kind, n, choice := ops[0]%3, int(ops[1]), int(ops[2])
		ops = ops[3:]
		count := 0
		var visit func(v any) any
		visit = func(v any) any {
			switch x := v.(type) {
			case string:
				if kind == 0 {
					if count == n {
						count++
						return fuzzValues[choice%len(fuzzValues)]()
					}
					count++
				}
			case []any:
				for i := range x {
					x[i] = visit(x[i])
				}
			case map[string]any:
				if kind != 0 {
					if count == n {
						if kind == 1 {
							x[fuzzKeys[choice%len(fuzzKeys)]] = fuzzValues[(choice/len(fuzzKeys))%len(fuzzValues)]()
						} else {
							x["type"] = fuzzTypes[choice%len(fuzzTypes)]
						}
					}
					count++
				}
				for k := range x {
					x[k] = visit(x[k])
				}
			}
			return v
		}
		doc = visit(doc)
	}
	return doc
}

// Whatever the body, one the proxy forwards is forwarded byte for byte,
// and holds a URL outside prose only where the EgressPolicy was asked
// about that URL at that field and allowed it (or as a Gemini Files API
// file).
func FuzzForwardedURLs(f *testing.F) {
	tbl, err := newTable(DefaultProviders())
	if err != nil {
		f.Fatal(err)
	}
	seeds := egressCases
	for i, tc := range seeds {
		f.Add(uint16(i), []byte(tc.body), []byte{})
		f.Add(uint16(i), []byte{}, []byte{0, 0, 0})
		f.Add(uint16(i), []byte{}, []byte{1, 2, 8, 2, 1, 0})
		f.Add(uint16(i), []byte{}, []byte{2, 3, 0, 0, 4, 1})
	}
	// Bodies with a fetch the policy allows, beside ones it does not.
	for i, tc := range seeds {
		if tc.field != "" && strings.Contains(tc.body, fuzzAttacker) {
			f.Add(uint16(i), []byte(strings.ReplaceAll(tc.body, fuzzAttacker, fuzzAllowed)), []byte{})
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, body, ops []byte) {
		tc := seeds[int(which)%len(seeds)]
		if len(body) == 0 {
			var doc any
			dec := json.NewDecoder(strings.NewReader(tc.body))
			dec.UseNumber()
			if dec.Decode(&doc) != nil {
				t.Fatalf("seed %q does not decode", tc.name)
			}
			var err error
			if body, err = json.Marshal(mutate(doc, ops)); err != nil {
				return
			}
		}
		jsonErr := checkJSON(body)
		asked := map[string]string{}
		egress := func(_ context.Context, field string, u *url.URL) error {
			if _, dup := asked[field]; dup {
				t.Fatalf("the policy was asked twice about %s", field)
			}
			asked[field] = u.String()
			if u.String() == fuzzAllowed {
				return nil
			}
			return errors.New("denied")
		}
		out, _, _, ref := filterRequest(context.Background(), tbl.byName[tc.provider], tc.path, body, egress)
		if ref != nil {
			return
		}
		if jsonErr != nil {
			// The filter holds on its own too: it accepts nothing the
			// proxy's JSON check refuses.
			t.Fatalf("the filter accepted a body the JSON check refuses (%v): %q", jsonErr, body)
		}
		if !bytes.Equal(out, body) {
			t.Fatalf("the body was rewritten:\n%s\n%s", body, out)
		}
		var doc any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("a forwarded body does not decode: %v\n%s", err, out)
		}
		for path, urls := range urlPositions(doc) {
			for _, u := range urls {
				switch {
				case asked[path] == u && u == fuzzAllowed:
				case isGeminiFile(u) && (strings.HasSuffix(path, "fileUri") || strings.HasSuffix(path, "file_uri")):
				default:
					t.Fatalf("%s holds the URL %q, which the policy did not allow there (asked: %v)\nbody: %s", path, u, asked, out)
				}
			}
		}
	})
}
