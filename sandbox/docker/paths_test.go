package docker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/stretchr/testify/require"
)

// scriptStep mirrors the stand-in's Step.
type scriptStep struct {
	Op      string
	Tool    string         `json:",omitempty"`
	Args    map[string]any `json:",omitempty"`
	Path    string         `json:",omitempty"`
	Target  string         `json:",omitempty"`
	Content string         `json:",omitempty"`
}

// scriptResult mirrors the stand-in's StepResult.
type scriptResult struct {
	Op   string
	Call struct {
		IsError    bool
		Text       string
		Structured string
		RPCError   string
	}
	Err  string
	Data string
}

// scriptRun is one run of a script: what the agent saw of each step, and
// the Gate's verdict on each of its calls, in order.
type scriptRun struct {
	Steps []scriptResult
	Calls []ironcurtain.CallRecord
	// callStep maps each call record to its step.
	callStep []int
}

// verdict returns the Gate's verdict on step i, a call.
func (r scriptRun) verdict(t *testing.T, i int) ironcurtain.CallRecord {
	t.Helper()
	for k, s := range r.callStep {
		if s == i {
			require.Less(t, k, len(r.Calls), "step %d has no call record", i)
			return r.Calls[k]
		}
	}
	t.Fatalf("step %d is not a call", i)
	return ironcurtain.CallRecord{}
}

// builtinStack is the trusted side the CLI's docker run assembles: the
// default policy with the workspace as the sandbox, the built-in
// filesystem and git servers, git in its jail (where the kernel has one)
// as the agent's user, and nobody to approve an escalation.
func builtinStack(t *testing.T, ws string) *stack.Stack {
	t.Helper()
	g := git.Options{Jail: &jail.Policy{Unsandboxed: true}}
	if os.Geteuid() == 0 {
		uid, gid, err := AgentUser(Options{Workspace: ws})
		require.NoError(t, err)
		g.RunAs = &git.User{UID: uid, GID: gid}
	}
	st, err := stack.New(context.Background(), stack.Options{
		Sandbox:  ws,
		Builtins: []string{stack.Filesystem, stack.Git},
		Git:      g,
	})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// runScript runs the stand-in's script mode against tools, with ws as the
// workspace.
func runScript(t *testing.T, tools *stack.Stack, ws string, steps []scriptStep) (scriptRun, *Sandbox) {
	t.Helper()
	src, err := json.Marshal(steps)
	require.NoError(t, err)
	sb, err := New(Options{
		Image: testImage(t),
		Adapter: Generic{Command: []string{"/usr/local/bin/standin"}, Env: []string{
			"STANDIN_MODE=script", "STANDIN_SCRIPT=" + string(src),
		}},
		Tools:       tools.Gate,
		Annotations: tools.Policy.Artifacts().Annotations,
		Protected:   tools.Policy.ProtectedPaths(),
		Workspace:   ws,
		Labels:      map[string]string{testLabel: testRun},
		Timeout:     2 * time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() { sb.Close() })
	rep, err := sb.Run(context.Background(), ironcurtain.Job{Source: "script"})
	out := strings.Join(rep.Output, "\n")
	require.NoError(t, err, out)
	var run scriptRun
	var report struct {
		Error string
		Steps []scriptResult
	}
	for _, line := range rep.Output {
		if rest, ok := strings.CutPrefix(line, "STANDIN-REPORT "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &report), rest)
		}
	}
	require.Empty(t, report.Error, out)
	require.Len(t, report.Steps, len(steps), out)
	run.Steps, run.Calls = report.Steps, rep.Calls
	for i, s := range steps {
		if s.Op == "call" {
			run.callStep = append(run.callStep, i)
		}
	}
	require.Len(t, run.Calls, len(run.callStep))
	return run, sb
}

