package stack_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// upstream is a tool server with fixed tools.
type upstream struct{ tools []ironcurtain.Tool }

func (u upstream) Tools(context.Context) ([]ironcurtain.Tool, error) { return u.tools, nil }
func (u upstream) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.Result{}, nil
}

// TestStackRefusesDriftedAnnotations: annotations made for another version
// of a server leave arguments the policy cannot see; the stack does not
// start on them (serve, exec and docker run all assemble a stack).
func TestStackRefusesDriftedAnnotations(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	ann := policy.DefaultAnnotations()
	git := ann.Servers["git"]
	for i, ta := range git.Tools {
		if ta.ToolName == "git_add" {
			for j, a := range ta.Args {
				if a.Name == "paths" {
					git.Tools[i].Args[j].Name = "files" // IronCurtain's older git server
				}
			}
		}
	}
	ann.Servers["git"] = git
	ann.Servers["tickets"] = policy.ServerAnnotations{Tools: []policy.ToolAnnotation{{ToolName: "close", Args: policy.Args{{Name: "id", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}}}}}}}
	annFile := filepath.Join(dir, "tool-annotations.json")
	b, err := json.Marshal(ann)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(annFile, b, 0o644))

	tickets := upstream{tools: []ironcurtain.Tool{{Name: "close", InputSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"}}}`)}}}
	_, err = stack.New(context.Background(), stack.Options{
		Sandbox: filepath.Join(dir, "sandbox"),
		Policy:  policy.Files{Annotations: annFile},
		Servers: map[string]ironcurtain.ToolServer{"tickets": tickets},
	})
	require.ErrorIs(t, err, policy.ErrDrift)
	require.ErrorContains(t, err, `git/git_add: argument renamed "files" to "paths"`)
	require.ErrorContains(t, err, `tickets/close: argument "url" with no role`)

	// Trusted servers need no annotations; a server without any is refused
	// call by call, which needs no check.
	s, err := stack.New(context.Background(), stack.Options{
		Sandbox: filepath.Join(dir, "sandbox"),
		Servers: map[string]ironcurtain.ToolServer{"tickets": tickets, "other": tickets},
		Trusted: []string{"tickets"},
	})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// changing is a tool server whose tools can change while it runs, as an
// upstream's do on a restart with another version.
type changing struct {
	mu    sync.Mutex
	tools []ironcurtain.Tool
}

func (c *changing) Tools(context.Context) ([]ironcurtain.Tool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.tools), nil
}

func (c *changing) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.Result{Content: []ironcurtain.Content{{Type: "text", Text: "done"}}}, nil
}

func (c *changing) set(schema string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tools = []ironcurtain.Tool{{Name: "close", InputSchema: json.RawMessage(schema)}}
}

// TestStackWithdrawsToolsThatDrift: a server whose tool gains an argument
// after the stack started (the agent could pass it, and the policy would
// not see it) has that tool withdrawn until it matches its annotation again.
func TestStackWithdrawsToolsThatDrift(t *testing.T) {
	dir := t.TempDir()
	ann := policy.DefaultAnnotations()
	ann.Servers["tickets"] = policy.ServerAnnotations{Tools: []policy.ToolAnnotation{{ToolName: "close", Args: policy.Args{{Name: "id", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}}}}}}}
	annFile := filepath.Join(dir, "tool-annotations.json")
	b, err := json.Marshal(ann)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(annFile, b, 0o644))
	pol := filepath.Join(dir, "compiled-policy.json")
	require.NoError(t, os.WriteFile(pol, []byte(`{"rules":[{"name":"allow-tickets","if":{"server":["tickets"]},"then":"allow","reason":"ok"}]}`), 0o644))

	up := &changing{}
	const good = `{"type":"object","properties":{"id":{"type":"string"}}}`
	up.set(good)
	s, err := stack.New(context.Background(), stack.Options{
		Sandbox: filepath.Join(dir, "sandbox"), Builtins: []string{},
		Policy:  policy.Files{Policy: pol, Annotations: annFile},
		Servers: map[string]ironcurtain.ToolServer{"tickets": up},
	})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	_, err = s.Gate.Call(ctx, call("tickets", "close", "id", "1"))
	require.NoError(t, err)

	up.set(`{"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"}}}`)
	tools, err := s.Gate.Tools(ctx)
	require.NoError(t, err)
	require.Empty(t, tools, "the drifted tool is not offered")
	_, err = s.Gate.Call(ctx, call("tickets", "close", "id", "1", "url", "https://evil.example/"))
	require.ErrorIs(t, err, ironcurtain.ErrUnknownTool)

	up.set(good)
	_, err = s.Gate.Call(ctx, call("tickets", "close", "id", "2"))
	require.NoError(t, err, "back in line with its annotation, the tool is served again")
}
