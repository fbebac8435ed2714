package codemode

import (
	"encoding/json"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// File names the script goes by: errors name the TypeScript file; stacks
// inside the engine name the JavaScript one.
const (
	tsFile = "agent.ts"
	jsFile = "agent.js"
)

// wrapHead and wrapTail turn a script into the body of an async function
// handed to the prelude's __ic_main. The head is one line, so line n of the
// wrapped source is line n-1 of the script.
const (
	wrapHead = "__ic_main(async () => {\n"
	wrapTail = "\n});\n"
)

// program is a script ready to run: its JavaScript and the map back to the
// script's own lines and columns.
type program struct {
	js    string
	lines *lineMap
	// scriptLines is the number of lines of the script, to clamp positions
	// that fall in the wrapper.
	scriptLines int
}

// compile strips the types from a TypeScript script and wraps it. Dynamic
// import() is lowered to require(), which the prelude defines to throw, so
// no module can be loaded. A syntax error comes back as a *ScriptError
// positioned in the script.
func compile(source string) (*program, error) {
	if strings.IndexByte(source, 0) >= 0 {
		// qjs reads the code as a C string: a NUL would cut it short.
		return nil, &ScriptError{Name: "SyntaxError", Message: "the script contains a NUL character", Line: 1, Column: 1}
	}
	scriptLines := strings.Count(source, "\n") + 1
	r := api.Transform(wrapHead+source+wrapTail, api.TransformOptions{
		Loader:     api.LoaderTS,
		Format:     api.FormatESModule,
		Target:     api.ES2023,
		Sourcefile: tsFile,
		Sourcemap:  api.SourceMapExternal,
		Supported:  map[string]bool{"dynamic-import": false},
		LogLevel:   api.LogLevelSilent,
		Charset:    api.CharsetUTF8,
	})
	if len(r.Errors) > 0 {
		return nil, syntaxError(r.Errors, scriptLines)
	}
	var sm struct {
		Mappings string `json:"mappings"`
	}
	if err := json.Unmarshal(r.Map, &sm); err != nil {
		return nil, &ScriptError{Name: "SyntaxError", Message: "the script could not be compiled: " + err.Error()}
	}
	return &program{js: string(r.Code), lines: parseMappings(sm.Mappings), scriptLines: scriptLines}, nil
}

// syntaxError turns esbuild's first error into a *ScriptError; the others
// are listed in its Stack.
func syntaxError(msgs []api.Message, scriptLines int) *ScriptError {
	e := &ScriptError{Name: "SyntaxError", Message: msgs[0].Text}
	if loc := msgs[0].Location; loc != nil {
		e.Line, e.Column = clampLine(loc.Line-1, scriptLines), loc.Column+1
	}
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("SyntaxError: ")
		b.WriteString(m.Text)
		if loc := m.Location; loc != nil {
			b.WriteString(" (")
			b.WriteString(position(tsFile, clampLine(loc.Line-1, scriptLines), loc.Column+1))
			b.WriteString(")")
		}
		b.WriteByte('\n')
	}
	e.Stack = strings.TrimSuffix(b.String(), "\n")
	return e
}

// clampLine keeps a position that falls on the wrapper's lines inside the
// script: an error at the closing line is reported at the script's end.
func clampLine(line, scriptLines int) int {
	return max(1, min(line, scriptLines))
}

// toScript maps a 1-based line and column of the generated JavaScript to
// the script's own 1-based line and column. ok is false when the position
// is not in the script's code.
func (p *program) toScript(line, col int) (int, int, bool) {
	if p == nil || p.lines == nil {
		return 0, 0, false
	}
	ol, oc, ok := p.lines.lookup(line-1, col-1)
	if !ok {
		return 0, 0, false
	}
	return clampLine(ol, p.scriptLines), oc + 1, true
}