func ownerOf(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// An agent in a container names files as it sees them, under /workspace.
// The built-in tools, judged by the default policy, act on them in the
// host workspace: writing, reading, initialising a repository, listing —
// and the results name /workspace, never the host path. What the tools
// create belongs to the agent's user, so the agent can go on working on
// it in the container; file content that mentions /workspace is not
// changed.
func TestAbsoluteWorkspacePaths(t *testing.T) {
	requireEngine(t)
	ws := workspace(t)
	// A file the operator left, owned by root: it stays so.
	keep := filepath.Join(ws, "operator.txt")
	require.NoError(t, os.WriteFile(keep, []byte("operator's"), 0o644))
	st := builtinStack(t, ws)
	const content = "see /workspace/done.txt and " + WorkspaceDir
	steps := []scriptStep{
		/*0*/ {Op: "call", Tool: "filesystem__write_file", Args: map[string]any{"path": "/workspace/done.txt", "content": content}},
		/*1*/ {Op: "call", Tool: "filesystem__read_text_file", Args: map[string]any{"path": "/workspace/done.txt"}},
		/*2*/ {Op: "call", Tool: "filesystem__list_allowed_directories", Args: map[string]any{}},
		/*3*/ {Op: "call", Tool: "filesystem__read_multiple_files", Args: map[string]any{"paths": []any{"/workspace/done.txt", "done.txt"}}},
		/*4*/ {Op: "call", Tool: "filesystem__create_directory", Args: map[string]any{"path": "/workspace/made/deep"}},
		/*5*/ {Op: "append", Path: "/workspace/done.txt", Content: "\nappended in the container"},
		/*6*/ {Op: "write", Path: "/workspace/made/deep/file", Content: "x"},
		/*7*/ {Op: "call", Tool: "filesystem__get_file_info", Args: map[string]any{"path": WorkspaceDir}},
		/*8*/ {Op: "call", Tool: "filesystem__write_file", Args: map[string]any{"path": "/workspace/made/deep/file", "content": "replaced"}},
		/*9*/ {Op: "append", Path: "/workspace/made/deep/file", Content: " and appended"},
	}
	run, sb := runScript(t, st, ws, steps)
	run.requireAllSucceeded(t, steps, ws)
	require.Equal(t, content, run.Steps[1].Call.Text, "a file's content is not rewritten on the way in or out")
	require.Contains(t, run.Steps[0].Call.Text, "/workspace/done.txt")
	require.Contains(t, run.Steps[2].Call.Text, WorkspaceDir)
	require.Contains(t, run.Steps[2].Call.Structured, `"`+WorkspaceDir+`"`)
	require.Contains(t, run.Steps[3].Call.Text, content)

	got, err := os.ReadFile(filepath.Join(ws, "done.txt"))
	require.NoError(t, err)
	require.Equal(t, content+"\nappended in the container", string(got))
	got, err = os.ReadFile(filepath.Join(ws, "made", "deep", "file"))
	require.NoError(t, err)
	require.Equal(t, "replaced and appended", string(got))

	// Ownership, on the host.
	uid := sb.s.uid
	for _, p := range []string{"done.txt", "made", "made/deep", "made/deep/file"} {
		require.Equal(t, uid, ownerOf(t, filepath.Join(ws, p)), "%s belongs to the agent's user", p)
	}
	require.Equal(t, os.Getuid(), ownerOf(t, keep), "a file the tools did not make keeps its owner")
}

// Git, jailed and run as the agent's user, works on the absolute paths the
// agent names, in a workspace that belongs to the agent; the agent can go
// on working in the repository git made, and git in what the agent made.
func TestWorkspaceGit(t *testing.T) {
	requireEngine(t)
	ws := workspace(t)
	st := builtinStack(t, ws)
	steps := []scriptStep{
		/*0*/ {Op: "call", Tool: "git__git_init", Args: map[string]any{"path": "/workspace/r"}},
		/*1*/ {Op: "mkdir", Path: "/workspace/r/sub"},
		/*2*/ {Op: "write", Path: "/workspace/r/sub/a.txt", Content: "made in the container"},
		/*3*/ {Op: "call", Tool: "git__git_add", Args: map[string]any{"path": "/workspace/r", "all": true}},
		/*4*/ {Op: "call", Tool: "git__git_commit", Args: map[string]any{"path": "/workspace/r", "message": "first"}},
		/*5*/ {Op: "write", Path: "/workspace/r/.git/agent-probe", Content: "x"},
		/*6*/ {Op: "call", Tool: "git__git_status", Args: map[string]any{"path": "/workspace/r"}},
		/*7*/ {Op: "call", Tool: "git__git_set_working_dir", Args: map[string]any{"path": "/workspace/r"}},
		/*8*/ {Op: "call", Tool: "git__git_log", Args: map[string]any{}},
	}
	run, sb := runScript(t, st, ws, steps)
	run.requireAllSucceeded(t, steps, ws)
	require.Contains(t, run.Steps[8].Call.Text, "first")
	uid := sb.s.uid
	filepath.WalkDir(filepath.Join(ws, "r"), func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		require.Equal(t, uid, ownerOf(t, p), "%s belongs to the agent's user", p)
		return nil
	})
}

