package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
)

// Files names the artifact files of a policy. An empty name means the
// embedded default: the default compiled policy (with its dynamic lists,
// unless Lists is given), or the annotations of the built-in tools.
type Files struct {
	Policy      string
	Annotations string
	Lists       string
}

// maxArtifactBytes bounds what Load reads from one artifact file.
const maxArtifactBytes = 64 << 20

// Load reads, validates and compiles a policy from its files, taking the
// embedded defaults for files not named. Every error is a *LoadError naming
// the file and, where it applies, the rule, tool or list at fault. The files
// themselves become protected paths: the agent can never rewrite the policy
// that contains it.
func Load(files Files, cfg Config) (*Engine, error) {
	a := sharedDefaults()
	if files.Policy != "" {
		a.Policy, a.Lists = new(CompiledPolicy), nil
		if err := readJSON(files.Policy, a.Policy); err != nil {
			return nil, err
		}
	}
	if files.Annotations != "" {
		a.Annotations = new(Annotations)
		if err := readJSON(files.Annotations, a.Annotations); err != nil {
			return nil, err
		}
	}
	if files.Lists != "" {
		a.Lists = new(Lists)
		if err := readJSON(files.Lists, a.Lists); err != nil {
			return nil, err
		}
	}
	for _, f := range []string{files.Policy, files.Annotations, files.Lists} {
		if f == "" {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, &LoadError{File: f, Err: err}
		}
		cfg.Protected = append(cfg.Protected, abs)
	}
	e, err := New(a, cfg)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			named := map[string]string{filePolicy: files.Policy, fileAnnotations: files.Annotations, fileLists: files.Lists}
			if f := named[le.File]; f != "" {
				le.File = f
			}
		}
		return nil, err
	}
	return e, nil
}

// readJSON decodes one artifact file; trailing data after the JSON value is
// an error.
func readJSON(path string, v any) error {
	data, err := readCapped(path, maxArtifactBytes)
	if err != nil {
		return &LoadError{File: path, Err: err}
	}
	return decodeArtifact(path, data, v)
}

func decodeArtifact(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(data, se.Offset)
			return &LoadError{File: name, Where: fmt.Sprintf("line %d, column %d", line, col), Err: err}
		}
		return &LoadError{File: name, Err: err}
	}
	if dec.More() {
		return &LoadError{File: name, Err: errors.New("unexpected data after the JSON value")}
	}
	return nil
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// ReadArtifacts decodes artifacts from JSON bytes, as Load does from files,
// without compiling them. Lists may be nil.
func ReadArtifacts(policy, annotations, lists []byte) (Artifacts, error) {
	var a Artifacts
	a.Policy = new(CompiledPolicy)
	if err := decodeArtifact(filePolicy, policy, a.Policy); err != nil {
		return a, err
	}
	a.Annotations = new(Annotations)
	if err := decodeArtifact(fileAnnotations, annotations, a.Annotations); err != nil {
		return a, err
	}
	if lists != nil {
		a.Lists = new(Lists)
		if err := decodeArtifact(fileLists, lists, a.Lists); err != nil {
			return a, err
		}
	}
	return a, nil
}
