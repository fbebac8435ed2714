package llm

// The Anthropic Messages API: what a request to /v1/messages and
// /v1/messages/count_tokens may hold.

const (
	reasonServerTool = "a server-side tool is not allowed: it runs on the provider's machines, past the Gate; only the agent's own tools, whose calls come back to the agent, are"
	reasonMCP        = "provider-side MCP connectors are not allowed: the provider would reach a server the Gate does not see"
	reasonContainer  = "provider-side code execution containers are not allowed: code would run on the provider's machines, past the Gate"
	reasonBlockType  = "this content block type is not allowed: only text, images, documents, tool calls and results and thinking are (a block the provider fetches, runs or reaches a connector for is not)"
	reasonSourceType = "this content source type is not allowed: send content as base64, text or by file id"
)

var (
	antCacheControl = obj(f("type", token), f("ttl", token))

	// Citations a document or search gave; their locations are tokens.
	antCitation = tagged("type", "this citation type is not allowed", []vrt{
		{"char_location", []fld{f("cited_text", prose), f("document_index", number), f("document_title", prose), f("start_char_index", number), f("end_char_index", number), f("file_id", token)}},
		{"page_location", []fld{f("cited_text", prose), f("document_index", number), f("document_title", prose), f("start_page_number", number), f("end_page_number", number), f("file_id", token)}},
		{"content_block_location", []fld{f("cited_text", prose), f("document_index", number), f("document_title", prose), f("start_block_index", number), f("end_block_index", number), f("file_id", token)}},
		{"web_search_result_location", []fld{f("cited_text", prose), f("title", prose), f("encrypted_index", token), f("url", token)}},
	})

	// A text block's citations are a list; a document's say whether it
	// may be cited. One rule takes both, so that the two block types can
	// share the field.
	antCitations = &node{elem: antCitation, obj: obj(f("enabled", boolean)).obj}

	antText = vrt{"text", []fld{f("text", prose), f("cache_control", antCacheControl), f("citations", antCitations)}}

	antTextBlock = tagged("type", "only text blocks are allowed here", []vrt{antText})

	// antBlock is filled in by init: a document's content source holds
	// blocks in turn.
	antBlock = &node{}

	antSource = tagged("type", reasonSourceType, []vrt{
		{"base64", []fld{f("media_type", token), f("data", token)}},
		{"text", []fld{f("media_type", token), f("data", prose)}},
		{"content", []fld{f("content", &node{str: sProse, elem: antBlock})}},
		{"file", []fld{f("file_id", token)}},
		// The provider fetches this one: allowed when the policy allows
		// the URL.
		{"url", []fld{f("url", urlField)}},
	})

	antContent = &node{str: sProse, elem: antBlock}

	antMessage = obj(f("role", token), f("content", antContent))

	antToolFields = []fld{f("name", token), f("description", prose), f("input_schema", schema), f("cache_control", antCacheControl), f("strict", boolean)}

	antTool = tagged("type", reasonServerTool, []vrt{{"", antToolFields}, {"custom", antToolFields}})

	antToolChoice = obj(f("type", token), f("name", token), f("disable_parallel_tool_use", boolean))
	antThinking   = obj(f("type", token), f("budget_tokens", number))
	antSystem     = &node{str: sProse, elem: antTextBlock}

	antCommon = []fld{
		f("model", token), f("messages", arrayOf(antMessage)), f("system", antSystem),
		f("tools", arrayOf(antTool)), f("tool_choice", antToolChoice), f("thinking", antThinking),
		// Context editing and structured output happen in the model's
		// context, with nothing fetched.
		f("context_management", anyToken),
		f("output_format", tagged("type", "this output format is not allowed", []vrt{{"json_schema", []fld{f("schema", schema)}}})),
		f("output_config", obj(f("effort", token))),
		refusedField("mcp_servers", reasonMCP), refusedField("container", reasonContainer),
	}

	antMessages = obj(append([]fld{
		f("max_tokens", number), f("metadata", obj(f("user_id", token))), f("stop_sequences", tokens),
		f("stream", boolean), f("temperature", number), f("top_k", number), f("top_p", number),
		f("service_tier", token),
	}, antCommon...)...)

	antCountTokens = obj(antCommon...)

	anthropicRules = rulesFor(map[string]*node{
		"/v1/messages":              antMessages,
		"/v1/messages/count_tokens": antCountTokens,
	})
)

func init() {
	*antBlock = *tagged("type", reasonBlockType, []vrt{
		antText,
		{"image", []fld{f("source", antSource), f("cache_control", antCacheControl)}},
		{"document", []fld{f("source", antSource), f("title", prose), f("context", prose), f("citations", antCitations), f("cache_control", antCacheControl)}},
		{"tool_use", []fld{f("id", token), f("name", token), f("input", anyProse), f("cache_control", antCacheControl)}},
		{"tool_result", []fld{f("tool_use_id", token), f("content", antContent), f("is_error", boolean), f("cache_control", antCacheControl)}},
		{"thinking", []fld{f("thinking", prose), f("signature", token)}},
		{"redacted_thinking", []fld{f("data", token)}},
	},
		"server_tool_use", reasonServerTool,
		"web_search_tool_result", reasonServerTool,
		"web_fetch_tool_result", reasonServerTool,
		"code_execution_tool_result", reasonServerTool,
		"bash_code_execution_tool_result", reasonServerTool,
		"text_editor_code_execution_tool_result", reasonServerTool,
		"mcp_tool_use", reasonMCP,
		"mcp_tool_result", reasonMCP,
		"container_upload", reasonContainer,
	)
}

// AnthropicFilter is the [BodyFilter] of the Anthropic Messages API. It
// refuses every field it does not know, every server-side tool (web
// search and fetch, code execution, computer use, bash, text editor, any
// typed tool but "custom"), the MCP connector (mcp_servers), code
// execution containers, blocks that replay a server tool's use, and URLs
// anywhere but in prose; a content source of type "url" is returned as a
// Fetch for the proxy's EgressPolicy to judge.
func AnthropicFilter(path string, body []byte) (Filtered, error) {
	return anthropicFilter(path, body)
}

var anthropicFilter = anthropicRules.filter("anthropic")