// What an absolute path names is judged where the tools act: in the host
// workspace and, through any link the agent made in it, at the link's
// target. Nothing outside the workspace becomes reachable because the
// container calls it /workspace, and spellings that are not the workspace
// exactly are not mapped.
func TestWorkspacePathAttacks(t *testing.T) {
	requireEngine(t)
	ws := workspace(t)
	st := builtinStack(t, ws)

	secretDir, err := os.MkdirTemp("", "ic-host-secret-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(secretDir) })
	marker := "HOST-ONLY-" + testRun
	require.NoError(t, os.WriteFile(filepath.Join(secretDir, "secret.txt"), []byte(marker), 0o644))
	sibling := filepath.Base(ws) + "-escape"

	read := func(p string) scriptStep {
		return scriptStep{Op: "call", Tool: "filesystem__read_text_file", Args: map[string]any{"path": p}}
	}
	write := func(p string) scriptStep {
		return scriptStep{Op: "call", Tool: "filesystem__write_file", Args: map[string]any{"path": p, "content": marker}}
	}
	steps := []scriptStep{
		/*0*/ {Op: "symlink", Path: "/workspace/etc", Target: "/etc"},
		/*1*/ {Op: "symlink", Path: "/workspace/host", Target: secretDir},
		/*2*/ read("/workspace/etc/passwd"),
		/*3*/ read("/workspace/host/secret.txt"),
		/*4*/ read("host/secret.txt"),
		/*5*/ {Op: "call", Tool: "filesystem__read_multiple_files", Args: map[string]any{"paths": []any{"/workspace/host/secret.txt"}}},
		/*6*/ read("/workspace/../etc/passwd"),
		/*7*/ read("/workspace/./../etc/passwd"),
		/*8*/ write("//workspace/x"),
		/*9*/ write("/workspace/../" + sibling),
		/*10*/ write("/workspace/./../" + sibling),
		/*11*/ write("/workspacex"),
		/*12*/ read("/workspace/\x00/../../etc/passwd"),
		/*13*/ {Op: "call", Tool: "git__git_init", Args: map[string]any{"path": "/workspace/../" + sibling}},
		/*14*/ {Op: "call", Tool: "git__git_init", Args: map[string]any{"path": "/workspace/host/repo"}},
		/*15*/ write("/workspace/host/new.txt"),
	}
	run, _ := runScript(t, st, ws, steps)
	require.Empty(t, run.Steps[0].Err)
	require.Empty(t, run.Steps[1].Err)
	for i, s := range steps {
		if s.Op != "call" {
			continue
		}
		rec := run.verdict(t, i)
		res := run.Steps[i].Call
		require.NotEqual(t, ironcurtain.Allow, rec.Verdict, "step %d (%s %v) must not be allowed: %s", i, s.Tool, s.Args, res.Text)
		require.True(t, res.IsError || res.RPCError != "", "step %d", i)
		require.NotContains(t, res.Text, marker, "step %d", i)
		require.NotContains(t, res.Text, "root:", "step %d", i)
	}
	require.Equal(t, "structural-unresolvable-path", run.verdict(t, 12).Rule, "a NUL is refused, not cut")
	parent := filepath.Dir(ws)
	for _, p := range []string{filepath.Join(parent, sibling), filepath.Join(secretDir, "repo"), filepath.Join(secretDir, "new.txt"), "/workspace/x", "/workspacex"} {
		require.NoFileExists(t, p)
		require.NoDirExists(t, p)
	}
}

// requireAllSucceeded checks that every step of steps succeeded: each call
// allowed, not an error, and showing no host path of ws; each container
// step done.
func (r scriptRun) requireAllSucceeded(t *testing.T, steps []scriptStep, ws string) {
	t.Helper()
	for i, s := range steps {
		if s.Op != "call" {
			require.Empty(t, r.Steps[i].Err, "step %d (%s %s)", i, s.Op, s.Path)
			continue
		}
		rec := r.verdict(t, i)
		require.Equal(t, ironcurtain.Allow, rec.Verdict, "step %d (%s): %s %s", i, s.Tool, rec.Rule, rec.Error)
		require.False(t, r.Steps[i].Call.IsError, "step %d: %s", i, r.Steps[i].Call.Text)
		require.NotContains(t, r.Steps[i].Call.Text+r.Steps[i].Call.Structured, ws, "step %d shows the host path", i)
	}
}
