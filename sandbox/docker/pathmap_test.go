package docker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// testHost is the host workspace the unit tests map to; testReal its real
// path.
const (
	testHost = "/srv/ws"
	testReal = "/data/srv/ws"
)

func testMapper(backend *fakeBackend) *pathMapper {
	return newPathMapper(backend, &settings{hostWorkspace: testHost, realWorkspace: testReal})
}

// fakeBackend records the call it is given and answers with res and err.
type fakeBackend struct {
	got ironcurtain.ToolCall
	res ironcurtain.Result
	err error
}

func (f *fakeBackend) Tools(context.Context) ([]ironcurtain.ServerTool, error) { return nil, nil }

func (f *fakeBackend) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	f.got = call
	return f.res, f.err
}

func TestMapIn(t *testing.T) {
	m := testMapper(&fakeBackend{})
	for in, want := range map[string]string{
		"/workspace":               testHost,
		"/workspace/":              testHost + "/",
		"/workspace/a/b":           testHost + "/a/b",
		"/workspace/../etc/passwd": testHost + "/../etc/passwd", // not cleaned: the policy resolves it
		"/workspace/./../x":        testHost + "/./../x",
		"/workspace//x":            testHost + "//x",
		"/workspace/\x00/x":        testHost + "/\x00/x", // the policy refuses the NUL
		"//workspace/x":            "//workspace/x",
		"/workspacex":              "/workspacex",
		"/workspace\x00/x":         "/workspace\x00/x",
		"/workspace.d/x":           "/workspace.d/x",
		"workspace/x":              "workspace/x",
		"./workspace":              "./workspace",
		"done.txt":                 "done.txt",
		"/etc/passwd":              "/etc/passwd",
		" /workspace/x":            " /workspace/x",
		"":                         "",
	} {
		got, changed := m.mapIn(in)
		require.Equal(t, want, got, "%q", in)
		require.Equal(t, want != in, changed, "%q", in)
	}
}

func TestMapCall(t *testing.T) {
	b := &fakeBackend{res: ironcurtain.TextResult("ok")}
	m := testMapper(b)
	for _, tc := range []struct {
		name       string
		server     string
		tool       string
		args, want map[string]any
	}{
		{"content is not a path", "filesystem", "write_file",
			map[string]any{"path": "/workspace/a", "content": "/workspace/b"},
			map[string]any{"path": testHost + "/a", "content": "/workspace/b"}},
		{"an array of paths", "filesystem", "read_multiple_files",
			map[string]any{"paths": []any{"/workspace/a", "b", "/workspacex", 7.0}},
			map[string]any{"paths": []any{testHost + "/a", "b", "/workspacex", 7.0}}},
		{"two path arguments", "filesystem", "move_file",
			map[string]any{"source": "/workspace/a", "destination": "/workspace/b"},
			map[string]any{"source": testHost + "/a", "destination": testHost + "/b"}},
		{"a conditional role that is not a path", "git", "git_worktree",
			map[string]any{"path": "/workspace/r", "worktreePath": "/workspace/w"},
			map[string]any{"path": testHost + "/r", "worktreePath": "/workspace/w"}},
		{"a conditional role that is a path", "git", "git_worktree",
			map[string]any{"path": "/workspace/r", "mode": "add", "worktreePath": "/workspace/w"},
			map[string]any{"path": testHost + "/r", "mode": "add", "worktreePath": testHost + "/w"}},
		{"repository-relative paths are not path roles", "git", "git_add",
			map[string]any{"path": "/workspace/r", "paths": []any{"/workspace/r/f"}},
			map[string]any{"path": testHost + "/r", "paths": []any{"/workspace/r/f"}}},
		{"a URL is not a path", "fetch", "http_fetch",
			map[string]any{"url": "/workspace/x"},
			map[string]any{"url": "/workspace/x"}},
		{"an unknown tool is passed on unchanged", "filesystem", "frobnicate",
			map[string]any{"path": "/workspace/x"},
			map[string]any{"path": "/workspace/x"}},
		{"a path that is not a string", "filesystem", "read_file",
			map[string]any{"path": map[string]any{"p": "/workspace/x"}},
			map[string]any{"path": map[string]any{"p": "/workspace/x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := json.Marshal(tc.args)
			require.NoError(t, err)
			_, err = m.Call(context.Background(), ironcurtain.ToolCall{Server: tc.server, Tool: tc.tool, Arguments: tc.args})
			require.NoError(t, err)
			require.Equal(t, tc.want, b.got.Arguments)
			again, _ := json.Marshal(tc.args)
			require.JSONEq(t, string(orig), string(again), "the agent's arguments are not modified")
		})
	}
}

// A condition on a path argument would give the mapped call other path
// roles than the agent's: such a call is refused, not guessed at.
func TestMapCallRoleFlip(t *testing.T) {
	b := &fakeBackend{}
	m := newPathMapper(b, &settings{hostWorkspace: testHost, Options: Options{Annotations: &policy.Annotations{
		Servers: map[string]policy.ServerAnnotations{"s": {Tools: []policy.ToolAnnotation{{
			ToolName: "t",
			Args: policy.Args{
				{Name: "a", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleReadPath}}},
				{Name: "b", Spec: policy.ArgSpec{Default: []policy.Role{policy.RoleNone}, Conditional: true, When: []policy.When{{
					Condition: policy.RoleCondition{Arg: "a", Equals: json.RawMessage(`"/workspace/x"`)},
					Roles:     []policy.Role{policy.RoleWritePath},
				}}}},
			},
		}}}},
	}}})
	_, err := m.Call(context.Background(), ironcurtain.ToolCall{Server: "s", Tool: "t", Arguments: map[string]any{"a": "/workspace/x", "b": "/etc/passwd"}})
	var de *ironcurtain.DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, RulePathMapping, de.Decision.Rule)
	require.Nil(t, b.got.Arguments, "the call never reached the tools")
}

