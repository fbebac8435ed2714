// Package toolservertest is the contract of [ironcurtain.ToolServer] as a
// reusable test suite. Run it against every implementation: the built-in
// servers, the MCP proxy's client, and any server of your own.
//
//	func TestContract(t *testing.T) {
//		toolservertest.Run(t, func(t *testing.T) ironcurtain.ToolServer {
//			srv, err := myserver.New(myserver.Options{Root: t.TempDir()})
//			require.NoError(t, err)
//			return srv
//		})
//	}
//
// The suite calls every tool the server lists with hostile arguments
// (none, wrong types, huge values), so the factory must confine the
// server to the test's own temporary directories.
package toolservertest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/jsonschema"
	"github.com/stretchr/testify/require"
)

// Factory returns a fresh server for one subtest. The suite closes it
// when it implements io.Closer; the factory may also register its own
// cleanup with t.Cleanup.
type Factory func(t *testing.T) ironcurtain.ToolServer

// callTimeout bounds every call the suite makes: a server must honour
// the context it is given.
const callTimeout = 20 * time.Second

// Run checks the contract of ironcurtain.ToolServer:
//   - Tools lists at least one tool, names unique and non-empty, each with
//     an input schema that is a JSON Schema of an object (and an output
//     schema, when given, that compiles), and gives the same list twice;
//   - Call of a tool the server does not have fails (an error or an
//     IsError result), and so does a call with arguments its schema
//     refuses: none at all when some are required, a value of the wrong
//     type for every property, a megabyte string;
//   - a call whose context is already done returns promptly and does not
//     report success;
//   - Tools and Call are safe for concurrent use (run the suite with
//     -race);
//   - Call does not modify the arguments it is given;
//   - a server that is an io.Closer can be closed twice, and fails the
//     calls made after.
//
// A Result with IsError set is always acceptable where a call must fail;
// what a server does with arguments its schema admits is its own affair.
func Run(t *testing.T, newServer Factory) {
	t.Helper()
	t.Run("Tools", func(t *testing.T) { checkTools(t, open(t, newServer)) })
	t.Run("UnknownTool", func(t *testing.T) { checkUnknownTool(t, open(t, newServer)) })
	t.Run("RefusedArguments", func(t *testing.T) { checkRefusedArguments(t, open(t, newServer)) })
	t.Run("DoneContext", func(t *testing.T) { checkDoneContext(t, open(t, newServer)) })
	t.Run("Concurrent", func(t *testing.T) { checkConcurrent(t, open(t, newServer)) })
	t.Run("Close", func(t *testing.T) { checkClose(t, newServer(t)) })
}

// open makes a server that is closed when the subtest ends.
func open(t *testing.T, newServer Factory) ironcurtain.ToolServer {
	srv := newServer(t)
	require.NotNil(t, srv, "the factory returned no server")
	if c, ok := srv.(io.Closer); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	return srv
}

func tools(t *testing.T, srv ironcurtain.ToolServer) []ironcurtain.Tool {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	list, err := srv.Tools(ctx)
	require.NoError(t, err, "Tools")
	return list
}

func checkTools(t *testing.T, srv ironcurtain.ToolServer) {
	list := tools(t, srv)
	require.NotEmpty(t, list, "a server lists at least one tool")
	seen := map[string]bool{}
	for _, tool := range list {
		require.NotEmpty(t, tool.Name, "a tool has a name")
		require.False(t, seen[tool.Name], "tool %q is listed twice", tool.Name)
		seen[tool.Name] = true
		var schema map[string]any
		require.NoError(t, json.Unmarshal(tool.InputSchema, &schema), "tool %q: the input schema is a JSON object", tool.Name)
		require.Equal(t, "object", schema["type"], "tool %q: the input schema describes an object", tool.Name)
		_, err := jsonschema.Compile(tool.InputSchema)
		require.NoError(t, err, "tool %q: the input schema compiles", tool.Name)
		if len(tool.OutputSchema) > 0 {
			_, err := jsonschema.Compile(tool.OutputSchema)
			require.NoError(t, err, "tool %q: the output schema compiles", tool.Name)
		}
	}
	require.Equal(t, list, tools(t, srv), "Tools gives the same list twice")
}

