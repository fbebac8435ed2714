package llm

import "strings"

// The Gemini API: what a request to generateContent,
// streamGenerateContent and countTokens may hold. Protocol-buffer JSON
// takes a field by its lowerCamelCase name and by its snake_case one, so
// both are allowed, as one field.

const (
	reasonGeminiTool = "a server-side tool is not allowed: only function declarations are (Google Search, URL context, code execution, computer use, file search and retrieval run on the provider's machines, past the Gate)"
	reasonGeminiCode = "provider-side code execution is not allowed, nor replaying its results"
	reasonGeminiRef  = "content stored with the provider is not allowed: the proxy could not see what it holds"
)

// g is a Gemini field under both its spellings.
func g(name string, n *node) fld {
	var sb strings.Builder
	for _, r := range name {
		if 'A' <= r && r <= 'Z' {
			sb.WriteByte('_')
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	if snake := sb.String(); snake != name {
		return fld{names: []string{name, snake}, n: n}
	}
	return f(name, n)
}

// gRefused is a Gemini field refused under both its spellings.
func gRefused(name, reason string) fld {
	fd := g(name, nil)
	fd.refused = reason
	return fd
}

var (
	gemPart = obj(
		g("text", prose), g("thought", boolean), g("thoughtSignature", token),
		g("inlineData", obj(g("mimeType", token), g("data", token), g("displayName", token))),
		// A fileUri outside the Files API is fetched by the provider:
		// allowed when the policy allows the URL.
		g("fileData", obj(g("mimeType", token), g("fileUri", fileURI), g("displayName", token))),
		g("functionCall", obj(g("id", token), g("name", token), g("args", anyProse))),
		g("functionResponse", obj(g("id", token), g("name", token), g("response", anyProse), g("willContinue", boolean), g("scheduling", token))),
		g("videoMetadata", obj(g("startOffset", token), g("endOffset", token), g("fps", number))),
		g("mediaResolution", anyToken),
		gRefused("executableCode", reasonGeminiCode), gRefused("codeExecutionResult", reasonGeminiCode),
	)

	gemContent = obj(g("role", token), g("parts", arrayOf(gemPart)))

	gemFunctionDeclaration = obj(
		g("name", token), g("description", prose), g("behavior", token),
		g("parameters", schema), g("parametersJsonSchema", schema), g("response", schema), g("responseJsonSchema", schema),
	)

	gemTool = obj(
		g("functionDeclarations", arrayOf(gemFunctionDeclaration)),
		gRefused("googleSearch", reasonGeminiTool), gRefused("googleSearchRetrieval", reasonGeminiTool),
		gRefused("urlContext", reasonGeminiTool), gRefused("codeExecution", reasonGeminiTool),
		gRefused("computerUse", reasonGeminiTool), gRefused("fileSearch", reasonGeminiTool),
		gRefused("retrieval", reasonGeminiTool), gRefused("googleMaps", reasonGeminiTool),
		gRefused("enterpriseWebSearch", reasonGeminiTool),
	)

	gemToolConfig = obj(
		g("functionCallingConfig", obj(g("mode", token), g("allowedFunctionNames", tokens))),
		gRefused("retrievalConfig", reasonGeminiTool),
	)

	gemGenerationConfig = obj(
		g("stopSequences", tokens), g("responseMimeType", token), g("responseSchema", schema),
		g("responseJsonSchema", schema), g("responseModalities", tokens), g("candidateCount", number),
		g("maxOutputTokens", number), g("temperature", number), g("topP", number), g("topK", number),
		g("seed", number), g("presencePenalty", number), g("frequencyPenalty", number),
		g("responseLogprobs", boolean), g("logprobs", number), g("enableEnhancedCivicAnswers", boolean),
		g("mediaResolution", token),
		g("thinkingConfig", obj(g("thinkingBudget", number), g("includeThoughts", boolean), g("thinkingLevel", token))),
	)

	gemSafetySetting = obj(g("category", token), g("threshold", token), g("method", token))

	gemRequestFields = []fld{
		g("contents", arrayOf(gemContent)), g("systemInstruction", gemContent), g("tools", arrayOf(gemTool)),
		g("toolConfig", gemToolConfig), g("generationConfig", gemGenerationConfig),
		g("safetySettings", arrayOf(gemSafetySetting)), gRefused("cachedContent", reasonGeminiRef),
	}

	gemGenerate = obj(gemRequestFields...)

	gemCountTokens = obj(
		g("contents", arrayOf(gemContent)),
		g("generateContentRequest", obj(append([]fld{g("model", token)}, gemRequestFields...)...)),
	)

	googleRules = rulesFor(map[string]*node{
		"/v1beta/models/*:generateContent":       gemGenerate,
		"/v1beta/models/*:streamGenerateContent": gemGenerate,
		"/v1beta/models/*:countTokens":           gemCountTokens,
	})

	googleFilter = googleRules.filter("google")
)

// GoogleFilter is the [BodyFilter] of the Gemini API. It refuses every
// field it does not know, every tool but function declarations (Google
// Search, URL context, code execution, computer use, file search,
// retrieval, Maps), retrieval config, cached content, replayed code
// execution, and URLs anywhere but in prose; a fileUri outside the Files
// API is returned as a Fetch for the proxy's EgressPolicy to judge.
func GoogleFilter(path string, body []byte) (Filtered, error) { return googleFilter(path, body) }