func TestMapOut(t *testing.T) {
	m := testMapper(&fakeBackend{})
	for in, want := range map[string]string{
		"Wrote 3 bytes to /srv/ws/a.txt":     "Wrote 3 bytes to /workspace/a.txt",
		"Allowed directories:\n/srv/ws\n":    "Allowed directories:\n/workspace\n",
		"'/srv/ws' and \"/srv/ws/x\"":        "'/workspace' and \"/workspace/x\"",
		"fatal: cannot mkdir /srv/ws/r: no":  "fatal: cannot mkdir /workspace/r: no",
		"real: /data/srv/ws/a":               "real: /workspace/a",
		"(/srv/ws)":                          "(/workspace)",
		"/srv/ws2/a":                         "/srv/ws2/a", // another root
		"/srv/ws.bak":                        "/srv/ws.bak",
		"/a/srv/ws/x":                        "/a/srv/ws/x",
		"x/srv/ws":                           "x/srv/ws",
		"/srv/other/ws":                      "/srv/other/ws",
		"/srv/ws /srv/ws2 /srv/ws/":          "/workspace /srv/ws2 /workspace/",
		"/data/srv/ws2 /data/srv/ws":         "/data/srv/ws2 /workspace",
		"no path here":                       "no path here",
		"/srv/ws/../etc":                     "/workspace/../etc",
		"/srv/ws\x00":                        "/workspace\x00",
		"/srv/wsfile /srv/ws/file /srv/ws.x": "/srv/wsfile /workspace/file /srv/ws.x",
	} {
		require.Equal(t, want, m.mapOut(in), "%q", in)
	}
}

func TestMapResult(t *testing.T) {
	b := &fakeBackend{res: ironcurtain.Result{
		Content: []ironcurtain.Content{
			{Type: "text", Text: "in /srv/ws/a, not /srv/ws2"},
			{Type: "image", Data: []byte("/srv/ws/a"), MIMEType: "image/png"},
			{Type: "resource", Raw: json.RawMessage(`{"type":"resource","resource":{"uri":"file:///srv/ws/a","text":"x <b>"}}`)},
		},
		Structured: json.RawMessage(`{"directories":["/srv/ws","/srv/ws2","\/srv\/ws\/e"],"/srv/ws/k":1.50}`),
	}}
	orig := b.res.Content[0].Text
	m := testMapper(b)
	res, err := m.Call(context.Background(), ironcurtain.ToolCall{Server: "filesystem", Tool: "list_allowed_directories"})
	require.NoError(t, err)
	require.Equal(t, "in /workspace/a, not /srv/ws2", res.Content[0].Text)
	require.Equal(t, "/srv/ws/a", string(res.Content[1].Data), "binary content is not text")
	require.JSONEq(t, `{"directories":["/workspace","/srv/ws2","/workspace/e"],"/workspace/k":1.50}`, string(res.Structured))
	require.Contains(t, string(res.Structured), "1.50", "numbers are kept as written")
	require.Equal(t, orig, b.res.Content[0].Text, "the backend's result is not modified")
	// file:///srv/ws/a: the host path follows a slash, so it is not taken
	// for the start of one; the agent is shown the host path, never a
	// wrong one.
	require.JSONEq(t, `{"type":"resource","resource":{"uri":"file:///srv/ws/a","text":"x <b>"}}`, string(res.Content[2].Raw))
}