// call makes one call with the suite's timeout and reports whether it
// failed (an error or an IsError result).
func call(t *testing.T, srv ironcurtain.ToolServer, ctx context.Context, tool string, args map[string]any) (failed bool, res ironcurtain.Result, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = srv.Call(ctx, ironcurtain.ToolCall{Server: "under-test", Tool: tool, Arguments: args})
	}()
	select {
	case <-done:
	case <-time.After(callTimeout + 5*time.Second):
		t.Fatalf("Call of %q did not return within %v of its deadline", tool, 5*time.Second)
	}
	return err != nil || res.IsError, res, err
}

func checkUnknownTool(t *testing.T, srv ironcurtain.ToolServer) {
	names := map[string]bool{}
	for _, tool := range tools(t, srv) {
		names[tool.Name] = true
	}
	for _, name := range []string{"no_such_tool_at_all", "", "../" + firstName(names), strings.ToUpper(firstName(names)) + "\x00"} {
		if names[name] {
			continue
		}
		failed, _, _ := call(t, srv, context.Background(), name, map[string]any{})
		require.True(t, failed, "a call of the unknown tool %q fails", name)
	}
}

func firstName(names map[string]bool) string {
	first := ""
	for n := range names {
		if first == "" || n < first {
			first = n
		}
	}
	return first
}

// wrongValue is a JSON value of a type other than the schema's.
func wrongValue(prop map[string]any) any {
	switch prop["type"] {
	case "string":
		return 12345.0
	case "array":
		return "not an array"
	case "object":
		return []any{"not", "an", "object"}
	case "boolean":
		return "not a boolean"
	case "number", "integer":
		return map[string]any{"not": "a number"}
	}
	return nil
}

func checkRefusedArguments(t *testing.T, srv ironcurtain.ToolServer) {
	for _, tool := range tools(t, srv) {
		var schema struct {
			Properties map[string]map[string]any `json:"properties"`
			Required   []string                  `json:"required"`
		}
		require.NoError(t, json.Unmarshal(tool.InputSchema, &schema))
		if len(schema.Required) > 0 {
			failed, _, _ := call(t, srv, context.Background(), tool.Name, map[string]any{})
			require.True(t, failed, "%s: a call without its required arguments %v fails", tool.Name, schema.Required)
		}
		for name, prop := range schema.Properties {
			bad := wrongValue(prop)
			if bad == nil {
				continue
			}
			args := map[string]any{name: bad}
			failed, _, _ := call(t, srv, context.Background(), tool.Name, args)
			require.True(t, failed, "%s: a call with %s = %#v (not a %v) fails", tool.Name, name, bad, prop["type"])
		}
		// Arguments are not modified, whatever the call does with them.
		args := map[string]any{}
		for name, prop := range schema.Properties {
			if prop["type"] == "string" {
				args[name] = strings.Repeat("x", 1<<20)
			}
		}
		before := deepCopy(args)
		call(t, srv, context.Background(), tool.Name, args)
		require.True(t, reflect.DeepEqual(before, args), "%s: Call modified its arguments", tool.Name)
	}
}

func deepCopy(v map[string]any) map[string]any {
	b, _ := json.Marshal(v) // the suite's own values always encode
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func checkDoneContext(t *testing.T, srv ironcurtain.ToolServer) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tool := range tools(t, srv) {
		start := time.Now()
		failed, _, err := call(t, srv, ctx, tool.Name, map[string]any{})
		require.Less(t, time.Since(start), 5*time.Second, "%s: a call with a done context returns promptly", tool.Name)
		if err != nil {
			continue
		}
		// A server may answer from memory without looking at ctx, but it
		// must not have done the work: only refusals are checked for.
		_ = failed
	}
}

func checkConcurrent(t *testing.T, srv ironcurtain.ToolServer) {
	list := tools(t, srv)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			if _, err := srv.Tools(ctx); err != nil {
				t.Errorf("concurrent Tools: %v", err)
			}
			tool := list[i%len(list)]
			if _, err := srv.Call(ctx, ironcurtain.ToolCall{Server: "under-test", Tool: tool.Name, Arguments: map[string]any{}}); err != nil && errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("concurrent Call of %s ran out of time", tool.Name)
			}
		}(i)
	}
	wg.Wait()
}

func checkClose(t *testing.T, srv ironcurtain.ToolServer) {
	c, ok := srv.(io.Closer)
	if !ok {
		t.Skip("the server holds no resources (it is not an io.Closer)")
	}
	list := tools(t, srv)
	require.NoError(t, c.Close(), "Close")
	_ = c.Close() // a second Close may report an error, but must not panic or hang
	failed, _, _ := call(t, srv, context.Background(), list[0].Name, map[string]any{})
	require.True(t, failed, "a call after Close fails")
}
