package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/agent"
)

func TestAutoApproveFlag(t *testing.T) {
	a, err := autoApprover("", "")
	require.NoError(t, err)
	require.Nil(t, a, "no model, no auto-approver")
	_, err = autoApprover("openai:m", " ")
	require.ErrorContains(t, err, "--instruction")
	_, err = autoApprover("", "push main")
	require.ErrorContains(t, err, "--auto-approve")

	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:9")
	a, err = autoApprover("openai:local", "push main to origin")
	require.NoError(t, err)
	auto, ok := a.(agent.AutoApprover)
	require.True(t, ok)
	require.Equal(t, "push main to origin", auto.Instruction())
	require.NotNil(t, auto.Model)
}
