package fs_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
)

func Example() {
	sandbox, err := os.MkdirTemp("", "sandbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(sandbox)

	srv, err := fs.New(fs.Options{Roots: []string{sandbox}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	run := func(tool string, args map[string]any) {
		res, err := srv.Call(context.Background(), ironcurtain.ToolCall{Server: fs.ServerName, Tool: tool, Arguments: args})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (error: %t):\n%s\n", tool, res.IsError, res.Text())
	}
	run("write_file", map[string]any{"path": "notes.txt", "content": "one\ntwo\nthree\n"})
	run("read_text_file", map[string]any{"path": "notes.txt", "tail": 1})
	run("read_text_file", map[string]any{"path": "../../etc/passwd"})
	// Output:
	// write_file (error: false):
	// Wrote 14 bytes to notes.txt
	// read_text_file (error: false):
	// three
	//
	// read_text_file (error: true):
	// cannot read ../../etc/passwd: it is outside the allowed directories (see list_allowed_directories)
}
