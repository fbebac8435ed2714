// Package defaultsgen compiles the default constitution in policy/defaults
// into the embedded compiled policy and lists. The generator
// (internal/gendefaults, run by go generate) writes its output; a test
// fails when the files and the compiler's output drift apart.
package defaultsgen

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// Files are the generated files' names and contents.
type Files map[string][]byte

// Generate compiles dir/constitution.md against dir/tool-annotations.json,
// with the values of dir/dynamic-lists.json as the known lists, offline.
// It returns the compiled policy and lists as they should be on disk.
func Generate(ctx context.Context, dir string) (Files, error) {
	src, err := os.ReadFile(filepath.Join(dir, "constitution.md"))
	if err != nil {
		return nil, err
	}
	var ann policy.Annotations
	if err := readJSON(filepath.Join(dir, compile.AnnotationsFile), &ann); err != nil {
		return nil, err
	}
	var lists policy.Lists
	if err := readJSON(filepath.Join(dir, compile.ListsFile), &lists); err != nil {
		return nil, err
	}
	res, err := compile.Compile(ctx, src, compile.Options{Annotations: &ann, Lists: &lists})
	if err != nil {
		return nil, err
	}
	for _, d := range res.Diagnostics {
		if d.Severity == compile.Warning {
			return nil, fmt.Errorf("the default constitution must compile cleanly: %s", d)
		}
	}
	out := Files{}
	if out[compile.PolicyFile], err = compile.Encode(res.Policy); err != nil {
		return nil, err
	}
	if out[compile.ListsFile], err = compile.Encode(res.Lists); err != nil {
		return nil, err
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
