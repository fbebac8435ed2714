package codemode

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// FuzzDeclarations feeds arbitrary schemas and names to the declaration
// generator: it must not panic, must be deterministic, must stay small,
// and must always produce TypeScript that parses.
func FuzzDeclarations(f *testing.F) {
	for _, st := range goldenTools() {
		f.Add(st.Server, st.Tool.Name, st.Tool.Description, string(st.Tool.InputSchema), string(st.Tool.OutputSchema))
	}
	f.Add("a", "b", "*/ /* */", `{"$ref":"#","type":"object","properties":{"x":{"$ref":"#"}}}`, `{"anyOf":[{"$ref":"#"},{"$ref":"#"}]}`)
	f.Add("\x00", "\u2028", "\r\n", `{"properties":{"\u2028":{"enum":["\u2029",-0.5e3]}}}`, `{"allOf":[{"oneOf":[true,false]}]}`)
	f.Fuzz(func(t *testing.T, server, tool, desc, in, out string) {
		st := ironcurtain.ServerTool{Server: server, Tool: ironcurtain.Tool{
			Name: tool, Description: desc, InputSchema: json.RawMessage(in), OutputSchema: json.RawMessage(out),
		}}
		got := declarations(bind([]ironcurtain.ServerTool{st, st}))
		require.Equal(t, got, declarations(bind([]ironcurtain.ServerTool{st, st})))
		require.Less(t, len(got), 4*(len(desc)+len(server)+len(tool))+64*(len(in)+len(out))+1<<16)
		requireValidTS(t, got)
	})
}

// FuzzStackMapping feeds arbitrary source maps and stacks to the code that
// maps the engine's errors back to the script.
func FuzzStackMapping(f *testing.F) {
	prog, err := compile("const a: number = 1;\nfunction g() { throw new Error('x') }\ng();")
	require.NoError(f, err)
	f.Add("AAAA;AACA,CAAC;;ACDE", "Error", "x", "    at g (agent.js:3:9)\n    at <anonymous> (agent.js:4:3)\n    at f (prelude.js:1:1)", 3, 9)
	f.Add(";;;;gggggg+/,A", "", "", "at agent.js:99999999999999999999:1\nat (agent.js:1:1)\nat x (agent.js:-1:2)", 1, 1)
	f.Fuzz(func(t *testing.T, mappings, name, message, stack string, line, col int) {
		lm := parseMappings(mappings)
		if l, c, ok := lm.lookup(line, col); ok {
			require.GreaterOrEqual(t, l, 0)
			require.GreaterOrEqual(t, c, 0)
		}
		for _, p := range []*program{prog, {lines: lm, scriptLines: 3}, nil} {
			if p == nil {
				continue
			}
			se := p.scriptError(jsError{Name: name, Message: message, Stack: stack})
			require.GreaterOrEqual(t, se.Line, 0)
			if se.Line > 0 {
				require.LessOrEqual(t, se.Line, p.scriptLines)
				require.Positive(t, se.Column)
			}
			// Every location is mapped to the TypeScript file. A frame's
			// name is the script's own choice and may say anything, so only
			// the location, the last parenthesis of each line, is checked.
			for _, frame := range strings.Split(se.Stack, "\n") {
				if i := strings.LastIndex(frame, "("); i >= 0 && strings.HasSuffix(frame, ")") {
					require.False(t, strings.HasPrefix(frame[i+1:], jsFile+":"), "unmapped frame %q", frame)
				}
			}
			_ = se.Error()
			_ = p.evalError(errString(name + ": " + message + "\n" + stack))
		}
	})
}

type errString string

func (e errString) Error() string { return string(e) }

// FuzzJSONNode checks the order-keeping JSON decoder against encoding/json.
func FuzzJSONNode(f *testing.F) {
	f.Add(`{"a":1,"b":[true,null,"x"],"a":2}`)
	f.Add(`[[[[[[[[[[[[]]]]]]]]]]]]`)
	f.Add(`{"x":1} trailing`)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseJSON([]byte(s))
		if err == nil {
			require.True(t, json.Valid([]byte(s)), "accepted invalid JSON %q", s)
			require.NotNil(t, n)
		} else if json.Valid([]byte(s)) {
			require.ErrorIs(t, err, errJSONDepth, "rejected valid JSON %q", s)
		}
	})
}

// FuzzOutput checks the capped console buffer: never over the cap, never
// a broken UTF-8 character made by the cut.
func FuzzOutput(f *testing.F) {
	f.Add(10, "héllo wörld", []byte("a\nbc\n\nd"))
	f.Fuzz(func(t *testing.T, limit int, line string, raw []byte) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		o := newOutput(limit)
		o.line(line)
		_, _ = o.Write(raw)
		o.line(line)
		lines := o.snapshot()
		total := 0
		for i, l := range lines {
			if o.cut && i == len(lines)-1 {
				require.True(t, strings.HasPrefix(l, "[output truncated"))
				continue
			}
			total += len(l)
			if utf8.ValidString(line) && !strings.ContainsRune(string(raw), utf8.RuneError) && utf8.Valid(raw) {
				require.True(t, utf8.ValidString(l), "%q", l)
			}
		}
		require.LessOrEqual(t, total, limit)
	})
}
