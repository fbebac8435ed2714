package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain"
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

// ReadScenarios decodes a test-scenarios.json artifact strictly: this
// project's, or IronCurtain's (each scenario's call as a "request" with
// serverName and toolName, and an expectedDecision of allow, deny,
// escalate or not-allow).
func ReadScenarios(data []byte) (*Scenarios, error) {
	var probe struct {
		Scenarios []map[string]json.RawMessage `json:"scenarios"`
	}
	if json.Unmarshal(data, &probe) == nil && len(probe.Scenarios) > 0 && probe.Scenarios[0]["request"] != nil {
		return readIronCurtainScenarios(data)
	}
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
		if sc.NotAllow && sc.Expect != ironcurtain.Deny {
			// Either verdict it names would pass: a scenario that cannot fail.
			return nil, fmt.Errorf("scenario %d (%q): notAllow expects deny or escalate, not %s", i+1, sc.Description, sc.Expect)
		}
	}
	return &s, nil
}

// ironCurtainScenarios is IronCurtain's test-scenarios.json.
type ironCurtainScenarios struct {
	GeneratedAt      string `json:"generatedAt"`
	ConstitutionHash string `json:"constitutionHash"`
	InputHash        string `json:"inputHash"`
	Scenarios        []struct {
		Description string `json:"description"`
		Request     struct {
			ServerName string         `json:"serverName"`
			ToolName   string         `json:"toolName"`
			Arguments  map[string]any `json:"arguments"`
		} `json:"request"`
		ExpectedDecision string `json:"expectedDecision"`
		Reasoning        string `json:"reasoning"`
		Source           string `json:"source"`
	} `json:"scenarios"`
}

func readIronCurtainScenarios(data []byte) (*Scenarios, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in ironCurtainScenarios
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("scenarios (IronCurtain's format): %w", err)
	}
	if dec.More() {
		return nil, errors.New("scenarios: unexpected data after the JSON value")
	}
	out := &Scenarios{ConstitutionHash: in.ConstitutionHash}
	for i, sc := range in.Scenarios {
		if sc.Request.ServerName == "" || sc.Request.ToolName == "" {
			return nil, fmt.Errorf("scenario %d (%q): a request needs a serverName and a toolName", i+1, sc.Description)
		}
		s := Scenario{Description: sc.Description, Principle: sc.Reasoning, Source: sc.Source,
			Call: Call{Server: sc.Request.ServerName, Tool: sc.Request.ToolName, Arguments: sc.Request.Arguments}}
		if s.Call.Arguments == nil {
			s.Call.Arguments = map[string]any{}
		}
		switch sc.ExpectedDecision {
		case "allow":
			s.Expect = ironcurtain.Allow
		case "deny":
			s.Expect = ironcurtain.Deny
		case "escalate":
			s.Expect = ironcurtain.Escalate
		case "not-allow":
			s.Expect, s.NotAllow = ironcurtain.Deny, true
		default:
			return nil, fmt.Errorf("scenario %d (%q): expectedDecision %q is not allow, deny, escalate or not-allow", i+1, sc.Description, sc.ExpectedDecision)
		}
		out.Scenarios = append(out.Scenarios, s)
	}
	return out, nil
}
