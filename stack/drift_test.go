package stack_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
