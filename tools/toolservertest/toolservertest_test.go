package toolservertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/faultchild"
	"github.com/ironcurtain-go/ironcurtain/tools/toolservertest"
)

// echo is a small server that keeps the contract, unless one of its
// faults is switched on.
type echo struct {
	fault string
}

func (e *echo) Tools(context.Context) ([]ironcurtain.Tool, error) {
	schema := `{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`
	if e.fault == "schema" {
		schema = `{"type":"array"}`
	}
	return []ironcurtain.Tool{{Name: "echo", InputSchema: json.RawMessage(schema)}}, nil
}

func (e *echo) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if e.fault == "mutate" {
		call.Arguments["seen"] = true
	}
	if call.Tool != "echo" {
		if e.fault == "unknown" {
			return ironcurtain.TextResult("ran " + call.Tool), nil
		}
		return ironcurtain.Result{}, fmt.Errorf("no tool %q: %w", call.Tool, ironcurtain.ErrUnknownTool)
	}
	text, ok := call.Arguments["text"].(string)
	if !ok && e.fault != "types" {
		return ironcurtain.ErrorResult("text must be a string"), nil
	}
	return ironcurtain.TextResult(text), nil
}

// TestKeepsContract: a server that keeps the contract passes.
func TestKeepsContract(t *testing.T) {
	if f := os.Getenv("TOOLSERVERTEST_FAULT"); f != "" {
		toolservertest.Run(t, func(*testing.T) ironcurtain.ToolServer { return &echo{fault: f} })
		return
	}
	toolservertest.Run(t, func(*testing.T) ironcurtain.ToolServer { return &echo{} })
}

// TestCatchesBrokenServers runs the suite, in a child process, against
// servers that each break one promise, and requires it to fail.
func TestCatchesBrokenServers(t *testing.T) {
	faultchild.RequireCaught(t, "TOOLSERVERTEST_FAULT", "TestKeepsContract", "schema", "mutate", "unknown", "types")
}
