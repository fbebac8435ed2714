package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// RulePathMapping is the rule of a call refused because its paths could
// not be mapped from the container's view to the host's consistently.
const RulePathMapping = "docker-path-mapping"

// pathMapper stands between the agent and the tools when a workspace is
// mounted. The agent names the workspace /workspace; the tools and the
// policy know it by its host path. In each call, the arguments the
// annotations give a path role are rewritten from /workspace to the host
// workspace, exactly at the prefix: "/workspace" and "/workspace/..."
// only, never "/workspacex" or "//workspace", and never cleaned, so that
// ".." and links are resolved by the policy where the tool acts. No other
// argument is touched. In what the agent reads back (text, structured
// content, embedded resources, the reason of a refusal), the host
// workspace is shown as /workspace again.
//
// It is safe for concurrent use.
type pathMapper struct {
	backend ironcurtain.Backend
	host    string   // the host workspace, absolute and clean, as given
	shown   []string // every spelling of it a result may hold, longest first
	tools   map[string]map[string]policy.Args
	owner   *chowner // gives what the tools create to the agent's user; nil: nothing to do
}

func newPathMapper(backend ironcurtain.Backend, s *settings) *pathMapper {
	m := &pathMapper{backend: backend, host: s.hostWorkspace, tools: map[string]map[string]policy.Args{}}
	for _, h := range []string{s.hostWorkspace, s.realWorkspace} {
		if h != "" && h != "/" && !slices.Contains(m.shown, h) {
			m.shown = append(m.shown, h)
		}
	}
	slices.SortFunc(m.shown, func(a, b string) int { return len(b) - len(a) })
	ann := s.Annotations
	if ann == nil {
		ann = policy.DefaultAnnotations()
	}
	for server, sa := range ann.Servers {
		byTool := map[string]policy.Args{}
		for _, ta := range sa.Tools {
			byTool[ta.ToolName] = ta.Args
		}
		m.tools[server] = byTool
	}
	if s.chown {
		m.owner = &chowner{uid: s.uid, gid: s.gid, hostUID: 0, roots: m.shown}
	}
	return m
}

// Tools returns the backend's tools.
func (m *pathMapper) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	return m.backend.Tools(ctx)
}

// Call maps the call's paths in, calls the backend, hands what the call
// created in the workspace to the agent's user, and maps the result out.
func (m *pathMapper) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	mapped, targets, err := m.mapCall(call)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	var mark ownerMark
	if m.owner != nil && len(targets) > 0 {
		mark = m.owner.mark()
	}
	res, err := m.backend.Call(ctx, mapped)
	if m.owner != nil && len(targets) > 0 {
		m.owner.adopt(mark, targets)
	}
	return m.mapResult(res), m.mapError(err)
}

// pathRoles returns, for each argument of call that has a path role, the
// roles it has, resolved as the engine resolves them: the first When
// whose condition holds, else Default.
func (m *pathMapper) pathRoles(call ironcurtain.ToolCall) map[string][]policy.Role {
	args := m.tools[call.Server][call.Tool]
	var out map[string][]policy.Role
	for _, a := range args {
		roles := a.Spec.Default
		for _, w := range a.Spec.When {
			if w.Condition.Holds(call.Arguments) {
				roles = w.Roles
				break
			}
		}
		if slices.ContainsFunc(roles, isPathRole) {
			if out == nil {
				out = map[string][]policy.Role{}
			}
			out[a.Name] = roles
		}
	}
	return out
}

func isPathRole(r policy.Role) bool {
	c, ok := r.Category()
	return ok && c == policy.CategoryPath
}

// writes reports whether roles let a call create or change files.
func writes(roles []policy.Role) bool {
	return slices.ContainsFunc(roles, func(r policy.Role) bool {
		switch r {
		case policy.RoleWritePath, policy.RoleDeletePath, policy.RoleWriteHistory, policy.RoleDeleteHistory:
			return true
		}
		return false
	})
}

// mapCall returns call with its path arguments mapped to the host, in a
// new argument map, and the host paths of the arguments that may write
// (for the ownership pass). A call whose path roles would change with the
// mapping is refused: the policy would judge other arguments as paths
// than the ones mapped.
func (m *pathMapper) mapCall(call ironcurtain.ToolCall) (ironcurtain.ToolCall, []string, error) {
	roles := m.pathRoles(call)
	if len(roles) == 0 {
		return call, nil, nil
	}
	var args map[string]any
	var targets []string
	for name, rs := range roles {
		raw, ok := call.Arguments[name]
		if !ok {
			if writes(rs) {
				// The tool's default (git's session directory) lies in
				// the workspace or is refused: search all of it.
				targets = append(targets, ".")
			}
			continue
		}
		var v any
		var changed bool
		switch x := raw.(type) {
		case string:
			var s string
			s, changed = m.mapIn(x)
			v = s
			if writes(rs) {
				targets = append(targets, s)
			}
		case []any:
			var out []any
			for i, el := range x {
				s, ok := el.(string)
				if !ok {
					continue
				}
				ms, c := m.mapIn(s)
				if c {
					if out == nil {
						out = slices.Clone(x)
					}
					out[i] = ms
				}
				if writes(rs) {
					targets = append(targets, ms)
				}
			}
			v, changed = out, out != nil
		}
		if changed {
			if args == nil {
				args = make(map[string]any, len(call.Arguments))
				for k, v := range call.Arguments {
					args[k] = v
				}
			}
			args[name] = v
		}
	}
	if args == nil {
		return call, targets, nil
	}
	out := call
	out.Arguments = args
	after := m.pathRoles(out)
	if len(after) != len(roles) {
		return call, nil, m.refuse("the tool's path arguments depend on a path argument")
	}
	for name, rs := range roles {
		if !slices.Equal(after[name], rs) {
			return call, nil, m.refuse("the tool's path arguments depend on a path argument")
		}
	}
	return out, targets, nil
}

