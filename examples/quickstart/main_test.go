package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, nil, t.TempDir()))
	got := out.String()
	for _, want := range []string{
		"read back 41 characters of plan.md",
		"allow     filesystem/write_file",
		"allow     git/git_commit",
		"deny      filesystem/read_text_file  structural-protected-path",
		"escalate  git/git_push",
		"escalate-git-push",
		"Audit log:",
	} {
		require.True(t, strings.Contains(got, want), "missing %q in:\n%s", want, got)
	}
	require.NotContains(t, got, "The script stopped", got)
}
