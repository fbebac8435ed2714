package llm

// The OpenAI API: what a request to /v1/chat/completions and
// /v1/responses may hold.

const (
	reasonOpenAIPart  = "this content part type is not allowed: only text, images, audio, files and refusals are"
	reasonOpenAIItem  = "this input item type is not allowed: only messages, function and custom tool calls and their outputs, reasoning and item references are (an item that replays a built-in tool or a connector is not)"
	reasonWebSearch   = "provider-side web search is not allowed: the provider would reach the internet past the Gate"
	reasonStoredInput = "a prompt or conversation stored with the provider is not allowed: the proxy could not see what it holds"
)

var (
	oaiJSONSchema = obj(f("name", token), f("description", prose), f("schema", schema), f("strict", boolean))

	// Chat Completions.
	oaiChatPart = tagged("type", reasonOpenAIPart, []vrt{
		{"text", []fld{f("text", prose)}},
		{"image_url", []fld{f("image_url", obj(f("url", dataURL), f("detail", token)))}},
		{"input_audio", []fld{f("input_audio", obj(f("data", token), f("format", token)))}},
		{"file", []fld{f("file", obj(f("file_id", token), f("file_data", inline), f("filename", token)))}},
		{"refusal", []fld{f("refusal", prose)}},
	})

	oaiToolCall = tagged("type", reasonServerTool, []vrt{
		{"function", []fld{f("id", token), f("function", obj(f("name", token), f("arguments", prose)))}},
		{"custom", []fld{f("id", token), f("custom", obj(f("name", token), f("input", prose)))}},
	})

	oaiChatMessage = obj(
		f("role", token), f("content", &node{str: sProse, elem: oaiChatPart}), f("name", token),
		f("tool_calls", arrayOf(oaiToolCall)), f("tool_call_id", token), f("refusal", prose),
		f("function_call", obj(f("name", token), f("arguments", prose))),
	)

	oaiCustomFormat = tagged("type", "this custom tool format is not allowed", []vrt{
		{"text", nil},
		{"grammar", []fld{f("grammar", obj(f("syntax", token), f("definition", prose))), f("syntax", token), f("definition", prose)}},
	})

	oaiChatTool = tagged("type", reasonServerTool, []vrt{
		{"function", []fld{f("function", obj(f("name", token), f("description", prose), f("parameters", schema), f("strict", boolean)))}},
		{"custom", []fld{f("custom", obj(f("name", token), f("description", prose), f("format", oaiCustomFormat)))}},
	})

	oaiChatToolChoice = &node{str: sToken, obj: tagged("type", reasonServerTool, []vrt{
		{"function", []fld{f("function", obj(f("name", token)))}},
		{"custom", []fld{f("custom", obj(f("name", token)))}},
		{"allowed_tools", []fld{f("allowed_tools", obj(f("mode", token), f("tools", arrayOf(anyToken))))}},
	}).obj}

	oaiChat = obj(
		f("model", token), f("messages", arrayOf(oaiChatMessage)), f("stream", boolean),
		f("stream_options", obj(f("include_usage", boolean), f("include_obfuscation", boolean))),
		f("tools", arrayOf(oaiChatTool)), f("tool_choice", oaiChatToolChoice), f("parallel_tool_calls", boolean),
		f("temperature", number), f("top_p", number), f("max_tokens", number), f("max_completion_tokens", number),
		f("n", number), f("stop", tokenList), f("presence_penalty", number), f("frequency_penalty", number),
		f("logit_bias", anyToken), f("logprobs", boolean), f("top_logprobs", number), f("user", token),
		f("safety_identifier", token), f("prompt_cache_key", token), f("prompt_cache_retention", token),
		f("seed", number), f("reasoning_effort", token), f("verbosity", token), f("service_tier", token),
		f("store", boolean), f("metadata", anyToken), f("modalities", tokens),
		f("response_format", tagged("type", "this response format is not allowed", []vrt{
			{"text", nil}, {"json_object", nil}, {"json_schema", []fld{f("json_schema", oaiJSONSchema)}},
		})),
		refusedField("web_search_options", reasonWebSearch),
	)

	// Responses.
	oaiAnnotation = tagged("type", "this annotation type is not allowed", []vrt{
		{"file_citation", []fld{f("file_id", token), f("index", number), f("filename", token)}},
		{"url_citation", []fld{f("url", token), f("title", prose), f("start_index", number), f("end_index", number)}},
		{"container_file_citation", []fld{f("container_id", token), f("file_id", token), f("filename", token), f("start_index", number), f("end_index", number)}},
		{"file_path", []fld{f("file_id", token), f("index", number)}},
	})

	oaiInputPart = tagged("type", reasonOpenAIPart, []vrt{
		{"input_text", []fld{f("text", prose)}},
		{"input_image", []fld{f("image_url", dataURL), f("file_id", token), f("detail", token)}},
		// file_url is fetched by the provider: allowed when the policy
		// allows the URL.
		{"input_file", []fld{f("file_id", token), f("file_data", inline), f("file_url", urlField), f("filename", token)}},
		{"input_audio", []fld{f("input_audio", obj(f("data", token), f("format", token)))}},
		{"output_text", []fld{f("text", prose), f("annotations", arrayOf(oaiAnnotation)), f("logprobs", anyToken)}},
		{"refusal", []fld{f("refusal", prose)}},
		{"summary_text", []fld{f("text", prose)}},
		{"reasoning_text", []fld{f("text", prose)}},
	})

	oaiContent = &node{str: sProse, elem: oaiInputPart}

	oaiMessageFields = []fld{f("role", token), f("content", oaiContent), f("id", token), f("status", token)}

	oaiItem = tagged("type", reasonOpenAIItem, []vrt{
		{"", oaiMessageFields},
		{"message", oaiMessageFields},
		{"function_call", []fld{f("id", token), f("call_id", token), f("name", token), f("arguments", prose), f("status", token)}},
		{"function_call_output", []fld{f("id", token), f("call_id", token), f("output", oaiContent), f("status", token)}},
		{"custom_tool_call", []fld{f("id", token), f("call_id", token), f("name", token), f("input", prose), f("status", token)}},
		{"custom_tool_call_output", []fld{f("id", token), f("call_id", token), f("output", oaiContent), f("status", token)}},
		{"reasoning", []fld{f("id", token), f("summary", arrayOf(oaiInputPart)), f("content", oaiContent), f("encrypted_content", token), f("status", token)}},
		{"item_reference", []fld{f("id", token)}},
	})

	oaiResponsesTool = tagged("type", reasonServerTool, []vrt{
		{"function", []fld{f("name", token), f("description", prose), f("parameters", schema), f("strict", boolean)}},
		{"custom", []fld{f("name", token), f("description", prose), f("format", oaiCustomFormat)}},
	})

	oaiResponsesToolChoice = &node{str: sToken, obj: tagged("type", reasonServerTool, []vrt{
		{"function", []fld{f("name", token)}},
		{"custom", []fld{f("name", token)}},
		{"allowed_tools", []fld{f("mode", token), f("tools", arrayOf(anyToken))}},
	}).obj}

	oaiTextFormat = tagged("type", "this text format is not allowed", []vrt{
		{"text", nil}, {"json_object", nil},
		{"json_schema", []fld{f("name", token), f("description", prose), f("schema", schema), f("strict", boolean)}},
	})

	oaiResponses = obj(
		f("model", token), f("input", &node{str: sProse, elem: oaiItem}), f("instructions", prose),
		f("tools", arrayOf(oaiResponsesTool)), f("tool_choice", oaiResponsesToolChoice),
		f("parallel_tool_calls", boolean), f("max_output_tokens", number), f("max_tool_calls", number),
		f("temperature", number), f("top_p", number), f("top_logprobs", number),
		f("reasoning", obj(f("effort", token), f("summary", token), f("generate_summary", token))),
		f("text", obj(f("format", oaiTextFormat), f("verbosity", token))),
		f("store", boolean), f("stream", boolean), f("stream_options", obj(f("include_obfuscation", boolean))),
		f("include", tokens), f("metadata", anyToken), f("previous_response_id", token),
		f("prompt_cache_key", token), f("prompt_cache_retention", token), f("safety_identifier", token),
		f("user", token), f("service_tier", token), f("truncation", token), f("background", boolean),
		refusedField("prompt", reasonStoredInput), refusedField("conversation", reasonStoredInput),
	)

	openAIRules = rulesFor(map[string]*node{
		"/v1/chat/completions": oaiChat,
		"/v1/responses":        oaiResponses,
	})

	openAIFilter = openAIRules.filter("openai")
)

// OpenAIFilter is the [BodyFilter] of the OpenAI Chat Completions and
// Responses APIs. It refuses every field it does not know, every built-in
// tool (web search, file search, code interpreter, computer use, image
// generation, MCP and any other type but "function" and "custom"),
// web_search_options, stored prompts and conversations, input items that
// replay a built-in tool's call, inline file data that names a URL, and
// URLs anywhere but in prose; an image_url that is not a data: URL and an
// input_file's file_url are returned as Fetches for the proxy's
// EgressPolicy to judge.
func OpenAIFilter(path string, body []byte) (Filtered, error) { return openAIFilter(path, body) }
