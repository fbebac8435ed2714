// Package toolsettest pins the schemas a tool server publishes in golden
// files, so that a change to what agents and policies see is always
// deliberate:
//
//	var update = flag.Bool("update", false, "rewrite testdata/schemas")
//
//	func TestSchemasGolden(t *testing.T) {
//		tools, err := srv.Tools(ctx)
//		...
//		toolsettest.Golden(t, tools, filepath.Join("testdata", "schemas"), *update)
//	}
//
// It uses only the standard library's testing package, so that any tool
// server, in this module or outside it, can use it.
package toolsettest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

// Golden compares each tool's published schemas with dir/<tool>.json: a
// JSON object holding "inputSchema" and, when the tool has one,
// "outputSchema", in canonical form (keys sorted, two-space indent, numbers
// as written). A golden file without a tool is a failure too, so that a
// removed tool is noticed. With update, Golden rewrites the files instead
// and removes those of tools that are gone.
func Golden(t testing.TB, tools []ironcurtain.Tool, dir string, update bool) {
	t.Helper()
	want := map[string][]byte{}
	for _, tool := range tools {
		doc := map[string]json.RawMessage{"inputSchema": tool.InputSchema}
		if len(tool.OutputSchema) > 0 {
			doc["outputSchema"] = tool.OutputSchema
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("tool %s: schema is not JSON: %v", tool.Name, err)
		}
		canon, err := Canonical(raw)
		if err != nil {
			t.Fatalf("tool %s: %v", tool.Name, err)
		}
		if _, dup := want[tool.Name]; dup {
			t.Fatalf("tool %s is listed twice", tool.Name)
		}
		want[tool.Name] = canon
	}
	existing, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, canon := range want {
			if err := os.WriteFile(filepath.Join(dir, name+".json"), canon, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range existing {
			if _, ok := want[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		return
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(dir, name+".json")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("tool %s: %v (run the test with -update to write it)", name, err)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("tool %s: the published schemas differ from %s (run with -update to accept the change):\n--- golden\n%s\n--- published\n%s",
				name, path, got, want[name])
		}
	}
	for _, f := range existing {
		if _, ok := want[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
			t.Errorf("%s: no tool of that name is published any more (run with -update to remove it)", f)
		}
	}
}

// Canonical returns a JSON document in canonical form: object keys sorted,
// two-space indent, numbers exactly as written, no HTML escaping, and a
// final newline.
func Canonical(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
