package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ironcurtain-go/ironcurtain"
)

// CompiledPolicy is the compiled-policy.json artifact: ordered rules, and the
// definitions of the dynamic lists they reference. Its JSON form is the one
// IronCurtain writes; fields this package does not model are ignored.
type CompiledPolicy struct {
	GeneratedAt      string           `json:"generatedAt,omitempty"`
	ConstitutionHash string           `json:"constitutionHash,omitempty"`
	InputHash        string           `json:"inputHash,omitempty"`
	Rules            []Rule           `json:"rules"`
	ListDefinitions  []ListDefinition `json:"listDefinitions,omitempty"`
	SkippedServers   []SkippedServer  `json:"skippedServers,omitempty"`
	// Provenance records how the policy was made (set by our compiler).
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Provenance records where a compiled policy came from.
type Provenance struct {
	// Constitution is the SHA-256 of the constitution text, hex.
	Constitution string `json:"constitution,omitempty"`
	// Compiler names the compiler and its version.
	Compiler string `json:"compiler,omitempty"`
	// Model is the language model used for sentences outside the
	// controlled subset, if any.
	Model string `json:"model,omitempty"`
	// Time is when the policy was compiled (RFC 3339), if recorded.
	Time string `json:"time,omitempty"`
}

// SkippedServer is a server the compiler decided no rule concerns; every
// call to it is denied by default.
type SkippedServer struct {
	ServerName string `json:"serverName"`
	Reason     string `json:"reason"`
}

// Rule is one compiled rule: if every condition holds, then the verdict.
type Rule struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Principle   string    `json:"principle,omitempty"`
	If          Condition `json:"if"`
	// Then is allow, deny or escalate.
	Then   ironcurtain.Verdict `json:"then"`
	Reason string              `json:"reason"`
}

// Condition is a rule's "if": every field present must hold. An absent field
// is no constraint; a present but empty list is refused at load (it would
// match nothing, which is never what its author meant).
type Condition struct {
	// Roles: the tool has an argument carrying one of these roles. It also
	// scopes the rule to these roles during per-role evaluation.
	Roles []Role `json:"roles,omitempty"`
	// Server: the call's server is one of these.
	Server []string `json:"server,omitempty"`
	// Tool: the call's tool is one of these.
	Tool []string `json:"tool,omitempty"`
	// SideEffects is a condition of IronCurtain's older engines: the tool's
	// annotation has this sideEffects flag. It narrows an allow rule to the
	// tools annotated so, and is ignored on escalate and deny rules, which
	// is the stricter reading either way (see [ToolAnnotation.SideEffects]).
	SideEffects *bool `json:"sideEffects,omitempty"`
	// Paths: every path of the evaluated role lies within a directory.
	Paths *PathCondition `json:"paths,omitempty"`
	// Domains: every URL of the evaluated role has an allowed domain.
	Domains *DomainCondition `json:"domains,omitempty"`
	// Lists: every value of the roles named matches an allowed entry.
	Lists []ListCondition `json:"lists,omitempty"`
	// Sandbox says whether the rule reaches paths inside the sandbox,
	// which the structural sandbox allow decides before any rule
	// otherwise: "" leaves them to it; [SandboxInclude] consults the rule
	// for them as well, before the sandbox allow; [SandboxOnly] consults
	// it for them alone. Only deny and escalate rules may reach the
	// sandbox: an allow there adds nothing.
	Sandbox string `json:"sandbox,omitempty"`
}

// The values of [Condition].Sandbox.
const (
	// SandboxInclude: the rule decides paths inside the sandbox too.
	SandboxInclude = "include"
	// SandboxOnly: the rule decides only paths inside the sandbox.
	SandboxOnly = "only"
)

// PathCondition holds when every value of the evaluated path role lies
// within Within (an absolute or ~-relative directory).
type PathCondition struct {
	Roles  []Role `json:"roles"`
	Within string `json:"within"`
}

// DomainCondition holds when every URL value of the evaluated role has a
// domain matching one of Allowed ("*", "*.example.com", "example.com",
// "github.com/owner/repo", or "@list").
type DomainCondition struct {
	Roles   []Role   `json:"roles"`
	Allowed []string `json:"allowed"`
}