func TestMapError(t *testing.T) {
	cause := errors.New("host detail /srv/ws/a")
	b := &fakeBackend{err: &ironcurtain.DeniedError{
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "r", Reason: "access to a protected path is forbidden: /srv/ws/secret"},
		Cause:    cause,
	}}
	m := testMapper(b)
	_, err := m.Call(context.Background(), ironcurtain.ToolCall{Server: "filesystem", Tool: "read_file", Arguments: map[string]any{"path": "/workspace/secret"}})
	require.ErrorIs(t, err, ironcurtain.ErrDenied)
	require.ErrorIs(t, err, cause)
	var de *ironcurtain.DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "DENIED: access to a protected path is forbidden: /workspace/secret", de.AgentMessage())
	require.Equal(t, "access to a protected path is forbidden: /srv/ws/secret", b.err.(*ironcurtain.DeniedError).Decision.Reason)

	plain := errors.New("boom /srv/ws")
	b.err = plain
	_, err = m.Call(context.Background(), ironcurtain.ToolCall{Server: "x", Tool: "y"})
	require.Same(t, plain, err)
}

// Only /workspace and what lies beneath it is ever mapped, and a mapped
// path maps back to what the agent wrote.
func TestMapInProperty(t *testing.T) {
	m := testMapper(&fakeBackend{})
	parts := rapid.SampledFrom([]string{"/", "workspace", "x", "..", ".", "\x00", " ", "srv", "ws", "/workspace"})
	rapid.Check(t, func(t *rapid.T) {
		p := strings.Join(rapid.SliceOfN(parts, 0, 8).Draw(t, "parts"), "")
		got, changed := m.mapIn(p)
		want := p == WorkspaceDir || strings.HasPrefix(p, WorkspaceDir+"/")
		if changed != want {
			t.Fatalf("mapIn(%q) changed=%v", p, changed)
		}
		if !changed {
			if got != p {
				t.Fatalf("mapIn(%q) = %q without a change", p, got)
			}
			return
		}
		rest := strings.TrimPrefix(p, WorkspaceDir)
		if got != testHost+rest {
			t.Fatalf("mapIn(%q) = %q", p, got)
		}
		if !strings.Contains(rest, "srv") {
			if back := m.mapOut(got); back != p {
				t.Fatalf("mapOut(mapIn(%q)) = %q", p, back)
			}
		}
	})
}

// FuzzMapOut: mapping a result text never panics, and leaves no
// occurrence of the host workspace that starts a path and ends at a
// boundary.
func FuzzMapOut(f *testing.F) {
	for _, s := range []string{"/srv/ws", "a /srv/ws/b", "/srv/ws2", "\"/data/srv/ws\"", "/srv/ws/srv/ws", "x/srv/ws /srv/ws"} {
		f.Add(s)
	}
	m := testMapper(&fakeBackend{})
	f.Fuzz(func(t *testing.T, s string) {
		out := m.mapOut(s)
		for _, h := range m.shown {
			for i := 0; ; {
				j := strings.Index(out[i:], h)
				if j < 0 {
					break
				}
				j += i
				end := j + len(h)
				if (j == 0 || isDelimiter(out[j-1])) && (end == len(out) || out[end] == '/' || isDelimiter(out[end])) {
					// Allowed only where it was made by the mapping itself
					// spelling /workspace (never: h does not contain it).
					t.Fatalf("mapOut(%q) = %q still shows %q", s, out, h)
				}
				i = j + 1
			}
		}
	})
}

// FuzzMapJSON: mapping structured content never panics, and valid JSON
// stays valid JSON.
func FuzzMapJSON(f *testing.F) {
	for _, s := range []string{`{"a":"/srv/ws"}`, `["\/srv\/ws",1e3,null,true]`, `"/srv/ws"`, `{"/srv/ws":1,"/workspace":2}`, `not json /srv/ws`, `{"a":"\u002fsrv/ws"} {}`} {
		f.Add([]byte(s))
	}
	m := testMapper(&fakeBackend{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		out := m.mapJSON(raw)
		if json.Valid(raw) && !json.Valid(out) {
			t.Fatalf("mapJSON(%q) = %q is not JSON", raw, out)
		}
	})
}
