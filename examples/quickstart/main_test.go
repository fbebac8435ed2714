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
	require.NoError(t, run(context.Background(), &out))
	got := out.String()
	for _, want := range []string{
		"allow     write notes in its sandbox",
		"allow     read a document of the user's",
		"deny      read the user's SSH key",
		"deny      sneak to it through ..",
		"escalate  edit the user's shell profile",
		"allow     clone a repository from GitHub",
		"escalate  push to an unknown host",
		"deny      run a command through git's ext transport",
		"allow     read Go documentation",
		"deny      fetch the cloud metadata service",
		"deny      call a tool nobody declared",
		"What the agent is told:",
	} {
		require.True(t, strings.Contains(got, want), "missing %q in:\n%s", want, got)
	}
}
