package policy_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// The default policy decides calls on the real file system: paths are
// resolved (symbolic links followed) before any rule looks at them.
func Example() {
	home, err := os.MkdirTemp("", "home-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(home)
	sandbox := filepath.Join(home, "sandbox")
	if err := os.Mkdir(sandbox, 0o700); err != nil {
		log.Fatal(err)
	}
	// A link the agent made in its sandbox, to the user's keys.
	if err := os.Symlink(filepath.Join(home, ".ssh"), filepath.Join(sandbox, "keys")); err != nil {
		log.Fatal(err)
	}

	engine, err := policy.Default(policy.Config{Home: home, Sandbox: sandbox})
	if err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(sandbox, "notes.md"),
		filepath.Join(sandbox, "keys", "id_ed25519"),
		filepath.Join(home, "Documents", "plan.md"),
	} {
		d, err := engine.Evaluate(context.Background(), ironcurtain.ToolCall{
			Server: "filesystem", Tool: "write_file",
			Arguments: map[string]any{"path": path, "content": "x"},
		})
		if err != nil {
			log.Fatal(err)
		}
		rel, _ := filepath.Rel(home, path)
		fmt.Printf("%s: %s (%s)\n", rel, d.Verdict, d.Rule)
	}
	// Output:
	// sandbox/notes.md: allow (structural-sandbox-allow)
	// sandbox/keys/id_ed25519: deny (structural-protected-path)
	// Documents/plan.md: escalate (escalate-write-outside-sandbox)
}
