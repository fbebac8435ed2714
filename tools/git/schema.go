package git

import (
	"encoding/json"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// prop is one property of a tool's input schema.
type prop struct {
	name     string
	schema   map[string]any
	required bool
}

func (p prop) req() prop { p.required = true; return p }

func (p prop) def(v any) prop {
	p.schema["default"] = v
	return p
}

func pStr(name, desc string) prop {
	return prop{name: name, schema: map[string]any{"type": "string", "description": desc}}
}

func pBool(name, desc string) prop {
	return prop{name: name, schema: map[string]any{"type": "boolean", "description": desc}}
}

func pInt(name, desc string, min int) prop {
	return prop{name: name, schema: map[string]any{"type": "integer", "description": desc, "minimum": min}}
}

func pEnum(name, desc string, values ...string) prop {
	return prop{name: name, schema: map[string]any{"type": "string", "description": desc, "enum": values}}
}

func pStrs(name, desc string) prop {
	return prop{name: name, schema: map[string]any{"type": "array", "description": desc, "items": map[string]any{"type": "string"}}}
}

// pRepo is the "path" argument of every repository tool.
func pRepo() prop {
	return pStr("path", `Repository directory. "." (the default) means the session's working directory set by git_set_working_dir; a relative path is resolved against it.`).def(".")
}

// object builds an input schema. Unknown arguments are refused.
func object(props ...prop) json.RawMessage {
	properties := make(map[string]any, len(props))
	required := []string{}
	for _, p := range props {
		properties[p.name] = p.schema
		if p.required {
			required = append(required, p.name)
		}
	}
	s := map[string]any{"type": "object", "properties": properties, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic("git: schema: " + err.Error()) // a programming error in the table
	}
	return b
}

// Annotation presets.
var (
	annRead        = ironcurtain.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	annIdempotent  = ironcurtain.ToolAnnotations{IdempotentHint: true}
	annDestructive = ironcurtain.ToolAnnotations{DestructiveHint: true}
	annNetwork     = ironcurtain.ToolAnnotations{OpenWorldHint: true}
	annNetDestroy  = ironcurtain.ToolAnnotations{OpenWorldHint: true, DestructiveHint: true}
)

// tool assembles one table entry.
func tool(name, title, desc string, ann ironcurtain.ToolAnnotations, schema json.RawMessage, h handler) toolset.Tool {
	return toolset.Tool{
		Def: ironcurtain.Tool{
			Name:        name,
			Title:       title,
			Description: desc,
			InputSchema: schema,
			Annotations: ann,
		},
		Handle: wrap(h),
	}
}