func (m *pathMapper) refuse(why string) error {
	return &ironcurtain.DeniedError{Decision: ironcurtain.Decision{
		Verdict: ironcurtain.Deny, Rule: RulePathMapping,
		Reason: "the call's /workspace paths cannot be mapped: " + why,
	}}
}

// mapIn maps one path from the container to the host: /workspace itself
// and paths beneath it, at a component boundary, nothing else. The rest
// of the path is kept byte for byte.
func (m *pathMapper) mapIn(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, WorkspaceDir)
	if !ok || (rest != "" && rest[0] != '/') {
		return p, false
	}
	if rest == "" {
		return m.host, true
	}
	return strings.TrimSuffix(m.host, "/") + rest, true
}

// mapOut shows every occurrence of the host workspace in text as
// /workspace: where it starts a path (at the start of the text or after a
// delimiter) and ends at a component boundary (the end, a slash or a
// delimiter). A sibling such as /srv/ws2 of /srv/ws, or /a/srv/ws, is left
// alone.
func (m *pathMapper) mapOut(text string) string {
	for _, h := range m.shown {
		if !strings.Contains(text, h) {
			continue
		}
		var b strings.Builder
		i := 0
		for {
			j := strings.Index(text[i:], h)
			if j < 0 {
				break
			}
			j += i
			end := j + len(h)
			if (j == 0 || isDelimiter(text[j-1])) && (end == len(text) || text[end] == '/' || isDelimiter(text[end])) {
				b.WriteString(text[i:j])
				b.WriteString(WorkspaceDir)
			} else {
				b.WriteString(text[i:end])
			}
			i = end
		}
		b.WriteString(text[i:])
		text = b.String()
	}
	return text
}

// isDelimiter reports whether c may stand next to a path in a text
// without being part of it.
func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0,
		'"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', ':', '=', '|':
		return true
	}
	return false
}

// mapResult maps the host workspace out of everything the agent reads.
// The result's slices are copied, never written in place.
func (m *pathMapper) mapResult(res ironcurtain.Result) ironcurtain.Result {
	if len(m.shown) == 0 {
		return res
	}
	if res.Content != nil {
		content := make([]ironcurtain.Content, len(res.Content))
		for i, c := range res.Content {
			c.Text = m.mapOut(c.Text)
			if c.Raw != nil {
				c.Raw = m.mapJSON(c.Raw)
			}
			content[i] = c
		}
		res.Content = content
	}
	if res.Structured != nil {
		res.Structured = m.mapJSON(res.Structured)
	}
	return res
}

// mapJSON maps the host workspace out of every string (keys included) of
// a JSON value. Unchanged, or not JSON, it returns raw as it is.
func (m *pathMapper) mapJSON(raw json.RawMessage) json.RawMessage {
	if !slices.ContainsFunc(m.shown, func(h string) bool { return bytes.Contains(raw, []byte(h)) }) &&
		!bytes.Contains(raw, []byte(`\/`)) && !bytes.Contains(raw, []byte(`\u`)) {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return raw
	}
	v, changed := m.mapValue(v)
	if !changed {
		return raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return raw
	}
	return json.RawMessage(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func (m *pathMapper) mapValue(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		s := m.mapOut(x)
		return s, s != x
	case []any:
		changed := false
		for i, el := range x {
			if nv, c := m.mapValue(el); c {
				x[i], changed = nv, true
			}
		}
		return x, changed
	case map[string]any:
		changed := false
		out := make(map[string]any, len(x))
		for k, el := range x {
			nk := m.mapOut(k)
			nv, c := m.mapValue(el)
			if _, dup := out[nk]; dup {
				nk = k // two keys would become one: keep the host's
			}
			out[nk] = nv
			changed = changed || c || nk != k
		}
		return out, changed
	}
	return v, false
}

// mapError maps the host workspace out of a refusal's reason, which the
// agent reads; the cause, which it does not, is kept for the operator.
func (m *pathMapper) mapError(err error) error {
	if err == nil || len(m.shown) == 0 {
		return err
	}
	var de *ironcurtain.DeniedError
	if !errors.As(err, &de) {
		return err
	}
	reason := m.mapOut(de.Decision.Reason)
	if reason == de.Decision.Reason {
		return err
	}
	out := *de
	out.Decision.Reason = reason
	return &out
}

// hostWorkspace returns the absolute, clean host workspace and its real
// path.
func hostWorkspace(dir string) (abs, real string, err error) {
	abs, err = filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("docker: workspace: %w", err)
	}
	real, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", "", fmt.Errorf("docker: workspace: %w", err)
	}
	return abs, real, nil
}
