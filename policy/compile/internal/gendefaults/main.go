// Command gendefaults regenerates policy/defaults/compiled-policy.json and
// dynamic-lists.json from policy/defaults/constitution.md with the
// controlled-English compiler, offline. Run it with go generate in
// policy/compile.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/policy/compile/internal/defaultsgen"
)

func main() {
	dir := flag.String("dir", "../defaults", "the directory of the default policy")
	flag.Parse()
	files, err := defaultsgen.Generate(context.Background(), *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendefaults:", err)
		os.Exit(1)
	}
	// The policy last, as WriteArtifacts does.
	for _, n := range []string{"dynamic-lists.json", "compiled-policy.json"} {
		if err := os.WriteFile(filepath.Join(*dir, n), files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gendefaults:", err)
			os.Exit(1)
		}
	}
}
