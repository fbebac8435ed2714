package ironcurtain

import (
	"bytes"
	"context"
	"sync"

	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
)

// schemaCache holds each tool's compiled input schema. An entry is keyed by
// server and tool and remembers the schema text it was compiled from, so that
// a tool whose schema changed (an MCP server announced a new list) is
// recompiled on its next call.
type schemaCache struct {
	mu      sync.RWMutex
	schemas map[toolKey]*compiledSchema
}

type toolKey struct{ server, tool string }

type compiledSchema struct {
	text   []byte
	schema *jsonschema.Schema
	err    error
}

func (c *schemaCache) get(server string, t *Tool) (*jsonschema.Schema, error) {
	k := toolKey{server, t.Name}
	c.mu.RLock()
	cs := c.schemas[k]
	c.mu.RUnlock()
	if cs != nil && bytes.Equal(cs.text, t.InputSchema) {
		return cs.schema, cs.err
	}
	s, err := jsonschema.Compile(t.InputSchema)
	cs = &compiledSchema{text: bytes.Clone(t.InputSchema), schema: s, err: err}
	c.mu.Lock()
	if c.schemas == nil {
		c.schemas = map[toolKey]*compiledSchema{}
	}
	c.schemas[k] = cs
	c.mu.Unlock()
	return s, err
}

// findTool asks srv for its current tools and returns the one named name.
// It asks on every call, because a server's list may change between calls;
// a server backed by a remote process should answer from a cached list.
func findTool(ctx context.Context, srv ToolServer, name string) (Tool, bool, error) {
	tools, err := srv.Tools(ctx)
	if err != nil {
		return Tool{}, false, err
	}
	for i := range tools {
		if tools[i].Name == name {
			return tools[i], true, nil
		}
	}
	return Tool{}, false, nil
}
