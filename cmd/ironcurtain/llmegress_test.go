package main

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// A URL the model provider would fetch for the agent is judged as the
// agent's own http_fetch of it under the default policy, and every
// judgement is in the audit log: only an allow lets it through, an
// escalation is refused (no one is asked), and a judgement that cannot be
// recorded refuses too.
func TestLLMEgressJudgedAsFetch(t *testing.T) {
	engine, err := policy.Default(policy.Config{Sandbox: t.TempDir()})
	require.NoError(t, err)
	var events []ironcurtain.AuditEvent
	judge := llmEgress(engine, func(e ironcurtain.AuditEvent) error { events = append(events, e); return nil })
	for _, tc := range []struct {
		url, verdict string
		allowed      bool
	}{
		{"https://pkg.go.dev/net/http", "allow", true},
		{"https://example.com/?d=secret", "escalate", false},
		{"http://169.254.169.254/latest/meta-data/", "deny", false},
		{"http://localhost:8080/admin", "deny", false},
	} {
		u, err := url.Parse(tc.url)
		require.NoError(t, err)
		n := len(events)
		err = judge(context.Background(), "messages[0].content[0].source.url", u)
		require.Equal(t, tc.allowed, err == nil, "%s: %v", tc.url, err)
		require.Len(t, events, n+1)
		e := events[n]
		require.Equal(t, "llm-egress", e.Kind)
		require.Equal(t, "fetch", e.Server)
		require.Contains(t, e.Message, "http_fetch "+tc.url)
		require.Contains(t, e.Message, "messages[0].content[0].source.url")
		require.Contains(t, e.Message, ": "+tc.verdict+" by ")
	}
	failing := llmEgress(engine, func(ironcurtain.AuditEvent) error { return errors.New("disk full") })
	u, _ := url.Parse("https://pkg.go.dev/net/http")
	require.ErrorContains(t, failing(context.Background(), "f", u), "could not be recorded")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, judge(ctx, "f", u), "a policy that cannot decide refuses")
}
