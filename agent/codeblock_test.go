package agent

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExtractCode(t *testing.T) {
	cases := []struct {
		name string
		text string
		want extraction
	}{
		{"none", "Just prose.", extraction{}},
		{"ts", "Look:\n```ts\nreturn 1;\n```\nthen", extraction{code: "return 1;", found: true, closed: true}},
		{"typescript, upper case, info after", "```TypeScript title=x\nconst a = 1;\nreturn a;\n```", extraction{code: "const a = 1;\nreturn a;", found: true, closed: true}},
		{"js", "```javascript\nreturn 2;\n```", extraction{code: "return 2;", found: true, closed: true}},
		{"crlf", "```ts\r\nreturn 3;\r\n```\r\n", extraction{code: "return 3;", found: true, closed: true}},
		{"indented up to three spaces", "   ```ts\nreturn 4;\n   ```", extraction{code: "return 4;", found: true, closed: true}},
		{"four spaces is not a fence", "    ```ts\nreturn 5;\n    ```", extraction{}},
		{"bare fence is prose", "```\nreturn 6;\n```", extraction{}},
		{"json fence is prose, its content skipped", "```json\n```ts\n```\nok", extraction{}},
		{"ts inside a longer prose fence is skipped", "````md\n```ts\nreturn 1;\n```\n````\n", extraction{}},
		{"longer closing fence", "```ts\nreturn 7;\n`````", extraction{code: "return 7;", found: true, closed: true}},
		{"shorter fence inside does not close", "````ts\nconst s = `\n```\n`;\n````", extraction{code: "const s = `\n```\n`;", found: true, closed: true}},
		{"closing fence with text is content", "```ts\n``` not closed\nreturn 8;\n```", extraction{code: "``` not closed\nreturn 8;", found: true, closed: true}},
		{"unclosed", "```ts\nreturn 9;", extraction{code: "return 9;", found: true}},
		{"empty block", "```ts\n```", extraction{code: "", found: true, closed: true}},
		{"backtick in info string is not a fence", "```ts`\nreturn 1;\n```", extraction{}},
		{"extra blocks counted", "```ts\na\n```\n```js\nb\n```\n```ts\nc", extraction{code: "a", found: true, closed: true, extra: 2}},
		{"inline code is not a fence", "Use ```ts return 1``` inline.", extraction{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, extractCode(tc.text))
		})
	}
}

func TestClip(t *testing.T) {
	require.Equal(t, "short", clip("short", 10))
	s := strings.Repeat("a", 80) + strings.Repeat("b", 20) + strings.Repeat("c", 100)
	got := clip(s, 100)
	require.Equal(t, strings.Repeat("a", 80)+"\n[... 100 bytes left out ...]\n"+strings.Repeat("c", 20), got)
	// Cuts fall on character boundaries.
	u := strings.Repeat("é", 100) // 200 bytes
	got = clip(u, 51)
	require.True(t, strings.HasPrefix(got, strings.Repeat("é", 20)+"\n"))
	require.True(t, strings.HasSuffix(got, "\n"+strings.Repeat("é", 5)))
}
