package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/approve/signal/signaltest"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

// sentUntil reads what the chat sent by Signal until a message holds
// want, and returns that message.
func sentUntil(t *testing.T, s *signaltest.StandIn, want string) string {
	t.Helper()
	for range 20 {
		if m := s.NextSend()["message"].(string); strings.Contains(m, want) {
			return m
		}
	}
	t.Fatalf("no message with %q was sent", want)
	return ""
}

// TestChatBySignal: with --approver signal the person holds the session
// from their phone: tasks, follow-ups and commands come as messages from
// the configured number (another number's are ignored), the answers go
// back, and an escalation is asked and approved by Signal.
func TestChatBySignal(t *testing.T) {
	const me = "+15550001111"
	var e *chatEnv
	e = newChatEnv(t, func(n int, r llmtest.Request) llmtest.Reply {
		switch {
		case strings.HasPrefix(r.Last(), "Task:"):
			return say(readSecret(e.outside), 10, 10)
		case strings.Contains(r.Last(), "next message"):
			return say("Second answer.", 10, 10)
		}
		return say("Read it.", 10, 10)
	})
	s := signaltest.New(t)
	d := startChat(t, e.args("--approver", "signal", "--signal-number", me, "--signal-socket", s.Addr()))
	<-s.Conns
	hello := sentUntil(t, s, "Send a task")
	require.Contains(t, hello, "IronCurtain: new session ")

	s.Receive("+15559999999", "Delete everything.", 0) // not the person: ignored
	s.Receive(me, "Read "+e.outside+"/secret.txt.", 0)
	ask := sentUntil(t, s, "IronCurtain asks for approval [")
	require.Contains(t, ask, "escalate-read-outside-sandbox")
	code := ask[strings.Index(ask, "[")+1:][:5]
	s.Receive(me, "approve "+code, 0)
	answer := sentUntil(t, s, "Read it.")
	require.Contains(t, answer, "2 steps")
	require.Contains(t, agentRequests(e.srv)[1].Last(), "not for the agent", "the call approved by Signal ran")

	s.Receive(me, "/grants", 0)
	require.Contains(t, sentUntil(t, s, "grant"), "No grant is in force.")
	s.Receive(me, "What did it say?", 0)
	sentUntil(t, s, "Second answer.")
	s.Receive(me, "/quit", 0)
	require.Equal(t, 0, <-d.done)

	reqs := agentRequests(e.srv)
	require.Len(t, reqs, 3)
	require.Equal(t, "Task:\n\nRead "+e.outside+"/secret.txt.", reqs[0].Messages[0].Text, "the other number's message was never a task")
	for _, r := range reqs {
		for _, m := range r.Messages {
			require.NotContains(t, m.Text, "Delete everything")
		}
	}
	require.Contains(t, d.out.String(), "The model's answer:\n  Second answer.")
	verifyChatAudit(t, e.sessionDir(t)+"/audit.jsonl")
}
