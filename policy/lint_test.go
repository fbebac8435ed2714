package policy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLint(t *testing.T) {
	w := newWorld(t)
	pol := `{"rules":[
	 {"name":"allow-docs","if":{"roles":["read-path"],"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"allow","reason":"r"},
	 {"name":"allow-docs-sub","if":{"roles":["read-path"],"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents/sub"}},"then":"escalate","reason":"r"},
	 {"name":"all-of-git","if":{"server":["git"]},"then":"escalate","reason":"r"},
	 {"name":"git-push","if":{"server":["git"],"tool":["git_push"]},"then":"allow","reason":"r"},
	 {"name":"typo-tool","if":{"server":["filesystem"],"tool":["raed_file"]},"then":"allow","reason":"r"},
	 {"name":"no-such-server","if":{"server":["shell"]},"then":"allow","reason":"r"},
	 {"name":"exclusive-roles","if":{"roles":["read-path"],"paths":{"roles":["write-path"],"within":"/tmp"}},"then":"allow","reason":"r"},
	 {"name":"roles-absent","if":{"server":["filesystem"],"roles":["github-owner"]},"then":"allow","reason":"r"},
	 {"name":"fetch-any","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["*"]}},"then":"escalate","reason":"r"},
	 {"name":"fetch-docs","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["@docs"]}},"then":"allow","reason":"r"},
	 {"name":"everything","if":{},"then":"deny","reason":"r"}
	],"listDefinitions":[{"name":"docs","type":"domains"},{"name":"orphan","type":"domains"}]}`
	ann := `{"servers":{"filesystem":{"tools":[{"toolName":"read_file","args":{"path":["read-path"]}}]},
	 "git":{"tools":[{"toolName":"git_push","args":{"path":["read-path"],"remote":["git-remote-url"]}}]},
	 "fetch":{"tools":[{"toolName":"http_fetch","args":{"url":["fetch-url"]}}]}}}`
	lists := `{"lists":{"docs":{"values":["go.dev"]},"orphan":{"values":["x.com"]},"undefined":{"values":["y.com"]}}}`
	e := w.engine(t, pol, ann, lists, Config{})
	got := map[string][]string{}
	for _, f := range e.Lint() {
		key := f.Rule
		if key == "" {
			key = "@" + f.List
		}
		got[key] = append(got[key], f.Kind)
		require.NotEmpty(t, f.Message)
		require.NotEmpty(t, f.String())
	}
	require.Equal(t, []string{"shadowed"}, got["allow-docs-sub"])
	require.Equal(t, []string{"catch-all"}, got["all-of-git"])
	require.Equal(t, []string{"shadowed"}, got["git-push"])
	require.Equal(t, []string{"unknown-tool", "dead"}, got["typo-tool"])
	require.Equal(t, []string{"unknown-tool", "dead"}, got["no-such-server"])
	require.Equal(t, []string{"dead"}, got["exclusive-roles"])
	require.Equal(t, []string{"dead"}, got["roles-absent"])
	require.Equal(t, []string{"shadowed"}, got["fetch-docs"], "a * entry covers every public name a list can hold")
	require.Equal(t, []string{"catch-all"}, got["everything"])
	require.Equal(t, []string{"unused-list"}, got["@orphan"])
	require.Equal(t, []string{"unused-list"}, got["@undefined"])
	require.Nil(t, got["allow-docs"])
	require.Nil(t, got["fetch-any"])
}
