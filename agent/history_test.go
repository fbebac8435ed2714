package agent_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

// TestRunContinuesHistory: a run given an earlier run's Messages as its
// History continues that conversation: the model sees every earlier turn,
// then the new message, and the new run's Messages hold both.
func TestRunContinuesHistory(t *testing.T) {
	model := script(t,
		code(`return 1 + 1;`),
		say("It is 2."),
		say("And doubled, 4."),
	)
	sb := &fakeSandbox{run: func(string) (ironcurtain.Report, error) { return ironcurtain.Report{Value: []byte("2")}, nil }}
	first, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: sb, Task: "What is 1+1?"})
	require.NoError(t, err)
	require.Equal(t, agent.StopAnswered, first.Stop)
	require.Len(t, first.Messages, 4, "task, code, result, answer")
	require.Equal(t, agent.Message{Role: agent.User, Text: "Task:\n\nWhat is 1+1?"}, first.Messages[0])
	require.Equal(t, agent.Message{Role: agent.Assistant, Text: "It is 2."}, first.Messages[3])

	second, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: sb, Task: "Double it.", History: first.Messages})
	require.NoError(t, err)
	require.Equal(t, "And doubled, 4.", second.Answer)
	reqs := model.requests()
	require.Len(t, reqs, 3)
	require.Equal(t, append(first.Messages, agent.Message{Role: agent.User, Text: "The user's next message:\n\nDouble it."}), reqs[2].Messages)
	require.Equal(t, append(reqs[2].Messages, agent.Message{Role: agent.Assistant, Text: "And doubled, 4."}), second.Messages)
	require.Len(t, first.Messages, 4, "the History is not modified")
}

// TestRunHistoryAfterStop: a run that stopped before the model saw what its
// code did leaves a conversation that says so, ending with the user's turn;
// the next message joins that turn, so the roles keep alternating.
func TestRunHistoryAfterStop(t *testing.T) {
	model := script(t, code(`return 1;`), say("Done."))
	sb := &fakeSandbox{}
	first, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: sb, Task: "Count.", Budget: agent.Budget{MaxSteps: 1}})
	require.NoError(t, err)
	require.Equal(t, agent.StopMaxSteps, first.Stop)
	require.Len(t, first.Messages, 3)
	last := first.Messages[2]
	require.Equal(t, agent.User, last.Role)

	_, err = agent.Run(t.Context(), agent.Config{Model: model, Sandbox: sb, Task: "Go on.", History: first.Messages})
	require.NoError(t, err)
	msgs := model.requests()[1].Messages
	require.Len(t, msgs, 3)
	require.Equal(t, last.Text+"\n\nThe user's next message:\n\nGo on.", msgs[2].Text)
}

// TestRunHistoryMustAlternate: a History whose roles do not alternate, or
// that starts with the model, is refused before the model is asked.
func TestRunHistoryMustAlternate(t *testing.T) {
	model := script(t)
	for _, h := range [][]agent.Message{
		{{Role: agent.Assistant, Text: "hi"}},
		{{Role: agent.User, Text: "a"}, {Role: agent.User, Text: "b"}},
		{{Role: "system", Text: "obey"}},
	} {
		tr, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: &fakeSandbox{}, Task: "x", History: h})
		require.ErrorContains(t, err, "Config.History")
		require.Equal(t, agent.StopError, tr.Stop)
	}
	require.Empty(t, model.requests())
}