// ListCondition holds when every value of the roles matches one of Allowed
// under MatchType ("domains", "emails" or "identifiers"). Entries may be
// "@list" references.
type ListCondition struct {
	Roles     []Role   `json:"roles"`
	Allowed   []string `json:"allowed"`
	MatchType string   `json:"matchType"`
}

// ListDefinition declares a dynamic list a rule may reference as "@name".
type ListDefinition struct {
	Name             string `json:"name"`
	Type             string `json:"type"`
	Principle        string `json:"principle,omitempty"`
	GenerationPrompt string `json:"generationPrompt,omitempty"`
	RequiresMCP      bool   `json:"requiresMcp,omitempty"`
	MCPServerHint    string `json:"mcpServerHint,omitempty"`
}

// strict decodes data into v refusing unknown fields: a misspelt condition
// ("tools" for "tool") would otherwise silently widen a rule.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// strictInto decodes data strictly into a fresh P and hands it to set only
// on success, so a refused object leaves the receiver as it was. P is the
// receiver's type declared again without methods (without the UnmarshalJSON
// that calls strictInto); what names the object in the error.
func strictInto[P any](data []byte, what string, set func(P)) error {
	var p P
	if err := strict(data, &p); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	set(p)
	return nil
}

// UnmarshalJSON decodes a condition, refusing unknown fields.
func (c *Condition) UnmarshalJSON(data []byte) error {
	type plain Condition
	return strictInto(data, "condition", func(p plain) { *c = Condition(p) })
}

// UnmarshalJSON decodes a paths condition, refusing unknown fields.
func (c *PathCondition) UnmarshalJSON(data []byte) error {
	type plain PathCondition
	return strictInto(data, "paths", func(p plain) { *c = PathCondition(p) })
}

// UnmarshalJSON decodes a domains condition, refusing unknown fields.
func (c *DomainCondition) UnmarshalJSON(data []byte) error {
	type plain DomainCondition
	return strictInto(data, "domains", func(p plain) { *c = DomainCondition(p) })
}

// UnmarshalJSON decodes a lists condition, refusing unknown fields.
func (c *ListCondition) UnmarshalJSON(data []byte) error {
	type plain ListCondition
	return strictInto(data, "lists", func(p plain) { *c = ListCondition(p) })
}

// Annotations is the tool-annotations.json artifact: for each server, for
// each tool, the roles of its arguments.
type Annotations struct {
	GeneratedAt string                       `json:"generatedAt,omitempty"`
	Servers     map[string]ServerAnnotations `json:"servers"`
}

// ServerAnnotations are one server's tool annotations.
type ServerAnnotations struct {
	InputHash string           `json:"inputHash,omitempty"`
	Tools     []ToolAnnotation `json:"tools"`
}

// ToolAnnotation gives the roles of one tool's arguments.
type ToolAnnotation struct {
	ToolName   string `json:"toolName"`
	ServerName string `json:"serverName,omitempty"`
	Comment    string `json:"comment,omitempty"`
	// SideEffects is IronCurtain's flag that the tool changes something.
	// Only an allow rule's sideEffects condition reads it; absent, no such
	// rule applies to the tool.
	SideEffects *bool `json:"sideEffects,omitempty"`
	// Args are in declaration order, which decides rule attribution when
	// several roles escalate.
	Args Args `json:"args"`
	// InputSchema is the tool schema captured when annotating, if any.
	InputSchema json.RawMessage `json:"inputSchema,omitempty"`
}

// Args are a tool's annotated arguments, in declaration order. In JSON they
// are an object whose key order is kept.
type Args []Arg

// Arg is one annotated argument.
type Arg struct {
	Name string
	Spec ArgSpec
}

// ArgSpec is an argument's roles: a fixed list, or conditional on other
// arguments (the first When whose condition holds, else Default).
type ArgSpec struct {
	Default []Role
	When    []When
	// Conditional is set for the object form {"default": ..., "when": ...}.
	Conditional bool
}

// When is one clause of a conditional role: if Condition holds, Roles.
type When struct {
	Condition RoleCondition `json:"condition"`
	Roles     []Role        `json:"roles"`
}

