package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// icGitAnnotations is IronCurtain's shipped git annotations (the policy
// package's fixture), made against an older git server.
const icGitAnnotations = "../../policy/testdata/drift/ironcurtain-git-annotations.json"

func TestPolicyLintReportsDrift(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	code, out, _ := runCLI(t, "", "policy", "lint", "--annotations", icGitAnnotations)
	require.Equal(t, 1, code)
	require.Contains(t, out, `drift: git/git_add: argument renamed "files" to "paths" (serve, exec and docker run refuse to start)`)
	require.Contains(t, out, `drift: git/git_branch: argument renamed "name" to "branchName", "newName" to "newBranchName", "operation" to "mode"`)

	code, out, errOut := runCLI(t, "", "policy", "lint", "--json")
	require.Equal(t, 0, code, "the built-in annotations describe the built-in tools: "+out+errOut)
}

func TestServeRefusesDriftedAnnotations(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	ann, err := filepath.Abs(icGitAnnotations)
	require.NoError(t, err)
	conf := `{"sandbox":"box","approver":"deny","policy":{"annotations":"` + ann + `"},
	  "servers":{"git":{"builtin":"git","sandbox":{"unsandboxed":true}}}}`
	path := filepath.Join(dir, "serve.json")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	cfg, err := loadServeConfig(path)
	require.NoError(t, err)
	_, err = startServe(context.Background(), cfg, &strings.Builder{}, nil)
	require.ErrorIs(t, err, policy.ErrDrift)
	for _, want := range []string{`"files" to "paths"`, `"file" to "filePath"`, `"operation" to "mode"`, `"name" to "branchName"`, `"newName" to "newBranchName"`, `"localPath" to "path"`} {
		require.ErrorContains(t, err, want)
	}
}

func TestAnnotate(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	out := filepath.Join(t.TempDir(), "tool-annotations.json")
	code, _, errOut := runCLI(t, "", "annotate", "--annotations", icGitAnnotations, "-o", out)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, `git/git_add: "files" renamed "paths": its roles carried over`)
	require.Contains(t, errOut, `git/git_commit: argument "sign" is no longer taken`)

	code, lintOut, _ := runCLI(t, "", "policy", "lint", "--annotations", out)
	require.Equal(t, 0, code, "the regenerated annotations describe the served tools: "+lintOut)

	var a policy.Annotations
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &a))
	require.Contains(t, a.Servers, "filesystem", "the built-in servers are annotated")
	require.Contains(t, a.Servers, "fetch")

	// Without annotations to start from, the built-in ones are regenerated
	// unchanged.
	code, stdout, errOut := runCLI(t, "", "annotate")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	var regen policy.Annotations
	require.NoError(t, json.Unmarshal([]byte(stdout), &regen))
	for name, sa := range policy.DefaultAnnotations().Servers {
		require.Len(t, regen.Servers[name].Tools, len(sa.Tools), name)
	}
}

func TestAnnotateUsage(t *testing.T) {
	code, _, _ := runCLI(t, "", "annotate", "extra")
	require.Equal(t, 2, code)
	code, _, errOut := runCLI(t, "", "annotate", "--annotations", "/nonexistent/a.json")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "/nonexistent/a.json")
	code, _, _ = runCLI(t, "", "annotate", "-h")
	require.Equal(t, 0, code)
}
