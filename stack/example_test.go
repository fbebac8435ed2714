package stack_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// A stack is the trusted side in one call: the default policy, the
// built-in servers rooted in the sandbox, the audit log and the Gate that
// every call passes.
func Example() {
	dir, err := os.MkdirTemp("", "stack-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sandbox := filepath.Join(dir, "sandbox")

	st, err := stack.New(context.Background(), stack.Options{
		Sandbox:  sandbox,
		Audit:    filepath.Join(dir, "state", "audit.jsonl"),
		Builtins: []string{stack.Filesystem},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	call := func(tool string, args map[string]any) {
		res, err := st.Gate.Call(context.Background(), ironcurtain.ToolCall{Server: stack.Filesystem, Tool: tool, Arguments: args})
		var denied *ironcurtain.DeniedError
		switch {
		case errors.As(err, &denied):
			fmt.Println(tool, "->", denied.AgentMessage())
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Println(tool, "->", strings.ReplaceAll(res.Text(), dir, "$DIR"))
		}
	}
	call("write_file", map[string]any{"path": filepath.Join(sandbox, "hello.txt"), "content": "hello"})
	call("read_text_file", map[string]any{"path": filepath.Join(sandbox, "hello.txt")})
	// Nobody is there to approve (Options.Human is nil), so a write
	// outside the sandbox, which the policy escalates, is denied.
	call("write_file", map[string]any{"path": filepath.Join(dir, "outside.txt"), "content": "x"})

	seq, _, _ := st.AuditHead()
	fmt.Println("audit records:", seq)
	// Output:
	// write_file -> Wrote 5 bytes to $DIR/sandbox/hello.txt
	// read_text_file -> hello
	// write_file -> ESCALATION DENIED: Writing files outside the sandbox needs the user's approval.
	// audit records: 4
}
