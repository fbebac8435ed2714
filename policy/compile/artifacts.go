package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The artifact file names, as the engine and the CLI look for them.
const (
	PolicyFile      = "compiled-policy.json"
	ListsFile       = "dynamic-lists.json"
	ScenariosFile   = "test-scenarios.json"
	AnnotationsFile = "tool-annotations.json"
)

// Encode encodes an artifact the way the compiler writes it: indented by
// one space, keys in declaration (or sorted map) order, no HTML escaping,
// a final newline. Equal artifacts encode to equal bytes.
func Encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteArtifacts writes a result's artifacts into dir (created if
// missing), each atomically — a temporary file in dir, synced, then
// renamed over the old one — and the policy last, so that a reader never
// sees a new policy with old lists. Without lists, a stale
// dynamic-lists.json is removed; tool-annotations.json is written only
// when the model annotated tools.
func WriteArtifacts(dir string, r Result) error {
	if r.Policy == nil {
		return errors.New("compile: no policy to write")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type file struct {
		name string
		v    any
	}
	var files []file
	if r.Lists != nil {
		files = append(files, file{ListsFile, r.Lists})
	} else if err := os.Remove(filepath.Join(dir, ListsFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if r.Scenarios != nil {
		files = append(files, file{ScenariosFile, r.Scenarios})
	}
	if r.Annotations != nil {
		files = append(files, file{AnnotationsFile, r.Annotations})
	}
	files = append(files, file{PolicyFile, r.Policy})
	for _, f := range files {
		b, err := Encode(f.v)
		if err != nil {
			return fmt.Errorf("compile: encoding %s: %w", f.name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, f.name), b); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, written and synced, renamed over path, and the directory
// synced so that the rename survives a crash.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadScenarios decodes a test-scenarios.json artifact strictly.
func ReadScenarios(data []byte) (*Scenarios, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Scenarios
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	if dec.More() {
		return nil, errors.New("scenarios: unexpected data after the JSON value")
	}
	// A missing verdict must not quietly read as the zero verdict.
	var presence struct {
		Scenarios []struct {
			Expect *json.RawMessage `json:"expect"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(data, &presence); err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	for i, sc := range s.Scenarios {
		if sc.Call.Server == "" || sc.Call.Tool == "" {
			return nil, fmt.Errorf("scenario %d (%q): a call needs a server and a tool", i+1, sc.Description)
		}
		if presence.Scenarios[i].Expect == nil {
			return nil, fmt.Errorf("scenario %d (%q): no expected decision", i+1, sc.Description)
		}
	}
	return &s, nil
}
