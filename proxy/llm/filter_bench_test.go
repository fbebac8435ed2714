package llm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// bigMessagesBody is a Messages request with a long conversation, about
// 500 KB, as an agent deep in a task sends.
func bigMessagesBody() []byte {
	var msgs []map[string]any
	for i := range 200 {
		msgs = append(msgs, map[string]any{"role": "user", "content": []map[string]any{{"type": "text", "text": strings.Repeat(fmt.Sprintf("line %d of the conversation ", i), 90)}}})
	}
	b, _ := json.Marshal(map[string]any{"model": "m", "max_tokens": 1024, "messages": msgs,
		"tools": []map[string]any{{"name": "read", "input_schema": map[string]any{"type": "object"}}}})
	return b
}

// BenchmarkBodyFilter measures the JSON check and the filter of a 500 KB
// request, the cost the proxy adds to such a request before it goes out.
func BenchmarkBodyFilter(b *testing.B) {
	body := bigMessagesBody()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := checkJSON(body); err != nil {
			b.Fatal(err)
		}
		if _, err := AnthropicFilter("/v1/messages", body); err != nil {
			b.Fatal(err)
		}
	}
}