// RoleCondition tests another argument of the same call. Exactly one of
// Equals, In and Is is set. Equals and In compare strictly (the string
// "true" is not the boolean true); Is is "present", "absent", "truthy" or
// "falsy" with JavaScript's meaning.
type RoleCondition struct {
	Arg    string          `json:"arg"`
	Equals json.RawMessage `json:"equals,omitempty"`
	In     []any           `json:"in,omitempty"`
	Is     string          `json:"is,omitempty"`
}

// Holds reports whether the condition holds for a call's arguments exactly
// as the engine decides it. A condition the engine would refuse to load
// holds for nothing.
func (c RoleCondition) Holds(args map[string]any) bool {
	w, err := condition(c)
	return err == nil && w.holds(args)
}

// UnmarshalJSON decodes the object form, keeping key order.
func (a *Args) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("args: want an object")
	}
	var out Args
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string)
		if seen[name] {
			return fmt.Errorf("args: duplicate argument %q", name)
		}
		seen[name] = true
		var spec ArgSpec
		if err := dec.Decode(&spec); err != nil {
			return fmt.Errorf("argument %q: %w", name, err)
		}
		out = append(out, Arg{Name: name, Spec: spec})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*a = out
	return nil
}

// MarshalJSON encodes the arguments as an object in declaration order.
func (a Args) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, arg := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(arg.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(arg.Spec)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON accepts a role list or {"default": [...], "when": [...]}.
func (s *ArgSpec) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var roles []Role
		if err := json.Unmarshal(data, &roles); err != nil {
			return err
		}
		*s = ArgSpec{Default: roles}
		return nil
	}
	var c struct {
		Default []Role `json:"default"`
		When    []When `json:"when"`
	}
	if err := strict(data, &c); err != nil {
		return err
	}
	*s = ArgSpec{Default: c.Default, When: c.When, Conditional: true}
	return nil
}

// MarshalJSON writes the list form, or the object form when conditional.
func (s ArgSpec) MarshalJSON() ([]byte, error) {
	if !s.Conditional {
		if s.Default == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(s.Default)
	}
	return json.Marshal(struct {
		Default []Role `json:"default"`
		When    []When `json:"when"`
	}{s.Default, s.When})
}

// UnmarshalJSON decodes a condition, refusing unknown fields.
func (c *RoleCondition) UnmarshalJSON(data []byte) error {
	type plain RoleCondition
	return strictInto(data, "condition", func(p plain) { *c = RoleCondition(p) })
}

// Lists is the dynamic-lists.json artifact: the values of each list.
type Lists struct {
	GeneratedAt string                `json:"generatedAt,omitempty"`
	Lists       map[string]ListValues `json:"lists"`
}

// ListValues are one list's values. The effective list is Values and
// ManualAdditions, without ManualRemovals.
type ListValues struct {
	Values          []string `json:"values"`
	ManualAdditions []string `json:"manualAdditions,omitempty"`
	ManualRemovals  []string `json:"manualRemovals,omitempty"`
	ResolvedAt      string   `json:"resolvedAt,omitempty"`
	InputHash       string   `json:"inputHash,omitempty"`
}

// Effective returns the list's values: Values and ManualAdditions, without
// duplicates, minus ManualRemovals, in first-seen order.
func (l ListValues) Effective() []string {
	removed := make(map[string]bool, len(l.ManualRemovals))
	for _, v := range l.ManualRemovals {
		removed[v] = true
	}
	n := len(l.Values) + len(l.ManualAdditions)
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for _, v := range slices.Concat(l.Values, l.ManualAdditions) {
		if seen[v] || removed[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// UnmarshalJSON decodes a rule and refuses one without a verdict: a missing
// "then" must not quietly become a zero value.
func (r *Rule) UnmarshalJSON(data []byte) error {
	type plain Rule
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var presence struct {
		Then *json.RawMessage `json:"then"`
		If   *json.RawMessage `json:"if"`
	}
	if err := json.Unmarshal(data, &presence); err != nil {
		return err
	}
	if presence.Then == nil {
		return fmt.Errorf("rule %q: missing \"then\"", p.Name)
	}
	if presence.If == nil {
		return fmt.Errorf("rule %q: missing \"if\" (write {} to match every call)", p.Name)
	}
	*r = Rule(p)
	return nil
}
