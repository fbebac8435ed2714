package main

import (
	"encoding/json"
	"os"
)

// Step is one step of a script: a tool call through MCP, or something the
// agent does in the container itself.
type Step struct {
	// Op is "call" (Tool with Args), "symlink" (Path pointing at Target),
	// "write" (Content to Path, created or truncated), "append" (Content
	// to the end of Path), "mkdir" (Path) or "read" (Path).
	Op      string
	Tool    string
	Args    map[string]any
	Path    string
	Target  string
	Content string
}

// StepResult is what came of one step: the call's answer, or the error of
// the container-side operation ("" when it worked) and what "read" read.
type StepResult struct {
	Op   string
	Call CallResult
	Err  string
	Data string
}

// ScriptReport is the report of the "script" mode.
type ScriptReport struct {
	Error string
	Tools []string
	Steps []StepResult
}

// script runs the steps in src, a JSON array of Step, in order.
func script(src string) {
	var r ScriptReport
	var steps []Step
	if err := json.Unmarshal([]byte(src), &steps); err != nil {
		r.Error = "bad script: " + err.Error()
		emit(r)
		os.Exit(1)
	}
	c, err := startMCP()
	if err != nil {
		r.Error = err.Error()
		emit(r)
		os.Exit(1)
	}
	defer c.close()
	if r.Tools, err = c.list(); err != nil {
		r.Error = err.Error()
		emit(r)
		os.Exit(1)
	}
	for _, s := range steps {
		res := StepResult{Op: s.Op}
		var err error
		switch s.Op {
		case "call":
			res.Call, err = c.call(s.Tool, s.Args)
			if err != nil {
				res.Call.RPCError, err = err.Error(), nil
			}
		case "symlink":
			err = os.Symlink(s.Target, s.Path)
		case "write":
			err = os.WriteFile(s.Path, []byte(s.Content), 0o644)
		case "append":
			var f *os.File
			if f, err = os.OpenFile(s.Path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
				_, err = f.WriteString(s.Content)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
		case "mkdir":
			err = os.Mkdir(s.Path, 0o755)
		case "read":
			var b []byte
			b, err = os.ReadFile(s.Path)
			res.Data = string(b)
		default:
			res.Err = "unknown op " + s.Op
		}
		if err != nil {
			res.Err = err.Error()
		}
		r.Steps = append(r.Steps, res)
	}
	emit(r)
}
