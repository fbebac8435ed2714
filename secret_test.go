package ironcurtain_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "sk-ant-api03-very-secret-value"
	s := ironcurtain.NewSecret(value)
	outputs := []string{
		s.String(),
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ K ironcurtain.Secret }{s}),
		fmt.Sprintf("%+v", &struct{ K ironcurtain.Secret }{s}),
	}
	b, err := json.Marshal(map[string]any{"k": s})
	require.NoError(t, err)
	outputs = append(outputs, string(b))
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", s)
	outputs = append(outputs, logged.String())
	for _, out := range outputs {
		require.NotContains(t, out, "very-secret", out)
		require.Contains(t, out, "[redacted]", out)
	}
	require.Equal(t, value, s.Reveal())
	require.True(t, s.Equal(ironcurtain.NewSecret(value)))
	require.False(t, s.Equal(ironcurtain.NewSecret(value+"x")))
	require.True(t, ironcurtain.Secret{}.IsZero())
}

func TestVerdict(t *testing.T) {
	var zero ironcurtain.Verdict
	require.Equal(t, ironcurtain.Deny, zero, "the zero verdict must fail closed")
	require.True(t, ironcurtain.Deny.Stricter(ironcurtain.Escalate))
	require.True(t, ironcurtain.Escalate.Stricter(ironcurtain.Allow))
	require.False(t, ironcurtain.Allow.Stricter(ironcurtain.Allow))
	require.Equal(t, 2, ironcurtain.Verdict(9).Severity(), "unknown verdicts are as strict as deny")
	for _, v := range []ironcurtain.Verdict{ironcurtain.Allow, ironcurtain.Deny, ironcurtain.Escalate} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var back ironcurtain.Verdict
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, v, back)
	}
	_, err := ironcurtain.ParseVerdict("permit")
	require.Error(t, err)
	_, err = json.Marshal(ironcurtain.Verdict(7))
	require.Error(t, err)
}

func TestContentRoundTrip(t *testing.T) {
	in := `[{"type":"text","text":"hi"},{"type":"image","data":"AAEC","mimeType":"image/png"},{"type":"resource","resource":{"uri":"file:///x","text":"t"}}]`
	var cs []ironcurtain.Content
	require.NoError(t, json.Unmarshal([]byte(in), &cs))
	require.Equal(t, "hi", cs[0].Text)
	require.Equal(t, []byte{0, 1, 2}, cs[1].Data)
	require.NotEmpty(t, cs[2].Raw)
	out, err := json.Marshal(cs)
	require.NoError(t, err)
	require.JSONEq(t, in, string(out))
}

func TestDeniedError(t *testing.T) {
	cause := fmt.Errorf("open /home/alice/.ssh/id_rsa: permission denied")
	err := error(&ironcurtain.DeniedError{
		Decision: ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "structural-protected-path", Reason: "protected path"},
		Cause:    cause,
	})
	require.ErrorIs(t, err, ironcurtain.ErrDenied)
	require.ErrorIs(t, err, cause)
	var de *ironcurtain.DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "DENIED: protected path", de.AgentMessage())
	require.NotContains(t, de.AgentMessage(), "alice", "the cause must not reach the agent")
	de.Decision.Verdict = ironcurtain.Escalate
	require.Equal(t, "ESCALATION DENIED: protected path", de.AgentMessage())
}

func TestQualifiedName(t *testing.T) {
	require.Equal(t, "git__git_push", ironcurtain.QualifiedName("git", "git_push"))
	s, tool, ok := ironcurtain.SplitQualifiedName("git__git_push")
	require.True(t, ok)
	require.Equal(t, "git", s)
	require.Equal(t, "git_push", tool)
	for _, bad := range []string{"nounderscore", "__x", "x__", ""} {
		_, _, ok := ironcurtain.SplitQualifiedName(bad)
		require.False(t, ok, bad)
	}
}
