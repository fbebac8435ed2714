package git_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
)

// A server confined to one directory: create a repository, make it the
// session's working directory, commit a file, and read the status back.
func Example() {
	sandbox, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(sandbox)

	srv, err := git.New(git.Options{Roots: []string{sandbox}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx := context.Background()
	call := func(tool string, args map[string]any) ironcurtain.Result {
		res, err := srv.Call(ctx, ironcurtain.ToolCall{Session: "demo", Server: git.ServerName, Tool: tool, Arguments: args})
		if err != nil {
			fmt.Println("error:", err)
		}
		return res
	}
	project := filepath.Join(sandbox, "project")
	call("git_set_working_dir", map[string]any{"path": project, "initializeIfNotPresent": true})
	if err := os.WriteFile(filepath.Join(project, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(call("git_status", nil).Text())
	call("git_add", map[string]any{"paths": []any{"hello.txt"}})
	call("git_commit", map[string]any{"message": "Add hello"})
	fmt.Println(call("git_log", map[string]any{"oneline": true}).IsError)
	fmt.Println(call("git_status", nil).Text())
	fmt.Println(call("git_status", map[string]any{"path": "/etc"}).Text())
	// Output:
	// On branch main (no commits yet)
	// Untracked:
	//   hello.txt
	// false
	// On branch main
	// Nothing to commit, working tree clean
	// path "[path outside the allowed directories]" is outside the directories this git server may use
}
